package e2e

import (
	"strings"
	"testing"
	"time"
)

type actionResults struct {
	Results []struct {
		UserID  string `json:"userId"`
		Outcome string `json:"outcome"`
		Code    string `json:"code"`
	} `json:"results"`
}

func (a actionResults) String() string {
	var out []string
	for _, r := range a.Results {
		s := r.Outcome
		if r.Code != "" {
			s += ":" + r.Code
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// Seed 002, "The list of available roles is shown on the Portal users
// detail": a user's roles are chosen from the customer's catalogue (by
// name, without case); a name that is not in it is refused naming its place
// and nothing changes; a rename shows at once on the user, on their /me and
// on the portal's answer, and a deleted role is gone from them.
func TestAUsersRolesComeFromTheCatalogue(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	_, admin := portalUser(t, op, cu.ID, true)
	rs := admin.newRoles(cu.ID, "Sales", "Buyers")
	users := "/v1/customers/" + cu.ID + "/users"

	addr := uniqueEmail("roles")
	pr := admin.post(users, map[string]any{"email": addr, "roles": []string{"sales", "Buyers", "Salse"}}, 400).problem(t)
	if len(pr.Errors) != 1 || pr.Errors[0].Field != "roles.2" || pr.Errors[0].Code != "unknown_role" {
		t.Fatalf("a role not in the catalogue: %+v", pr)
	}
	if len(emailsTo(t, addr)) != 0 || len(admin.listUsers(cu.ID, "?search="+addr).Items) != 0 {
		t.Fatal("the refused invite left something")
	}
	u := admin.invite(cu.ID, map[string]any{"email": addr, "roles": []string{" sales ", "Buyers", "SALES"}})
	if strings.Join(u.Roles, "|") != "Sales|Buyers" {
		t.Fatalf("invited with %v", u.Roles)
	}
	admin.expect(admin.call("PATCH", users+"/"+u.ID, map[string]any{"roles": []string{"Buyers", "Nope"}}), 400)
	var got user
	admin.get(users+"/"+u.ID, 200).json(t, &got)
	if got.Version != 1 || strings.Join(got.Roles, "|") != "Sales|Buyers" {
		t.Fatalf("the refused PATCH changed the user: %+v", got)
	}
	accept(t, addr)
	token, _ := signIn(t, addr, password)
	me := &client{t: t, token: token}
	admin.expect(admin.call("PATCH", "/v1/customers/"+cu.ID+"/roles/"+rs[0].ID, map[string]any{"name": "Account managers"}), 200)
	admin.expect(admin.call("DELETE", "/v1/customers/"+cu.ID+"/roles/"+rs[1].ID, nil), 204)
	admin.get(users+"/"+u.ID, 200).json(t, &got)
	if strings.Join(got.Roles, "|") != "Account managers" || got.Version != 2 { // accepting is its one change
		t.Fatalf("after the rename and the delete: %+v", got)
	}
	var mine struct {
		Memberships []struct {
			Roles []string `json:"roles"`
		} `json:"memberships"`
	}
	me.get("/v1/me", 200).json(t, &mine)
	if len(mine.Memberships) != 1 || strings.Join(mine.Memberships[0].Roles, "|") != "Account managers" {
		t.Fatalf("/v1/me: %+v", mine)
	}
	csv := admin.expect(admin.call("GET", users+"?search="+addr, nil, "Accept", "text/csv"), 200)
	if !strings.Contains(string(csv.Body), "Account managers") || strings.Contains(string(csv.Body), "Buyers") {
		t.Fatalf("the export: %s", csv.Body)
	}
}

// Seed 002, "assign the invited user all functional roles available to the
// organization": "all" gives every role the catalogue has at that moment,
// on invite, bulk invite and PATCH.
func TestAllFunctionalRolesAreAssigned(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("nl")
	op.newRoles(cu.ID, "Orders", "Invoices", "Complaints")
	users := "/v1/customers/" + cu.ID + "/users"
	u := op.invite(cu.ID, map[string]any{"email": uniqueEmail("all"), "roles": "all"})
	if strings.Join(u.Roles, "|") != "Complaints|Invoices|Orders" {
		t.Fatalf("invited with %v", u.Roles)
	}
	var bulk struct {
		Results []struct {
			User *user `json:"user"`
		} `json:"results"`
	}
	op.post(users+"/bulk", map[string]any{"emails": []string{uniqueEmail("b"), uniqueEmail("b")}, "roles": "all"}, 200).json(t, &bulk)
	if len(bulk.Results) != 2 || strings.Join(bulk.Results[1].User.Roles, "|") != "Complaints|Invoices|Orders" {
		t.Fatalf("bulk: %+v", bulk)
	}
	plain := op.invite(cu.ID, map[string]any{"email": uniqueEmail("p")})
	op.newRoles(cu.ID, "Deliveries")
	var got user
	op.expect(op.call("PATCH", users+"/"+plain.ID, map[string]any{"roles": "all"}), 200).json(t, &got)
	if strings.Join(got.Roles, "|") != "Complaints|Deliveries|Invoices|Orders" {
		t.Fatalf("PATCH all: %v", got.Roles)
	}
	// "all" was then: the earlier users do not gain the role made since.
	op.get(users+"/"+u.ID, 200).json(t, &got)
	if len(got.Roles) != 3 {
		t.Fatalf("a snapshot grew: %v", got.Roles)
	}
	op.expect(op.call("PATCH", users+"/"+plain.ID, map[string]any{"roles": "every"}), 400)
}

// Seed 002, "Select the needed users → Send invites": one request acts on
// a selection, each user as its own route would, with one outcome each.
func TestSelectedUsersAreSentTheirInvitations(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	_, admin := portalUser(t, op, cu.ID, true)
	users := "/v1/customers/" + cu.ID + "/users"
	var later []user
	for range 3 {
		later = append(later, admin.invite(cu.ID, map[string]any{"email": uniqueEmail("later"), "sendInvitation": false}))
	}
	sentNow := admin.invite(cu.ID, map[string]any{"email": uniqueEmail("now")})
	enabled, _ := portalUser(t, op, cu.ID, false)
	ids := []string{later[0].ID, later[1].ID, sentNow.ID, enabled.ID, "usr_aaaaaaaaaaaaaaaaaaaaaaaaaa", later[2].ID, later[0].ID}
	var res actionResults
	admin.post(users+"/actions", map[string]any{"action": "reinvite", "userIds": ids}, 200, "Idempotency-Key", unique("sel")).json(t, &res)
	if got := res.String(); got != "done done refused:reinvite_too_soon refused:invalid_state not_found done" {
		t.Fatalf("outcomes %q", got)
	}
	for _, u := range later {
		if n := len(emailsTo(t, u.Email)); n != 1 {
			t.Fatalf("%s has %d e-mails", u.Email, n)
		}
	}
	if n := len(emailsTo(t, sentNow.Email)); n != 1 {
		t.Fatalf("the refused one got %d e-mails", n)
	}
	// The same request again, with the same key: its first answer, nothing sent again.
	key := unique("again")
	var first, again actionResults
	clockOffset.Add(int64(3 * time.Second))
	admin.post(users+"/actions", map[string]any{"action": "reinvite", "userIds": []string{sentNow.ID}}, 200, "Idempotency-Key", key).json(t, &first)
	clockOffset.Add(int64(3 * time.Second))
	admin.post(users+"/actions", map[string]any{"action": "reinvite", "userIds": []string{sentNow.ID}}, 200, "Idempotency-Key", key).json(t, &again)
	if first.String() != "done" || again.String() != "done" || len(emailsTo(t, sentNow.Email)) != 2 {
		t.Fatalf("the replay: %s then %s, %d e-mails", first, again, len(emailsTo(t, sentNow.Email)))
	}
	// Bad selections are refused whole.
	admin.expect(admin.call("POST", users+"/actions", map[string]any{"action": "promote", "userIds": []string{enabled.ID}}), 400)
	admin.expect(admin.call("POST", users+"/actions", map[string]any{"action": "delete", "userIds": []string{}}), 400)
	many := make([]string, 101)
	for i := range many {
		many[i] = enabled.ID
	}
	admin.expect(admin.call("POST", users+"/actions", map[string]any{"action": "delete", "userIds": many}), 400)
	var still user
	admin.get(users+"/"+enabled.ID, 200).json(t, &still)
	if still.Status != "enabled" {
		t.Fatalf("a refused selection changed %+v", still)
	}
}

// A selection keeps the customer's last enabled admin, as one user's route
// does: a portal admin who selects themselves with others, when they are
// the last admin, is refused for themselves (last_admin) and the others are
// done; they still sign in and act.
func TestASelectionKeepsTheLastAdmin(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	a1, admin := portalUser(t, op, cu.ID, true)
	a2, _ := portalUser(t, op, cu.ID, true)
	u, _ := portalUser(t, op, cu.ID, false)
	v := op.invite(cu.ID, map[string]any{"email": uniqueEmail("v")})
	users := "/v1/customers/" + cu.ID + "/users"
	op.post(users+"/"+a2.ID+"/disable", nil, 200)
	before := refusalWitness(t, op, cu.ID, a1)
	var res actionResults
	admin.post(users+"/actions", map[string]any{"action": "disable", "userIds": []string{a1.ID, u.ID}}, 200).json(t, &res)
	if res.String() != "refused:last_admin done" {
		t.Fatalf("disable: %s", res)
	}
	admin.post(users+"/actions", map[string]any{"action": "delete", "userIds": []string{a1.ID, v.ID}}, 200).json(t, &res)
	if res.String() != "refused:last_admin done" {
		t.Fatalf("delete: %s", res)
	}
	// The refused admin is as before (the trail has the two others' events more).
	after := refusalWitness(t, op, cu.ID, a1)
	if strings.Split(before, " events=")[0] != strings.Split(after, " events=")[0] {
		t.Fatalf("the last admin changed:\n%s\n%s", before, after)
	}
	admin.get(users, 200)
	l := op.listUsers(cu.ID, "?status=enabled")
	if len(l.Items) != 1 || l.Items[0].ID != a1.ID {
		t.Fatalf("enabled: %+v", l.Items)
	}
}
