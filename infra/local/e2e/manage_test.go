package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestTechnicianDisablesAUserAndTheUserIsRefusedAtOnce(t *testing.T) {
	op := operatorAdmin(t)
	_, tech := operator(t, op, "technician")
	cu := op.newCustomer("en")
	u, jane := portalUser(t, op, cu.ID, false)
	jane.get("/v1/me", 200)

	var got user
	tech.post("/v1/customers/"+cu.ID+"/users/"+u.ID+"/disable", nil, 200).json(t, &got)
	if got.Status != "disabled" || got.Version != u.Version+2 { // accepted, then disabled
		t.Fatalf("%+v", got)
	}
	// The very next request with the same, unexpired token is refused.
	if p := jane.call("GET", "/v1/me", nil); p.Status != 401 {
		t.Fatalf("a disabled user's next request answered %d", p.Status)
	}
	if enabled, found := identity(t, u.Email); !found || enabled {
		t.Fatalf("Cognito identity: enabled %v, found %v; want disabled", enabled, found)
	}
	if n := len(op.listUsers(cu.ID, "?status=disabled").Items); n != 1 {
		t.Fatalf("%d disabled", n)
	}
	// Disabling again changes nothing and is no error.
	tech.post("/v1/customers/"+cu.ID+"/users/"+u.ID+"/disable", nil, 200).json(t, &got)
	if got.Version != u.Version+2 {
		t.Fatalf("a second disable wrote a new version: %d", got.Version)
	}
	tech.post("/v1/customers/"+cu.ID+"/users/"+u.ID+"/enable", nil, 200).json(t, &got)
	if got.Status != "enabled" {
		t.Fatal(got.Status)
	}
	jane.get("/v1/me", 200)
	if enabled, _ := identity(t, u.Email); !enabled {
		t.Fatal("the identity was not enabled again")
	}
	// A technician reads customers but does not create them or operators.
	tech.get("/v1/customers/"+cu.ID, 200)
	tech.expect(tech.call("POST", "/v1/customers", map[string]any{"name": "X"}), 403)
	tech.expect(tech.call("GET", "/v1/operators", nil), 403)
}

func TestAnUnconfirmedUserCannotBeEnabledOrDisabled(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	u := op.invite(cu.ID, map[string]any{"email": uniqueEmail("pending")})
	for _, action := range []string{"enable", "disable"} {
		p := op.expect(op.call("POST", "/v1/customers/"+cu.ID+"/users/"+u.ID+"/"+action, nil), 409).problem(t)
		if p.Code != "invalid_state" {
			t.Fatal(p)
		}
	}
}

func TestPortalAdminManagesTheUsersOfTheirOwnCustomerOnly(t *testing.T) {
	op := operatorAdmin(t)
	acme, other := op.newCustomer("en"), op.newCustomer("en")
	_, admin := portalUser(t, op, acme.ID, true)
	stranger := op.invite(other.ID, map[string]any{"email": uniqueEmail("stranger")})

	admin.newRoles(acme.ID, "Portal managers")
	bob := admin.invite(acme.ID, map[string]any{"email": uniqueEmail("bob"), "roles": []string{"Portal managers"}})
	if n := len(admin.listUsers(acme.ID, "").Items); n != 2 {
		t.Fatalf("%d users", n)
	}
	admin.get("/v1/customers/"+acme.ID+"/users/"+bob.ID, 200)
	admin.get("/v1/customers/"+acme.ID, 200)
	admin.get("/v1/customers/"+acme.ID+"/portals", 200)
	// Another customer's resources do not exist for them: 404, never 403.
	for _, path := range []string{
		"/v1/customers/" + other.ID, "/v1/customers/" + other.ID + "/users",
		"/v1/customers/" + other.ID + "/users/" + stranger.ID, "/v1/customers/" + other.ID + "/audit-events",
	} {
		admin.expect(admin.call("GET", path, nil), 404)
	}
	admin.expect(admin.call("POST", "/v1/customers/"+other.ID+"/users", map[string]any{"email": uniqueEmail("x")}), 404)
	admin.expect(admin.call("DELETE", "/v1/customers/"+other.ID+"/users/"+stranger.ID, nil), 404)
	// A user id of another customer under their own customer is not found either.
	admin.expect(admin.call("GET", "/v1/customers/"+acme.ID+"/users/"+stranger.ID, nil), 404)
	// They are not operators.
	admin.expect(admin.call("GET", "/v1/customers", nil), 403)
	admin.expect(admin.call("POST", "/v1/customers/"+acme.ID+"/portals", map[string]any{"name": "P", "url": "https://p.example"}), 403)
}

