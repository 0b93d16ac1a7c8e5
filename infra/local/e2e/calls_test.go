package e2e

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/infra/local/faults"
)

// depth is how many calls run one after another: the longest chain of
// calls in which each starts after the one before it ended.
func depth(calls []faults.Call) int {
	sort.Slice(calls, func(i, j int) bool { return calls[i].End.Before(calls[j].End) })
	best := make([]int, len(calls))
	max := 0
	for i := range calls {
		best[i] = 1
		for j := 0; j < i; j++ {
			if !calls[i].Start.Before(calls[j].End) && best[j]+1 > best[i] {
				best[i] = best[j] + 1
			}
		}
		if best[i] > max {
			max = best[i]
		}
	}
	return max
}

func summarize(calls []faults.Call) string {
	count := map[string]int{}
	var names []string
	for _, c := range calls {
		if count[c.Name] == 0 {
			names = append(names, c.Name)
		}
		count[c.Name]++
	}
	var parts []string
	for _, n := range names {
		short := strings.NewReplacer("DynamoDB.", "", "Cognito Identity Provider.", "", "SESv2.", "").Replace(n)
		if count[n] > 1 {
			short = fmt.Sprintf("%s×%d", short, count[n])
		}
		parts = append(parts, short)
	}
	return strings.Join(parts, " ")
}

// callCase is one operation, made on fresh data, with the fewest AWS calls
// it can make and how many of them must run one after another.
type callCase struct {
	name        string
	do          func() int
	min, serial int
	why         string
}

