package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

type auditPage = page[struct {
	Action string `json:"action"`
	Target struct {
		ID string `json:"id"`
	} `json:"target"`
}]

// actionsOn counts a customer's audit events of an action on a target.
func actionsOn(t *testing.T, op *client, customerID, action, targetID string) int {
	t.Helper()
	var audit auditPage
	op.get("/v1/customers/"+customerID+"/audit-events?limit=200", 200).json(t, &audit)
	n := 0
	for _, e := range audit.Items {
		if e.Action == action && e.Target.ID == targetID {
			n++
		}
	}
	return n
}

func etag(v int) string { return `"` + strconv.Itoa(v) + `"` }

// A portal user given an accessUntil: the customer's portal admin is
// reminded once, ACCESS_REMINDER (72h) before; when it passes, the sweep
// disables them: their console token and their portal's token are refused,
// their Cognito identity is disabled, and the trail says why.
func TestAccessEndsByItselfAfterOneReminder(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	desk := op.newPortal(cu.ID)
	boss, _ := portalUser(t, op, cu.ID, true)
	u, addr := linkedUser(t, op, cu.ID, desk.ID)
	console, _ := signIn(t, addr, password)
	jane := &client{t: t, token: console}
	pc := portalClient(t, desk, addr)
	pc.get("/v1/portal-access", 200)

	// Set, with If-Match; a stale version changes nothing.
	var got struct {
		Version     int        `json:"version"`
		AccessUntil *time.Time `json:"accessUntil"`
	}
	path := "/v1/customers/" + cu.ID + "/users/" + u.ID
	op.get(path, 200).json(t, &got)
	until := now().Add(75 * time.Hour).UTC().Truncate(time.Millisecond)
	op.expect(op.call("PATCH", path, map[string]any{"accessUntil": until.Format(time.RFC3339Nano)}, "If-Match", etag(got.Version+5)), 412)
	op.expect(op.call("PATCH", path, map[string]any{"accessUntil": "yesterday"}), 400)
	op.expect(op.call("PATCH", path, map[string]any{"accessUntil": until.Format(time.RFC3339Nano)}, "If-Match", etag(got.Version)), 200).json(t, &got)
	if got.AccessUntil == nil || !got.AccessUntil.Equal(until) {
		t.Fatalf("%v, want %v", got.AccessUntil, until)
	}
	// The member sees it on their own views too.
	var me struct {
		Memberships []struct {
			AccessUntil *time.Time `json:"accessUntil"`
		} `json:"memberships"`
	}
	jane.get("/v1/me", 200).json(t, &me)
	if len(me.Memberships) != 1 || me.Memberships[0].AccessUntil == nil || !me.Memberships[0].AccessUntil.Equal(until) {
		t.Fatalf("%+v", me)
	}

	reminders := func() int {
		n := 0
		for _, e := range emailsTo(t, boss.Email) {
			if strings.HasPrefix(e.Subject, "Access of ") {
				n++
			}
		}
		return n
	}
	st.Sweep(t.Context(), time.Minute)
	if n := reminders(); n != 0 {
		t.Fatalf("%d reminders before one is due", n)
	}
	clockOffset.Add(int64(4 * time.Hour)) // 71h before the end
	for range 3 {
		if _, err := st.Sweep(t.Context(), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if n := reminders(); n != 1 {
		t.Fatalf("%d reminders, want exactly 1", n)
	}
	if n := len(emailsTo(t, addr)); n != 1 { // only their invitation
		t.Fatalf("the member got %d e-mails", n)
	}
	pc.get("/v1/portal-access", 200) // not yet
	jane.get("/v1/me", 200)

	clockOffset.Add(int64(72 * time.Hour))
	rep, err := st.Sweep(t.Context(), time.Minute)
	if err != nil || rep.AccessEnded < 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	jane.get("/v1/me", 401)
	pc.get("/v1/portal-access", 401)
	if enabled, found := identity(t, addr); !found || enabled {
		t.Fatalf("Cognito identity: enabled %v, found %v", enabled, found)
	}
	var after user
	op.get(path, 200).json(t, &after)
	if after.Status != "disabled" {
		t.Fatalf("%s", after.Status)
	}
	if n := actionsOn(t, op, cu.ID, "user.access_expired", u.ID); n != 1 {
		t.Fatalf("%d access_expired events", n)
	}
	if n := actionsOn(t, op, cu.ID, "user.access_reminder_sent", u.ID); n != 1 {
		t.Fatalf("%d reminder events", n)
	}
	if n := reminders(); n != 1 {
		t.Fatalf("%d reminders", n)
	}
	// Enabling them again gives access back for good.
	op.post(path+"/enable", nil, 200).json(t, &got)
	if got.AccessUntil != nil {
		t.Fatalf("still ends at %v", got.AccessUntil)
	}
	st.Sweep(t.Context(), time.Minute)
	if enabled, _ := identity(t, addr); !enabled {
		t.Fatal("identity not enabled again")
	}
}

// A customer's allowed domains refuse others on invite and per row of a
// bulk invite; a refusal changes nothing (no member, no e-mail, no audit
// event). Its own invitation lifetime holds for new invitations.
func TestCustomerPolicies(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	path := "/v1/customers/" + cu.ID
	var got struct {
		Version int `json:"version"`
		Policy  struct {
			AllowedDomains            []string `json:"allowedDomains"`
			InvitationLifetimeSeconds *int64   `json:"invitationLifetimeSeconds"`
		} `json:"policy"`
	}
	op.get(path, 200).json(t, &got)
	// Out of range: refused, naming the field.
	p := op.expect(op.call("PATCH", path, map[string]any{"policy": map[string]any{"invitationLifetimeSeconds": 60}}), 400).problem(t)
	if len(p.Errors) != 1 || p.Errors[0].Field != "policy.invitationLifetimeSeconds" {
		t.Fatalf("%+v", p)
	}
	// A portal admin may not set it.
	_, admin := portalUser(t, op, cu.ID, true)
	admin.expect(admin.call("PATCH", path, map[string]any{"policy": map[string]any{}}), 403)
	op.expect(op.call("PATCH", path, map[string]any{"policy": map[string]any{"allowedDomains": []string{"Acme.Example"}, "invitationLifetimeSeconds": 86400}},
		"If-Match", etag(got.Version)), 200).json(t, &got)
	if len(got.Policy.AllowedDomains) != 1 || got.Policy.AllowedDomains[0] != "acme.example" || got.Policy.InvitationLifetimeSeconds == nil {
		t.Fatalf("%+v", got.Policy)
	}
	before := snapshot(t, op, cu.ID)
	outsider := unique("eve") + "@evil.example"
	p = op.expect(op.call("POST", path+"/users", map[string]any{"email": outsider}), 400).problem(t)
	if p.Code != "domain_not_allowed" || len(p.Errors) != 1 || p.Errors[0].Field != "email" {
		t.Fatalf("%+v", p)
	}
	admin.expect(admin.call("POST", path+"/users", map[string]any{"email": outsider}), 400)
	if after := snapshot(t, op, cu.ID); after != before {
		t.Fatalf("a refusal changed something: %s → %s", before, after)
	}
	var bulk struct {
		Results []struct {
			Outcome string `json:"outcome"`
			Error   *struct {
				Code string `json:"code"`
			} `json:"error"`
		} `json:"results"`
	}
	ok := uniqueEmail("ok")
	op.post(path+"/users/bulk", map[string]any{"emails": []string{ok, outsider}}, 200).json(t, &bulk)
	if len(bulk.Results) != 2 || bulk.Results[0].Outcome != "invited" || bulk.Results[1].Outcome != "invalid" || bulk.Results[1].Error.Code != "domain_not_allowed" {
		t.Fatalf("%+v", bulk)
	}
	if n := len(emailsTo(t, outsider)); n != 0 {
		t.Fatalf("%d e-mails to the outsider", n)
	}
	var invited user
	op.get("/v1/customers/"+cu.ID+"/users?search="+ok, 200)
	u := op.invite(cu.ID, map[string]any{"email": uniqueEmail("day")})
	op.get(path+"/users/"+u.ID, 200).json(t, &invited)
	if d := time.Until(invited.Invitation.ExpiresAt) - time.Duration(clockOffset.Load()); d > 24*time.Hour || d < 23*time.Hour {
		t.Fatalf("the invitation holds %s, want the customer's 24h", d)
	}
}

// 20 invites racing for a customer's last seat: exactly one wins; the
// others are answered 409 and leave no member, no e-mail, no audit event.
func TestTwentyInvitesRaceForTheLastSeat(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	path := "/v1/customers/" + cu.ID
	op.invite(cu.ID, map[string]any{"email": uniqueEmail("first")})
	op.expect(op.call("PATCH", path, map[string]any{"policy": map[string]any{"seatLimit": 2}}), 200)
	before := snapshot(t, op, cu.ID)
	codes, problems := concurrently(t, 20, func() *response {
		return op.call("POST", path+"/users", map[string]any{"email": uniqueEmail("racer")})
	})
	won, full := 0, 0
	for i, c := range codes {
		switch {
		case c == 201:
			won++
		case c == 409 && (problems[i] == "seat_limit" || problems[i] == "concurrent_change"):
			if problems[i] == "seat_limit" {
				full++
			}
		default:
			t.Fatalf("answer %d (%s)", c, problems[i])
		}
	}
	if won != 1 || full == 0 {
		t.Fatalf("%d won, %d told seat_limit: %v", won, full, codes)
	}
	var users page[user]
	op.get(path+"/users?limit=200", 200).json(t, &users)
	if len(users.Items) != 2 {
		t.Fatalf("%d members", len(users.Items))
	}
	if after := snapshot(t, op, cu.ID); after == before {
		t.Fatal("the winner changed nothing")
	}
	// Full: deleting someone frees a seat.
	var racers page[user]
	op.get(path+"/users?status=unconfirmed&limit=200", 200).json(t, &racers)
	p := op.expect(op.call("POST", path+"/users", map[string]any{"email": uniqueEmail("late")}), 409).problem(t)
	if p.Code != "seat_limit" {
		t.Fatalf("%+v", p)
	}
	op.expect(op.call("DELETE", path+"/users/"+racers.Items[0].ID, nil), 204)
	op.invite(cu.ID, map[string]any{"email": uniqueEmail("late")})
}