func TestPortalAdminCannotRemoveTheLastEnabledAdmin(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	me, admin := portalUser(t, op, cu.ID, true)
	base := "/v1/customers/" + cu.ID + "/users/" + me.ID
	// Each refusal is checked for what it leaves: nothing. The admin is the
	// same user at the same version, signs in, works, and was sent nothing.
	for _, tc := range []struct {
		name string
		call func() *response
	}{
		{"delete", func() *response { return admin.call("DELETE", base, nil) }},
		{"disable", func() *response { return admin.call("POST", base+"/disable", nil) }},
		{"demote", func() *response { return admin.call("PATCH", base, map[string]any{"admin": false}) }},
	} {
		before := refusalWitness(t, op, cu.ID, me)
		res := tc.call()
		if res.Status != 409 || res.problem(t).Code != "last_admin" {
			t.Fatalf("%s: %d %s", tc.name, res.Status, res.Body)
		}
		if after := refusalWitness(t, op, cu.ID, me); after != before {
			t.Fatalf("%s was refused but changed something:\n before %s\n after  %s", tc.name, before, after)
		}
		token, _ := signIn(t, me.Email, password)
		admin = &client{t: t, token: token}
		admin.get("/v1/customers/"+cu.ID+"/users", 200)
	}
	// With a second admin, one of them may step down.
	second, admin2 := portalUser(t, op, cu.ID, true)
	admin.expect(admin.call("PATCH", base, map[string]any{"admin": false}), 200)
	// Now admin2 is the last one; admin has lost the right to manage users.
	admin.expect(admin.call("GET", "/v1/customers/"+cu.ID+"/users", nil), 403)
	res := admin2.call("POST", "/v1/customers/"+cu.ID+"/users/"+second.ID+"/disable", nil)
	if res.Status != 409 || res.problem(t).Code != "last_admin" {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	// Operators are not bound by the rule.
	op.post("/v1/customers/"+cu.ID+"/users/"+second.ID+"/disable", nil, 200)
}

// refusalWitness is what a refused change must leave as it was: the
// member (its version included), its sign-in identity, the e-mails sent to
// it and the length of the audit trail.
func refusalWitness(t *testing.T, op *client, customerID string, m user) string {
	t.Helper()
	path := "/v1/operators/" + m.ID
	trail := "/v1/customers/" + customerID + "/audit-events?limit=200"
	if customerID == "" {
		trail = ""
	} else {
		path = "/v1/customers/" + customerID + "/users/" + m.ID
	}
	var u user
	op.get(path, 200).json(t, &u)
	enabled, found := identity(t, m.Email)
	events := -1
	if trail != "" {
		var p page[map[string]any]
		op.get(trail, 200).json(t, &p)
		events = len(p.Items)
	}
	return fmt.Sprintf("status=%s admin=%v role=%s version=%d identity(found=%v enabled=%v) emails=%d events=%d",
		u.Status, u.Admin, u.Role, u.Version, found, enabled, len(emailsTo(t, m.Email)), events)
}

// The provider keeps an enabled operator admin: the last one can neither
// disable, demote nor delete themselves, and after each refusal still signs
// in with their identity untouched. The test makes itself the last one, so
// that it does not depend on what earlier tests left.
func TestTheLastOperatorAdminCannotRemoveThemselves(t *testing.T) {
	op := operatorAdmin(t)
	var self user
	var others []user
	for _, o := range all[user](op, "/v1/operators?status=enabled&limit=200") {
		switch {
		case o.Email == st.Info.Admin.Email:
			self = o
		case o.Role == "admin":
			others = append(others, o)
		}
	}
	if self.ID == "" {
		t.Fatal("the first operator admin is not listed")
	}
	for _, o := range others {
		op.post("/v1/operators/"+o.ID+"/disable", nil, 200)
	}
	defer func() {
		for _, o := range others {
			op.post("/v1/operators/"+o.ID+"/enable", nil, 200)
		}
	}()
	base := "/v1/operators/" + self.ID
	for _, tc := range []struct {
		name string
		call func() *response
	}{
		{"delete", func() *response { return op.call("DELETE", base, nil) }},
		{"disable", func() *response { return op.call("POST", base+"/disable", nil) }},
		{"demote", func() *response { return op.call("PATCH", base, map[string]any{"role": "technician"}) }},
	} {
		before := refusalWitness(t, op, "", self)
		res := tc.call()
		if res.Status != 409 || res.problem(t).Code != "last_admin" {
			t.Fatalf("%s: the last operator admin was not refused: %d %s", tc.name, res.Status, res.Body)
		}
		if after := refusalWitness(t, op, "", self); after != before {
			t.Fatalf("%s was refused but changed something:\n before %s\n after  %s", tc.name, before, after)
		}
		op = operatorAdmin(t) // signs in again
		op.get("/v1/operators", 200)
	}
}

func TestTwoPortalAdminsDemotingEachOtherCannotBothSucceed(t *testing.T) {
	op := operatorAdmin(t)
	for round := range 5 {
		cu := op.newCustomer("en")
		a, ca := portalUser(t, op, cu.ID, true)
		b, cb := portalUser(t, op, cu.ID, true)
		var wg sync.WaitGroup
		var ra, rb *response
		wg.Add(2)
		go func() {
			defer wg.Done()
			ra = ca.call("PATCH", "/v1/customers/"+cu.ID+"/users/"+b.ID, map[string]any{"admin": false})
		}()
		go func() {
			defer wg.Done()
			rb = cb.call("PATCH", "/v1/customers/"+cu.ID+"/users/"+a.ID, map[string]any{"admin": false})
		}()
		wg.Wait()
		ok := 0
		for _, r := range []*response{ra, rb} {
			switch r.Status {
			case 200:
				ok++
			case 403, 409: // lost: no longer an admin, or the last one
			default:
				t.Fatalf("round %d: %d %s", round, r.Status, r.Body)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d demotions succeeded; exactly one must (%s / %s)", round, ok, ra.Body, rb.Body)
		}
		admins := 0
		for _, u := range op.listUsers(cu.ID, "?status=enabled").Items {
			if u.Admin {
				admins++
			}
		}
		if admins != 1 {
			t.Fatalf("round %d: %d admins left", round, admins)
		}
	}
}

func TestAdminBulkInvitesAHundredAddresses(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	p := op.addPortal(cu.ID, "Main", "https://p.example")
	existing := op.invite(cu.ID, map[string]any{"email": uniqueEmail("existing")})
	prefix := unique("bulk")
	emails := []string{existing.Email, "not an address", strings.ToUpper(prefix) + "-0@ACME.example"}
	for i := 1; len(emails) < 99; i++ {
		emails = append(emails, fmt.Sprintf("%s-%d@acme.example", prefix, i))
	}
	emails = append(emails, prefix+"-5@acme.example") // twice in one request
	var out struct {
		Results []struct {
			Email   string `json:"email"`
			Outcome string `json:"outcome"`
			User    *user  `json:"user"`
			Error   *struct {
				Code string `json:"code"`
			} `json:"error"`
		} `json:"results"`
	}
	op.newRoles(cu.ID, "Readers")
	op.post("/v1/customers/"+cu.ID+"/users/bulk", map[string]any{
		"emails": emails, "roles": []string{"Readers"}, "portalIds": []string{p.ID},
	}, 200).json(t, &out)
	if len(out.Results) != 100 {
		t.Fatalf("%d results", len(out.Results))
	}
	counts := map[string]int{}
	for i, r := range out.Results {
		counts[r.Outcome]++
		if r.Outcome == "invited" {
			local := strings.Split(r.Email, "@")[0]
			if r.User == nil || r.User.Name != local || r.User.Status != "unconfirmed" || len(r.User.PortalIDs) != 1 || r.User.Roles[0] != "Readers" {
				t.Fatalf("result %d: %+v", i, r.User)
			}
		}
	}
	if out.Results[0].Outcome != "already_member" || out.Results[1].Outcome != "invalid" || out.Results[1].Error == nil ||
		out.Results[2].Outcome != "invited" || out.Results[2].Email != prefix+"-0@acme.example" || out.Results[99].Outcome != "already_member" {
		t.Fatalf("first results: %+v", out.Results[:3])
	}
	if counts["invited"] != 97 || counts["already_member"] != 2 || counts["invalid"] != 1 {
		t.Fatalf("outcomes %v", counts)
	}
	if n := len(op.listUsers(cu.ID, "?status=unconfirmed&limit=200").Items); n != 98 {
		t.Fatalf("%d unconfirmed users", n)
	}
	if len(emailsTo(t, prefix+"-42@acme.example")) != 1 {
		t.Fatal("no invitation e-mail")
	}
	over := make([]string, 101)
	for i := range over {
		over[i] = fmt.Sprintf("o%d@acme.example", i)
	}
	p2 := op.expect(op.call("POST", "/v1/customers/"+cu.ID+"/users/bulk", map[string]any{"emails": over}), 400).problem(t)
	if p2.Errors[0].Field != "emails" {
		t.Fatal(p2)
	}
}

func TestAdminUpdatesAUserWithIfMatch(t *testing.T) {
	op := operatorAdmin(t)
	cu, other := op.newCustomer("en"), op.newCustomer("en")
	p := op.addPortal(cu.ID, "A", "https://a.example")
	foreign := op.addPortal(other.ID, "B", "https://b.example")
	u := op.invite(cu.ID, map[string]any{"email": uniqueEmail("edit")})
	path := "/v1/customers/" + cu.ID + "/users/" + u.ID
	op.newRoles(cu.ID, "Billing")
	var got user
	res := op.expect(op.call("PATCH", path, map[string]any{"name": "Jane Doe", "admin": true, "roles": []string{"Billing", "billing"}, "portalIds": []string{p.ID}}, "If-Match", `"1"`), 200)
	res.json(t, &got)
	if got.Name != "Jane Doe" || !got.Admin || len(got.Roles) != 1 || got.PortalIDs[0] != p.ID || got.Version != 2 || res.Header.Get("ETag") != `"2"` {
		t.Fatalf("%+v", got)
	}
	// A stale If-Match is refused, and nothing changes.
	pr := op.expect(op.call("PATCH", path, map[string]any{"name": "Stale"}, "If-Match", `"1"`), 412).problem(t)
	if pr.Code != "version_mismatch" {
		t.Fatal(pr)
	}
	// Another customer's portal setup cannot be linked.
	op.expect(op.call("PATCH", path, map[string]any{"portalIds": []string{foreign.ID}}), 400)
	op.expect(op.call("PATCH", path, map[string]any{}), 400)
	op.expect(op.call("PATCH", path, map[string]any{"name": "x"}, "If-Match", "yesterday"), 400)
	op.get(path, 200).json(t, &got)
	if got.Name != "Jane Doe" || got.Version != 2 {
		t.Fatalf("refused changes changed the user: %+v", got)
	}
	// Without If-Match the change applies to the current version.
	op.expect(op.call("PATCH", path, map[string]any{"roles": []string{}}), 200).json(t, &got)
	if len(got.Roles) != 0 || got.Version != 3 {
		t.Fatalf("%+v", got)
	}
}

func TestAdminDeletesAUserAndTheIdentityGoesWithTheLastMembership(t *testing.T) {
	op := operatorAdmin(t)
	a, b := op.newCustomer("en"), op.newCustomer("en")
	ua, jane := portalUser(t, op, a.ID, false)
	ub := op.invite(b.ID, map[string]any{"email": ua.Email})
	if got := accept(t, ua.Email); got.SignIn != "existing_account" {
		t.Fatalf("the second membership should link the existing account: %+v", got)
	}
	op.expect(op.call("DELETE", "/v1/customers/"+a.ID+"/users/"+ua.ID, nil), 204)
	op.expect(op.call("GET", "/v1/customers/"+a.ID+"/users/"+ua.ID, nil), 404)
	// Still a member of b: the identity stays and signs in.
	if _, found := identity(t, ua.Email); !found {
		t.Fatal("the identity went while a membership remains")
	}
	var me struct {
		Memberships []struct {
			CustomerID string `json:"customerId"`
		} `json:"memberships"`
	}
	jane.get("/v1/me", 200).json(t, &me)
	if len(me.Memberships) != 1 || me.Memberships[0].CustomerID != b.ID {
		t.Fatalf("%+v", me)
	}
	op.expect(op.call("DELETE", "/v1/customers/"+b.ID+"/users/"+ub.ID, nil), 204)
	if _, found := identity(t, ua.Email); found {
		t.Fatal("the identity stays without memberships")
	}
	jane.expect(jane.call("GET", "/v1/me", nil), 401)
	// The e-mail is free again.
	op.invite(a.ID, map[string]any{"email": ua.Email})
}

func TestAnIdempotencyKeyReturnsTheFirstAnswer(t *testing.T) {
	op := operatorAdmin(t)
	key := unique("key")
	var c1, c2 customer
	body := map[string]any{"name": unique("Idem "), "locale": "nl"}
	op.post("/v1/customers", body, 201, "Idempotency-Key", key).json(t, &c1)
	op.post("/v1/customers", body, 201, "Idempotency-Key", key).json(t, &c2)
	if c1.ID != c2.ID {
		t.Fatalf("two customers: %s %s", c1.ID, c2.ID)
	}
	pr := op.expect(op.call("POST", "/v1/customers", map[string]any{"name": "Other"}, "Idempotency-Key", key), 422).problem(t)
	if pr.Code != "idempotency_key_reused" {
		t.Fatal(pr)
	}
	addr := uniqueEmail("idem")
	var u1, u2 user
	op.post("/v1/customers/"+c1.ID+"/users", map[string]any{"email": addr}, 201, "Idempotency-Key", key).json(t, &u1)
	op.post("/v1/customers/"+c1.ID+"/users", map[string]any{"email": addr}, 201, "Idempotency-Key", key).json(t, &u2)
	if u1.ID != u2.ID || len(emailsTo(t, addr)) != 1 {
		t.Fatalf("users %s %s, %d e-mails", u1.ID, u2.ID, len(emailsTo(t, addr)))
	}
	// Without the key the same invite is a conflict.
	op.expect(op.call("POST", "/v1/customers/"+c1.ID+"/users", map[string]any{"email": addr}), 409)
	// The same key at once from many clients still makes one customer.
	key2 := unique("burst")
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c customer
			op.post("/v1/customers", map[string]any{"name": "Burst"}, 201, "Idempotency-Key", key2).json(t, &c)
			ids[i] = c.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("one key made several customers: %v", ids)
		}
	}
}

