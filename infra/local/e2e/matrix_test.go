package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/routes"
)

// principals, in the order of each row's expected statuses.
var principalNames = []string{"operator admin", "technician", "portal admin", "other customer's admin", "portal user", "disabled user", "no token", "portal's token"}

// TestPermissionMatrix runs every route as every principal and checks the
// status each gets. Targets are made fresh for every call, so one
// principal's success cannot change what the next one sees.
func TestPermissionMatrix(t *testing.T) {
	w := newCast(t)
	op, tech, c, adminC, adminD, userC := w.op, w.tech, w.c, w.adminC, w.adminD, w.userC
	dis, disabled := portalUser(t, op, c.ID, false)
	op.post("/v1/customers/"+c.ID+"/users/"+dis.ID+"/disable", nil, 200)
	// A portal admin of C signed in through a portal of C: a portal's token
	// is good for /v1/me and /v1/portal-access, and manages no one.
	desk := op.newPortal(c.ID)
	pu, paddr := linkedUser(t, op, c.ID, desk.ID)
	op.call("PATCH", "/v1/customers/"+c.ID+"/users/"+pu.ID, map[string]any{"admin": true})
	portalToken := portalClient(t, desk, paddr)
	principals := []*client{op, tech, adminC, adminD, userC, disabled, anonymous(t), portalToken}
	portal := func() string { return "/v1/customers/" + c.ID + "/portals/" + op.newPortal(c.ID).ID }

	users := "/v1/customers/" + c.ID + "/users"
	unconfirmed := func() string { return op.invite(c.ID, map[string]any{"email": uniqueEmail("m")}).ID }
	enabledUser := func() string { u, _ := portalUser(t, op, c.ID, false); return u.ID }
	disabledUser := func() string {
		id := enabledUser()
		op.post(users+"/"+id+"/disable", nil, 200)
		return id
	}
	newOperator := func() string {
		var u user
		op.post("/v1/operators", map[string]any{"email": uniqueEmail("o"), "role": "technician"}, 201).json(t, &u)
		return u.ID
	}
	enabledOperator := func() string { u, _ := operator(t, op, "technician"); return u.ID }
	disabledOperator := func() string {
		id := enabledOperator()
		op.post("/v1/operators/"+id+"/disable", nil, 200)
		return id
	}
	afterCooldown := func() { clockOffset.Add(int64(3 * time.Second)) }
	// The organization profile, a customer's life time, the provider's trail.
	profile := "/v1/customers/" + c.ID
	newAddress := func() string { return op.addAddress(c.ID) }
	// The role catalogue (issue 14, part B).
	roleBody := func() any { return map[string]any{"name": unique("Role ")} }
	newRole := func() string {
		var r struct{ ID string }
		op.post(profile+"/roles", roleBody(), 201).json(t, &r)
		return profile + "/roles/" + r.ID
	}
	agreementBody := func() any {
		return map[string]any{"name": "Maintenance", "reference": unique("SLA-"), "startsOn": "2026-01-01", "endsOn": "2026-12-31"}
	}
	newAgreement := func() string {
		var a struct{ ID string }
		op.post(profile+"/service-agreements", agreementBody(), 201).json(t, &a)
		return profile + "/service-agreements/" + a.ID
	}
	freshCustomer := func() string { return "/v1/customers/" + op.newCustomer("en").ID }
	newJob := func() string {
		var a struct{ Job struct{ ID string } }
		op.expect(op.call("DELETE", freshCustomer(), nil), 202).json(t, &a)
		return "/v1/jobs/" + a.Job.ID
	}
	madeUp := map[string]any{"token": strings.Repeat("A", 43)}
	// Imports (issue 17): a file of one row; an import of one invalid row
	// is finished at once, so its outcomes can be read.
	imports := profile + "/imports"
	importBody := func() any { return []byte("email,sendInvitation\n" + uniqueEmail("imp") + ",no\n") } // no e-mail after the test
	finishedImport := func() string {
		var i struct{ ID string }
		op.expect(op.call("POST", imports, []byte("email\nnot an address\n"), "Content-Type", "text/csv"), 202).json(t, &i)
		return imports + "/" + i.ID
	}

	type row struct {
		method string
		path   func() string
		body   func() any
		want   [8]int
		before func()
	}
	fixed := func(s string) func() string { return func() string { return s } }
	none := func() any { return nil }
	rows := map[string]row{
		"health":            {"GET", fixed("/v1/health"), none, [8]int{200, 200, 200, 200, 200, 200, 200, 200}, nil},
		"me":                {"GET", fixed("/v1/me"), none, [8]int{200, 200, 200, 200, 200, 401, 401, 200}, nil},
		"portal-access":     {"GET", fixed("/v1/portal-access"), none, [8]int{401, 401, 401, 401, 401, 401, 401, 200}, nil},
		"portal-preflight":  {"OPTIONS", fixed("/v1/portal-access"), none, [8]int{204, 204, 204, 204, 204, 204, 204, 204}, nil},
		"update-portal":     {"PATCH", portal, func() any { return map[string]any{"name": "Renamed"} }, [8]int{200, 403, 403, 404, 403, 401, 401, 401}, nil},
		"delete-portal":     {"DELETE", portal, none, [8]int{204, 403, 403, 404, 403, 401, 401, 401}, nil},
		"list-portal-users": {"GET", func() string { return "/v1/customers/" + c.ID + "/portals/" + desk.ID + "/users" }, none, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"list-customers":    {"GET", fixed("/v1/customers"), none, [8]int{200, 200, 403, 403, 403, 401, 401, 401}, nil},
		"create-customer":   {"POST", fixed("/v1/customers"), func() any { return map[string]any{"name": unique("M ")} }, [8]int{201, 403, 403, 403, 403, 401, 401, 401}, nil},
		"get-customer":      {"GET", fixed("/v1/customers/" + c.ID), none, [8]int{200, 200, 200, 404, 200, 401, 401, 401}, nil},
		"list-portals":      {"GET", fixed("/v1/customers/" + c.ID + "/portals"), none, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"create-portal":     {"POST", fixed("/v1/customers/" + c.ID + "/portals"), func() any { return map[string]any{"name": "P", "url": "https://p.example"} }, [8]int{201, 403, 403, 404, 403, 401, 401, 401}, nil},
		"list-audit-events": {"GET", fixed("/v1/customers/" + c.ID + "/audit-events"), none, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"list-users":        {"GET", fixed(users), none, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"invite-user":       {"POST", fixed(users), func() any { return map[string]any{"email": uniqueEmail("i")} }, [8]int{201, 201, 201, 404, 403, 401, 401, 401}, nil},
		"bulk-invite-users": {"POST", fixed(users + "/bulk"), func() any { return map[string]any{"emails": []string{uniqueEmail("b")}} }, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"act-on-users": {"POST", fixed(users + "/actions"), func() any {
			return map[string]any{"action": "disable", "userIds": []string{enabledUser()}}
		}, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"get-user":           {"GET", func() string { return users + "/" + unconfirmed() }, none, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"update-user":        {"PATCH", func() string { return users + "/" + unconfirmed() }, func() any { return map[string]any{"name": "New"} }, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"enable-user":        {"POST", func() string { return users + "/" + disabledUser() + "/enable" }, none, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"disable-user":       {"POST", func() string { return users + "/" + enabledUser() + "/disable" }, none, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"reinvite-user":      {"POST", func() string { return users + "/" + unconfirmed() + "/reinvite" }, none, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, afterCooldown},
		"delete-user":        {"DELETE", func() string { return users + "/" + unconfirmed() }, none, [8]int{204, 204, 204, 404, 403, 401, 401, 401}, nil},
		"list-operators":     {"GET", fixed("/v1/operators"), none, [8]int{200, 403, 403, 403, 403, 401, 401, 401}, nil},
		"invite-operator":    {"POST", fixed("/v1/operators"), func() any { return map[string]any{"email": uniqueEmail("n"), "role": "technician"} }, [8]int{201, 403, 403, 403, 403, 401, 401, 401}, nil},
		"get-operator":       {"GET", func() string { return "/v1/operators/" + newOperator() }, none, [8]int{200, 403, 403, 403, 403, 401, 401, 401}, nil},
		"update-operator":    {"PATCH", func() string { return "/v1/operators/" + newOperator() }, func() any { return map[string]any{"name": "N"} }, [8]int{200, 403, 403, 403, 403, 401, 401, 401}, nil},
		"enable-operator":    {"POST", func() string { return "/v1/operators/" + disabledOperator() + "/enable" }, none, [8]int{200, 403, 403, 403, 403, 401, 401, 401}, nil},
		"disable-operator":   {"POST", func() string { return "/v1/operators/" + enabledOperator() + "/disable" }, none, [8]int{200, 403, 403, 403, 403, 401, 401, 401}, nil},
		"reinvite-operator":  {"POST", func() string { return "/v1/operators/" + newOperator() + "/reinvite" }, none, [8]int{200, 403, 403, 403, 403, 401, 401, 401}, afterCooldown},
		"delete-operator":    {"DELETE", func() string { return "/v1/operators/" + newOperator() }, none, [8]int{204, 403, 403, 403, 403, 401, 401, 401}, nil},
		"inspect-invitation": {"POST", fixed("/v1/invitations/inspect"), func() any { return madeUp }, [8]int{410, 410, 410, 410, 410, 410, 410, 410}, nil},
		// The organization profile, a customer's life time, the provider's trail.
		"list-addresses": {"GET", fixed(profile + "/addresses"), none, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"create-address": {"POST", fixed(profile + "/addresses"), func() any {
			return map[string]any{"kind": "legal", "lines": []string{"Coolsingel 1"}, "postalCode": "3011 AD", "city": "Rotterdam", "country": "NL"}
		}, [8]int{201, 201, 201, 404, 403, 401, 401, 401}, nil},
		"update-address":             {"PATCH", newAddress, func() any { return map[string]any{"city": "Delft"} }, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"delete-address":             {"DELETE", newAddress, none, [8]int{204, 204, 204, 404, 403, 401, 401, 401}, nil},
		"list-service-agreements":    {"GET", fixed(profile + "/service-agreements"), none, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"create-service-agreement":   {"POST", fixed(profile + "/service-agreements"), agreementBody, [8]int{201, 201, 403, 404, 403, 401, 401, 401}, nil},
		"update-service-agreement":   {"PATCH", newAgreement, func() any { return map[string]any{"endsOn": "2027-12-31"} }, [8]int{200, 200, 403, 404, 403, 401, 401, 401}, nil},
		"delete-service-agreement":   {"DELETE", newAgreement, none, [8]int{204, 204, 403, 404, 403, 401, 401, 401}, nil},
		"update-customer":            {"PATCH", fixed(profile), func() any { return map[string]any{"name": unique("Renamed ")} }, [8]int{200, 403, 403, 404, 403, 401, 401, 401}, nil},
		"delete-customer":            {"DELETE", freshCustomer, none, [8]int{202, 403, 404, 404, 404, 401, 401, 401}, nil},
		"get-job":                    {"GET", newJob, none, [8]int{200, 403, 403, 403, 403, 401, 401, 401}, nil},
		"list-provider-audit-events": {"GET", fixed("/v1/audit-events"), none, [8]int{200, 403, 403, 403, 403, 401, 401, 401}, nil},
		// The role catalogue (issue 14, part B).
		"list-roles":          {"GET", fixed(profile + "/roles"), none, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"create-role":         {"POST", fixed(profile + "/roles"), roleBody, [8]int{201, 201, 201, 404, 403, 401, 401, 401}, nil},
		"update-role":         {"PATCH", newRole, func() any { return map[string]any{"description": "Renamed in the matrix."} }, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"delete-role":         {"DELETE", newRole, none, [8]int{204, 204, 204, 404, 403, 401, 401, 401}, nil},
		"create-import":       {"POST", fixed(imports), importBody, [8]int{202, 202, 202, 404, 403, 401, 401, 401}, nil},
		"get-import":          {"GET", finishedImport, none, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"get-import-outcomes": {"GET", func() string { return finishedImport() + "/outcomes" }, none, [8]int{200, 200, 200, 404, 403, 401, 401, 401}, nil},
		"accept-invitation":   {"POST", fixed("/v1/invitations/accept"), func() any { return madeUp }, [8]int{410, 410, 410, 410, 410, 410, 410, 410}, nil},
		// The operators' second factor: every operator principal here is
		// enrolled (enrolling again changes nothing); TestAnOperatorWithout
		// AnAppIsRefusedEverywhereElse runs every route as one who is not.
		"enrol-mfa":          {"POST", fixed("/v1/me/mfa"), none, [8]int{200, 200, 403, 403, 403, 401, 401, 401}, nil},
		"reset-operator-mfa": {"DELETE", func() string { return "/v1/operators/" + enabledOperator() + "/mfa" }, none, [8]int{200, 403, 403, 403, 403, 401, 401, 401}, nil},
	}
	// Webhook subscriptions (issue 16): operator admins and the customer's
	// portal admins; a customer has at most 10, so each call's fresh one
	// replaces the last.
	hooks := "/v1/customers/" + c.ID + "/webhooks"
	newHook := func() string { clearWebhooks(op, c.ID); return hooks + "/" + op.newWebhook(c.ID, deadURL, nil).ID }
	for name, r := range map[string]row{
		"list-webhooks":           {"GET", fixed(hooks), none, [8]int{200, 403, 200, 404, 403, 401, 401, 401}, nil},
		"create-webhook":          {"POST", fixed(hooks), func() any { return map[string]any{"url": deadURL} }, [8]int{201, 403, 201, 404, 403, 401, 401, 401}, func() { clearWebhooks(op, c.ID) }},
		"get-webhook":             {"GET", newHook, none, [8]int{200, 403, 200, 404, 403, 401, 401, 401}, nil},
		"update-webhook":          {"PATCH", newHook, func() any { return map[string]any{"paused": true} }, [8]int{200, 403, 200, 404, 403, 401, 401, 401}, nil},
		"delete-webhook":          {"DELETE", newHook, none, [8]int{204, 403, 204, 404, 403, 401, 401, 401}, nil},
		"rotate-webhook-secret":   {"POST", func() string { return newHook() + "/rotate-secret" }, none, [8]int{200, 403, 200, 404, 403, 401, 401, 401}, nil},
		"list-webhook-deliveries": {"GET", func() string { return newHook() + "/deliveries" }, none, [8]int{200, 403, 200, 404, 403, 401, 401, 401}, nil},
	} {
		rows[name] = r
	}
	// Every route of the table is in the matrix.
	for _, rt := range routes.Table {
		r, ok := rows[rt.Function]
		if !ok {
			t.Errorf("route %s %s is missing from the matrix", rt.Method, rt.Path)
			continue
		}
		if r.method != rt.Method {
			t.Errorf("%s: method %s, the table says %s", rt.Function, r.method, rt.Method)
		}
	}
	checked := 0
	for _, rt := range routes.Table {
		r := rows[rt.Function]
		t.Run(rt.Function, func(t *testing.T) {
			var got [8]int
			for i, p := range principals {
				path, body := r.path(), r.body()
				if r.before != nil {
					r.before()
				}
				pc := p.with(t)
				pc.unlisted = r.method == "OPTIONS" // the document names OPTIONS /v1/{proxy}
				var hdr []string
				if rt.Function == "create-import" {
					hdr = []string{"Content-Type", "text/csv"}
				}
				res := pc.call(r.method, path, body, hdr...)
				got[i] = res.Status
				checked++
			}
			if got != r.want {
				var diff []string
				for i := range got {
					if got[i] != r.want[i] {
						diff = append(diff, fmt.Sprintf("%s got %d, want %d", principalNames[i], got[i], r.want[i]))
					}
				}
				t.Errorf("%s %s: %s", r.method, rt.Path, strings.Join(diff, "; "))
			}
		})
	}
	t.Logf("%d routes × %d principals: %d requests checked", len(routes.Table), len(principals), checked)
}