func TestAWSCallsPerOperation(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	users := "/v1/customers/" + cu.ID + "/users"
	op.addPortal(cu.ID, "P", "https://p.example")
	status := func(c *client, method, path string, body any) func() int {
		return func() int { return c.call(method, path, body).Status }
	}
	unconfirmed := func() string { return op.invite(cu.ID, map[string]any{"email": uniqueEmail("c")}).ID }
	enabledUser := func() string { u, _ := portalUser(t, op, cu.ID, false); return u.ID }
	var cases []callCase
	add := func(name string, setup func() func() int, min, serial int, why string) {
		cases = append(cases, callCase{name: name, do: setup(), min: min, serial: serial, why: why})
	}
	add("GET /v1/me (operator)", func() func() int { return status(op, "GET", "/v1/me", nil) }, 1, 1, "the caller's memberships")
	add("GET /v1/customers", func() func() int { return status(op, "GET", "/v1/customers", nil) }, 2, 2, "caller; one index page")
	add("POST /v1/customers", func() func() int { return status(op, "POST", "/v1/customers", map[string]any{"name": unique("C ")}) }, 2, 2, "caller; one transaction (customer, audit)")
	add("GET customer", func() func() int { return status(op, "GET", "/v1/customers/"+cu.ID, nil) }, 2, 1, "caller ∥ the customer (read with the caller for its standing, and answered)")
	add("GET portals", func() func() int { return status(op, "GET", "/v1/customers/"+cu.ID+"/portals", nil) }, 3, 2, "caller ∥ the customer's standing; the customer's partition")
	add("POST portal", func() func() int {
		return status(op, "POST", "/v1/customers/"+cu.ID+"/portals", map[string]any{"name": "Q", "url": "https://q.example"})
	}, 8, 7, "caller ∥ the customer's standing; the customer (its name goes on the client's record); one transaction (setup, audit, marker); CreateUserPoolClient; CreateManagedLoginBranding; one transaction (the client's id and record); clear the marker")
	add("PATCH portal (name)", func() func() int {
		id := op.newPortal(cu.ID).ID
		return status(op, "PATCH", "/v1/customers/"+cu.ID+"/portals/"+id, map[string]any{"name": unique("R ")})
	}, 6, 5, "caller ∥ the customer's standing; the customer's partition; one transaction; UpdateUserPoolClient; clear the marker")
	add("DELETE portal", func() func() int {
		id := op.newPortal(cu.ID).ID
		return status(op, "DELETE", "/v1/customers/"+cu.ID+"/portals/"+id, nil)
	}, 7, 6, "caller ∥ the customer's standing; the customer's partition; one transaction (setup, client record, origins, audit, marker); DeleteUserPoolClient; the members linked; clear the marker")
	desk := op.newPortal(cu.ID)
	_, linked := linkedUser(t, op, cu.ID, desk.ID)
	pc := portalClient(t, desk, linked)
	add("GET /v1/portal-access", func() func() int { return status(pc, "GET", "/v1/portal-access", nil) }, 2, 1,
		"the caller's memberships ∥ the portal of the token's client (strongly consistent): one lookup beyond the caller's")
	add("GET /v1/me (portal's token)", func() func() int { return status(pc, "GET", "/v1/me", nil) }, 3, 2,
		"the caller's memberships ∥ the portal of the token's client; the directory (customer, portals)")
	add("GET users by category (operator)", func() func() int { return status(op, "GET", users+"?status=unconfirmed", nil) }, 3, 2, "caller ∥ the customer (its standing, and that it exists); one index page")
	add("GET audit trail (operator)", func() func() int { return status(op, "GET", "/v1/customers/"+cu.ID+"/audit-events", nil) }, 3, 2, "caller ∥ the customer (its standing, and that it exists); one page")
	add("POST user (invite)", func() func() int { return status(op, "POST", users, map[string]any{"email": uniqueEmail("i")}) }, 5, 4,
		"caller ∥ customer; one transaction (member, e-mail, token, audit, rate); send; record delivery")
	add("POST users/bulk (2 e-mails)", func() func() int {
		return status(op, "POST", users+"/bulk", map[string]any{"emails": []string{uniqueEmail("b"), uniqueEmail("b")}})
	}, 9, 5, "caller ∥ customer; the rate count; per e-mail, at once: transaction, send, record")
	// Imports (issue 17).
	imports := "/v1/customers/" + cu.ID + "/imports"
	// Added, not invited (sendInvitation no): the consumer that works them
	// after this test sends no e-mail that a later test would count.
	csvFile := func() []byte {
		return []byte("email,sendInvitation\n" + uniqueEmail("f") + ",no\n" + uniqueEmail("f") + ",no\nnot an address,\n")
	}
	upload := func(path string) func() int {
		return func() int { return op.call("POST", path, csvFile(), "Content-Type", "text/csv").Status }
	}
	finished := func() string {
		var i struct{ ID string }
		op.expect(op.call("POST", imports, []byte("email\nnot an address\n"), "Content-Type", "text/csv"), 202).json(t, &i)
		return imports + "/" + i.ID
	}
	add("POST imports?dryRun=true (3 rows)", func() func() int { return upload(imports + "?dryRun=true") }, 3, 2,
		"caller ∥ the customer with its portal setups; the customer's e-mail records (keys only, one page per ~15,000)")
	add("POST imports (3 rows)", func() func() int { return upload(imports) }, 5, 4,
		"caller ∥ the customer with its portal setups; one transaction (the chunks, the import, the customer's standing); SendMessageBatch (10 chunks a call); mark it queued")
	add("GET import", func() func() int { return status(op, "GET", finished(), nil) }, 3, 2, "caller ∥ the customer's standing; the import")
	add("GET import outcomes", func() func() int { path := finished() + "/outcomes"; return status(op, "GET", path, nil) }, 4, 3,
		"caller ∥ the customer's standing; the import; its chunks (one Query page per ~1 MB)")
	add("GET user", func() func() int { id := unconfirmed(); return status(op, "GET", users+"/"+id, nil) }, 3, 2, "caller ∥ the customer's standing; the member")
	add("PATCH user (name)", func() func() int {
		id := unconfirmed()
		return status(op, "PATCH", users+"/"+id, map[string]any{"name": "N"})
	}, 4, 3, "caller ∥ the customer's standing; the member; one transaction")
	add("PATCH user (accessUntil)", func() func() int {
		id := enabledUser()
		return status(op, "PATCH", users+"/"+id, map[string]any{"accessUntil": now().Add(240 * time.Hour).Format(time.RFC3339)})
	}, 4, 3, "caller ∥ the customer's standing; the member; one transaction (with the member's due-index item)")
	// Roles, in a customer of their own (its listing's members hold roles).
	rc := op.newCustomer("en")
	rusers := "/v1/customers/" + rc.ID + "/users"
	add("PATCH user (roles)", func() func() int {
		id := op.invite(rc.ID, map[string]any{"email": uniqueEmail("r")}).ID
		op.newRoles(rc.ID, unique("Role "))
		return status(op, "PATCH", rusers+"/"+id, map[string]any{"roles": "all"})
	}, 5, 4, "caller ∥ the customer's standing; the catalogue (to check the names, and to name them in the answer); the member; one transaction: no role item is touched")
	add("GET user (with roles)", func() func() int {
		id := op.invite(rc.ID, map[string]any{"email": uniqueEmail("r"), "roles": "all"}).ID
		return status(op, "GET", rusers+"/"+id, nil)
	}, 4, 3, "caller ∥ the customer's standing; the member; the catalogue (one Query, to name its roles)")
	add("GET users (members with roles)", func() func() int { return status(op, "GET", rusers, nil) }, 4, 3,
		"caller ∥ the customer (its standing, and that it exists); one index page; the catalogue (one Query, only when a member on the page holds roles)")
	add("POST users/actions (disable 1)", func() func() int {
		id := enabledUser()
		return status(op, "POST", users+"/actions", map[string]any{"action": "disable", "userIds": []string{id}})
	}, 9, 8, "caller ∥ the customer's standing; per user, at most 8 at once, what POST disable does: member; transaction (with the identity marker); memberships; AdminDisableUser; AdminUserGlobalSignOut; memberships again; clear the marker")
	add("POST disable", func() func() int { id := enabledUser(); return status(op, "POST", users+"/"+id+"/disable", nil) }, 9, 8,
		"caller ∥ the customer's standing; member; transaction (with the identity marker); the identity's memberships; AdminDisableUser; AdminUserGlobalSignOut; the memberships again (a change meanwhile is acted on too); clear the marker")
	add("POST enable", func() func() int {
		id := enabledUser()
		op.post(users+"/"+id+"/disable", nil, 200)
		return status(op, "POST", users+"/"+id+"/enable", nil)
	}, 8, 7, "caller ∥ the customer's standing; member; transaction; memberships; AdminEnableUser; memberships again; clear the marker")
	add("POST reinvite", func() func() int {
		id := unconfirmed()
		clockOffset.Add(int64(3 * time.Second))
		return status(op, "POST", users+"/"+id+"/reinvite", nil)
	}, 7, 5, "caller ∥ the customer's standing; member ∥ customer; transaction (rotation, audit, rate); send; record delivery")
	add("DELETE unconfirmed user", func() func() int { id := unconfirmed(); return status(op, "DELETE", users+"/"+id, nil) }, 4, 3, "caller ∥ the customer's standing; member; one transaction (revokes the token)")
	add("DELETE user with an identity", func() func() int { id := enabledUser(); return status(op, "DELETE", users+"/"+id, nil) }, 9, 8,
		"caller ∥ the customer's standing; member; one transaction (with the identity marker: Cognito waits for the table's yes); the identity's memberships; the lease on deleting it (no accept links it meanwhile); the memberships again, under the lease; AdminDeleteUser; clear the marker")
	add("POST invitations/inspect", func() func() int {
		_, _, tok := invitee(t, op, cu.ID, "in")
		return status(anonymous(t), "POST", "/v1/invitations/inspect", map[string]any{"token": tok})
	}, 5, 3, "rate count; the token; the customer and its portals ∥ the member (its portals) ∥ AdminGetUser")
	add("POST invitations/accept (new account)", func() func() int {
		_, _, tok := invitee(t, op, cu.ID, "ac")
		return status(anonymous(t), "POST", "/v1/invitations/accept", map[string]any{"token": tok, "password": password})
	}, 9, 8, "rate count; claim the token; member; AdminGetUser ∥ the customer and its portals (the answer names them); the pending-identity marker (the table hears of the identity before Cognito makes it); AdminCreateUser; AdminSetUserPassword; one transaction")
	// The organization profile, a customer's life time, the provider's trail.
	prof := "/v1/customers/" + cu.ID
	newAddress := func() string { return op.addAddress(cu.ID) }
	add("GET addresses", func() func() int { newAddress(); return status(op, "GET", prof+"/addresses", nil) }, 3, 2,
		"caller ∥ the customer (its standing, and that it exists); the partition's addresses")
	add("POST address", func() func() int {
		return status(op, "POST", prof+"/addresses", map[string]any{"kind": "legal", "lines": []string{"Coolsingel 1"},
			"postalCode": "3011 AD", "city": "Rotterdam", "country": "NL"})
	}, 3, 2, "caller ∥ the customer; one transaction (the customer's count, the address, audit)")
	add("PATCH address", func() func() int { p := newAddress(); return status(op, "PATCH", p, map[string]any{"city": "Delft"}) }, 4, 3,
		"caller ∥ the customer; the addresses; one transaction (the address on its version, audit)")
	add("DELETE address", func() func() int { p := newAddress(); return status(op, "DELETE", p, nil) }, 4, 3,
		"caller ∥ the customer; the addresses; one transaction (the address, the count, audit)")
	add("GET service agreements", func() func() int { return status(op, "GET", prof+"/service-agreements", nil) }, 3, 2,
		"caller ∥ the customer; the partition's agreements")
	add("POST service agreement", func() func() int {
		return status(op, "POST", prof+"/service-agreements", map[string]any{"name": "Maintenance", "reference": unique("SLA-"),
			"startsOn": "2026-01-01", "endsOn": "2026-12-31"})
	}, 3, 2, "caller ∥ the customer; one transaction")
	// Webhook subscriptions (issue 16), in a customer of their own (at
	// most 10 each).
	whc := "/v1/customers/" + op.newCustomer("en").ID + "/webhooks"
	newHook := func() string {
		var w struct{ ID string }
		op.post(whc, map[string]any{"url": deadURL, "eventTypes": []string{"customer.offboarded"}}, 201).json(t, &w)
		return whc + "/" + w.ID
	}
	add("GET webhooks", func() func() int { return status(op, "GET", whc, nil) }, 3, 2, "caller ∥ the customer; the partition's subscriptions")
	add("POST webhook", func() func() int {
		return status(op, "POST", whc, map[string]any{"url": deadURL, "eventTypes": []string{"customer.offboarded"}})
	}, 3, 2, "caller ∥ the customer; one transaction (the customer's count, the subscription, audit)")
	add("GET webhook", func() func() int { p := newHook(); return status(op, "GET", p, nil) }, 3, 2, "caller ∥ the customer; the subscriptions")
	add("PATCH webhook", func() func() int { p := newHook(); return status(op, "PATCH", p, map[string]any{"paused": true}) }, 4, 3,
		"caller ∥ the customer; the subscriptions; one transaction (the subscription on its version, audit)")
	add("DELETE webhook", func() func() int { p := newHook(); return status(op, "DELETE", p, nil) }, 4, 3,
		"caller ∥ the customer; the subscriptions; one transaction (the subscription, the count, audit)")
	add("POST rotate-secret", func() func() int { p := newHook(); return status(op, "POST", p+"/rotate-secret", nil) }, 4, 3,
		"caller ∥ the customer; the subscriptions; one transaction (the new secret sealed, audit)")
	add("GET webhook deliveries", func() func() int { p := newHook(); return status(op, "GET", p+"/deliveries", nil) }, 4, 3,
		"caller ∥ the customer; the subscriptions (that it exists); one page of its log")
	add("PATCH customer (name)", func() func() int { return status(op, "PATCH", prof, map[string]any{"name": unique("Renamed ")}) }, 4, 3,
		"caller ∥ the customer; the customer and its portal setups (their client records carry its name); one transaction")
	lifetime := 3600
	add("PATCH customer (policy)", func() func() int {
		lifetime++
		return status(op, "PATCH", prof, map[string]any{"policy": map[string]any{"invitationLifetimeSeconds": lifetime}})
	}, 4, 3, "caller ∥ the customer; the customer and its portal setups; one transaction: the policy is part of the customer")
	add("DELETE customer (offboarding accepted)", func() func() int {
		c := op.newCustomer("en")
		return status(op, "DELETE", "/v1/customers/"+c.ID, nil)
	}, 3, 3, "caller; the customer and its portal setups; one transaction (mark, listing, client records, job, provider's event): the work is the sweep's")
	add("GET job", func() func() int {
		var a struct{ Job struct{ ID string } }
		op.expect(op.call("DELETE", "/v1/customers/"+op.newCustomer("en").ID, nil), 202).json(t, &a)
		return status(op, "GET", "/v1/jobs/"+a.Job.ID, nil)
	}, 2, 2, "caller; the job")
	add("GET /v1/audit-events", func() func() int { return status(op, "GET", "/v1/audit-events", nil) }, 2, 2, "caller; one page")
	// The operators' second factor.
	add("POST /v1/me/mfa (enrolled already)", func() func() int { return status(op, "POST", "/v1/me/mfa", nil) }, 1, 1, "the caller's memberships")
	add("POST /v1/me/mfa", func() func() int {
		_, c, _ := unenrolled(t, op)
		if _, err := st.SetUpTOTP(t.Context(), c.token); err != nil {
			t.Fatal(err)
		}
		return status(c, "POST", "/v1/me/mfa", nil)
	}, 5, 5, "the caller's memberships; AdminSetUserMFAPreference (preferred; refused for an app never verified); AdminGetUser (it is on); the operator; one transaction (mark, audit)")
	add("DELETE operator mfa", func() func() int {
		u, _ := operator(t, op, "technician")
		return status(op, "DELETE", "/v1/operators/"+u.ID+"/mfa", nil)
	}, 6, 6, "caller; the operator; one transaction (mark cleared, reset pending, audit); AdminSetUserMFAPreference (off); AdminUserGlobalSignOut; one transaction (no longer pending)")
	// The role catalogue (issue 14, part B).
	newRole := func() string {
		var r struct{ ID string }
		op.post(prof+"/roles", map[string]any{"name": unique("Role ")}, 201).json(t, &r)
		return prof + "/roles/" + r.ID
	}
	add("GET roles", func() func() int { newRole(); return status(op, "GET", prof+"/roles", nil) }, 3, 2,
		"caller ∥ the customer (its standing, and that it exists); the partition's roles")
	add("POST role", func() func() int { return status(op, "POST", prof+"/roles", map[string]any{"name": unique("Role ")}) }, 3, 2,
		"caller ∥ the customer; one transaction (the customer's count, the role, its name record, audit)")
	add("PATCH role (rename)", func() func() int {
		p := newRole()
		return status(op, "PATCH", p, map[string]any{"name": unique("Renamed ")})
	}, 4, 3,
		"caller ∥ the customer; the roles; one transaction (the role on its version, the name records moved, audit): no member is touched")
	add("DELETE role", func() func() int { p := newRole(); return status(op, "DELETE", p, nil) }, 4, 3,
		"caller ∥ the customer; the roles; one transaction (the role, its name record, the count, audit): no member is touched")

	var rows []string
	// Calls made at once overlap by the hold, however busy the machine is:
	// "in a row" counts only calls that really wait for one another.
	injector.Hold(100 * time.Millisecond)
	defer injector.Hold(0)
	for _, c := range cases {
		injector.Record()
		code := c.do()
		calls := injector.Calls()
		if code >= 300 {
			t.Errorf("%s answered %d", c.name, code)
		}
		got, serial := len(calls), depth(calls)
		rows = append(rows, fmt.Sprintf("| %s | %d | %d | %d | %d | %s | %s |", c.name, got, c.min, serial, c.serial, summarize(calls), c.why))
		if got != c.min || serial != c.serial {
			t.Errorf("%s: %d calls (%d in a row), the minimum is %d (%d in a row): %s", c.name, got, serial, c.min, c.serial, summarize(calls))
		}
	}
	t.Logf("\n| operation | calls | minimum | in a row | minimum in a row | calls made | why |\n| --- | --- | --- | --- | --- | --- | --- |\n%s", strings.Join(rows, "\n"))
}