func TestTheAuditTrailListsEveryChangeNewestFirst(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	u, _ := portalUser(t, op, cu.ID, false)
	path := "/v1/customers/" + cu.ID + "/users/" + u.ID
	op.expect(op.call("PATCH", path, map[string]any{"name": "Renamed"}), 200)
	op.post(path+"/disable", nil, 200)
	op.expect(op.call("DELETE", path, nil), 204)
	type event struct {
		Action string `json:"action"`
		Actor  struct {
			Kind  string `json:"kind"`
			Email string `json:"email"`
		} `json:"actor"`
		Target struct {
			ID string `json:"id"`
		} `json:"target"`
	}
	var all []event
	cursor := ""
	for {
		var p page[event]
		q := "?limit=2"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		op.get("/v1/customers/"+cu.ID+"/audit-events"+q, 200).json(t, &p)
		all = append(all, p.Items...)
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	var actions []string
	for _, e := range all {
		actions = append(actions, e.Action)
	}
	want := []string{"user.deleted", "user.disabled", "user.updated", "user.invitation_accepted", "user.invited", "customer.created"}
	if strings.Join(actions, ",") != strings.Join(want, ",") {
		t.Fatalf("audit trail %v, want %v", actions, want)
	}
	if all[0].Actor.Kind != "operator" || all[0].Actor.Email != st.Info.Admin.Email || all[0].Target.ID != u.ID {
		t.Fatalf("%+v", all[0])
	}
	if all[3].Actor.Kind != "portal_user" || all[3].Actor.Email != u.Email {
		t.Fatalf("the accept is recorded as the user's own act: %+v", all[3])
	}
}

func TestMeListsMembershipsWithTheirPortals(t *testing.T) {
	op := operatorAdmin(t)
	a, b := op.newCustomer("en"), op.newCustomer("nl")
	pa := op.addPortal(a.ID, "Service", "https://a.example/service")
	pb := op.addPortal(b.ID, "Billing", "https://b.example/billing")
	addr := uniqueEmail("multi")
	op.invite(a.ID, map[string]any{"email": addr, "portalIds": []string{pa.ID}, "admin": true})
	accept(t, addr)
	op.newRoles(b.ID, "Viewer")
	op.invite(b.ID, map[string]any{"email": addr, "portalIds": []string{pb.ID}, "roles": []string{"Viewer"}})
	accept(t, addr)
	token, _ := signIn(t, addr, password)
	var me struct {
		Email       string `json:"email"`
		Operator    any    `json:"operator"`
		Memberships []struct {
			CustomerID   string   `json:"customerId"`
			CustomerName string   `json:"customerName"`
			Admin        bool     `json:"admin"`
			Roles        []string `json:"roles"`
			Portals      []struct {
				ID, Name, URL string
			} `json:"portals"`
		} `json:"memberships"`
	}
	(&client{t: t, token: token}).get("/v1/me", 200).json(t, &me)
	if me.Email != addr || me.Operator != nil || len(me.Memberships) != 2 {
		t.Fatalf("%+v", me)
	}
	for _, m := range me.Memberships {
		switch m.CustomerID {
		case a.ID:
			if m.CustomerName != a.Name || !m.Admin || len(m.Portals) != 1 || m.Portals[0].URL != pa.URL {
				t.Fatalf("%+v", m)
			}
		case b.ID:
			if m.Admin || m.Roles[0] != "Viewer" || m.Portals[0].Name != "Billing" {
				t.Fatalf("%+v", m)
			}
		default:
			t.Fatalf("unknown membership %+v", m)
		}
	}
}

func TestOperatorAdminManagesTheProvidersStaff(t *testing.T) {
	op := operatorAdmin(t)
	u, tech := operator(t, op, "technician")
	tech.get("/v1/customers", 200)
	var got user
	op.get("/v1/operators/"+u.ID, 200).json(t, &got)
	if got.Role != "technician" || got.Status != "enabled" {
		t.Fatalf("%+v", got)
	}
	var list page[user]
	op.get("/v1/operators?status=enabled&search="+strings.Split(u.Email, "@")[0], 200).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != u.ID {
		t.Fatalf("%+v", list)
	}
	op.expect(op.call("PATCH", "/v1/operators/"+u.ID, map[string]any{"role": "admin"}), 200)
	tech.get("/v1/operators", 200) // an admin now
	op.post("/v1/operators/"+u.ID+"/disable", nil, 200)
	tech.expect(tech.call("GET", "/v1/me", nil), 401)
	op.post("/v1/operators/"+u.ID+"/enable", nil, 200)
	tech.get("/v1/me", 200)
	op.expect(op.call("DELETE", "/v1/operators/"+u.ID, nil), 204)
	tech.expect(tech.call("GET", "/v1/me", nil), 401)
	if _, found := identity(t, u.Email); found {
		t.Fatal("a deleted operator's identity remains")
	}
}

func TestListingByCategorySearchesAndPages(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	for i := range 5 {
		op.invite(cu.ID, map[string]any{"email": fmt.Sprintf("anna%d@acme.example", i)})
	}
	op.invite(cu.ID, map[string]any{"email": "bert@acme.example"})
	var seen []string
	q := "?status=unconfirmed&search=ANNA&limit=2"
	for pages := 0; ; pages++ {
		p := op.listUsers(cu.ID, q)
		for _, u := range p.Items {
			seen = append(seen, u.Email)
		}
		if p.NextCursor == nil {
			if pages != 2 {
				t.Fatalf("%d pages", pages+1)
			}
			break
		}
		q = "?status=unconfirmed&search=ANNA&limit=2&cursor=" + *p.NextCursor
		// The cursor belongs to this listing only.
		op.expect(op.call("GET", "/v1/customers/"+cu.ID+"/users?status=disabled&cursor="+*p.NextCursor, nil), 400)
	}
	if strings.Join(seen, ",") != "anna0@acme.example,anna1@acme.example,anna2@acme.example,anna3@acme.example,anna4@acme.example" {
		t.Fatalf("%v", seen)
	}
}

// A bulk invite replayed with its Idempotency-Key answers what it answered
// the first time and creates nothing again, even when its users have been
// deleted since: nobody is e-mailed twice by a retry.
func TestABulkInviteReplayedAfterItsUsersWereDeletedCreatesNobody(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	users := "/v1/customers/" + cu.ID + "/users"
	body := map[string]any{"emails": []string{uniqueEmail("rb"), uniqueEmail("rb")}}
	key := unique("bulk")
	first := op.post(users+"/bulk", body, 200, "Idempotency-Key", key)
	var out struct {
		Results []struct {
			Email, Outcome string
			User           *user
		}
	}
	first.json(t, &out)
	for _, r := range out.Results {
		if r.Outcome != "invited" {
			t.Fatalf("%+v", out)
		}
		op.expect(op.call("DELETE", users+"/"+r.User.ID, nil), 204)
	}
	trail := func() int {
		var p page[map[string]any]
		op.get("/v1/customers/"+cu.ID+"/audit-events?limit=200", 200).json(t, &p)
		return len(p.Items)
	}
	events := trail()
	again := op.post(users+"/bulk", body, 200, "Idempotency-Key", key)
	if string(again.Body) != string(first.Body) {
		t.Fatalf("the replay answers differently:\n%s\n%s", first.Body, again.Body)
	}
	if n := len(op.listUsers(cu.ID, "").Items); n != 0 {
		t.Fatalf("the replay created %d users again", n)
	}
	for _, r := range out.Results {
		if n := len(emailsTo(t, r.Email)); n != 1 {
			t.Fatalf("%s got %d e-mails", r.Email, n)
		}
	}
	if trail() != events {
		t.Fatal("the replay wrote to the audit trail")
	}
}

// A portal admin demoted while their request runs creates nobody: the
// invitation's transaction checks that the sender is still an enabled admin
// when it lands, as updates do.
func TestAPortalAdminDemotedMidRequestCreatesNobody(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	for _, tc := range []struct {
		name string
		do   func(c *client, addr string) *response
	}{
		{"invite", func(c *client, addr string) *response {
			return c.call("POST", "/v1/customers/"+cu.ID+"/users", map[string]any{"email": addr, "admin": true})
		}},
		{"bulk invite", func(c *client, addr string) *response {
			return c.call("POST", "/v1/customers/"+cu.ID+"/users/bulk", map[string]any{"emails": []string{addr}, "admin": true})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			me, admin := portalUser(t, op, cu.ID, true)
			admin = admin.with(t)
			addr := uniqueEmail("late")
			// Just before the invitation's transaction goes out, an operator
			// takes the admin right away.
			injector.Before("DynamoDB.TransactWriteItems", 1, func() {
				(&client{t: t, token: op.token}).expect((&client{t: t, token: op.token}).call("PATCH",
					"/v1/customers/"+cu.ID+"/users/"+me.ID, map[string]any{"admin": false}), 200)
			})
			res := tc.do(admin, addr)
			if res.Status != 403 {
				t.Fatalf("a demoted admin's request answered %d: %s", res.Status, res.Body)
			}
			if p := op.listUsers(cu.ID, "?search="+addr); len(p.Items) != 0 {
				t.Fatalf("a user was created: %+v", p.Items)
			}
			if n := len(emailsTo(t, addr)); n != 0 {
				t.Fatalf("%d e-mails went out", n)
			}
			// They are still a user of the customer, and still sign in.
			token, _ := signIn(t, me.Email, password)
			(&client{t: t, token: token}).get("/v1/me", 200)
		})
	}
}
