package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

type role struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	Version     int     `json:"version"`
}

func (c *client) roles(customerID string) []role {
	c.t.Helper()
	var l struct{ Items []role }
	c.get("/v1/customers/"+customerID+"/roles", 200).json(c.t, &l)
	return l.Items
}

// newRoles adds roles to a customer's catalogue.
func (c *client) newRoles(customerID string, names ...string) []role {
	c.t.Helper()
	var out []role
	for _, n := range names {
		var r role
		c.post("/v1/customers/"+customerID+"/roles", map[string]any{"name": n}, 201).json(c.t, &r)
		out = append(out, r)
	}
	return out
}

func roleNamesOf(rs []role) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return strings.Join(out, ", ")
}

// Seed 002, "The list of available roles is shown on the Portal users
// detail": the customer's portal admin keeps a catalogue of roles — adds,
// renames, describes and deletes them — whose names are unique without
// case; a plain user and another customer's admin cannot see it; every
// change is on the customer's trail; a refused change leaves no trace.
func TestTheRoleCatalogue(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	_, admin := portalUser(t, op, cu.ID, true)
	_, user := portalUser(t, op, cu.ID, false)
	other := op.newCustomer("en")
	_, otherAdmin := portalUser(t, op, other.ID, true)
	base := "/v1/customers/" + cu.ID + "/roles"

	var sales, buyers role
	admin.post(base, map[string]any{"name": "Sales", "description": "Sells."}, 201).json(t, &sales)
	op.post(base, map[string]any{"name": "buyers"}, 201).json(t, &buyers)
	if got := roleNamesOf(admin.roles(cu.ID)); got != "buyers, Sales" {
		t.Fatalf("the catalogue is %q", got)
	}
	// Refusals: a name taken (without case), an empty or too long name,
	// unknown fields; none leaves a trace.
	for _, bad := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]any{"name": "SALES"}, 409, "role_exists"},
		{map[string]any{"name": "  "}, 400, "invalid_request"},
		{map[string]any{"name": strings.Repeat("x", 65)}, 400, "invalid_request"},
		{map[string]any{"name": "Ok", "colour": "red"}, 400, "invalid_request"},
		{map[string]any{}, 400, "invalid_request"},
	} {
		pr := admin.expect(admin.call("POST", base, bad.body), bad.status).problem(t)
		if bad.status == 409 && pr.Code != bad.code {
			t.Fatalf("%v: code %q, want %q", bad.body, pr.Code, bad.code)
		}
	}
	user.expect(user.call("GET", base, nil), 403)
	user.expect(user.call("POST", base, map[string]any{"name": "Mine"}), 403)
	otherAdmin.expect(otherAdmin.call("GET", base, nil), 404)
	otherAdmin.expect(otherAdmin.call("DELETE", base+"/"+sales.ID, nil), 404)
	if got := roleNamesOf(op.roles(cu.ID)); got != "buyers, Sales" {
		t.Fatalf("after the refusals the catalogue is %q", got)
	}
	if got := otherAdmin.roles(other.ID); len(got) != 0 {
		t.Fatalf("the other customer's catalogue holds %v", got)
	}

	// Rename with If-Match; a stale version refused; renaming onto a name
	// taken refused; the description removed with "".
	var renamed role
	admin.expect(admin.call("PATCH", base+"/"+sales.ID, map[string]any{"name": "Account managers"}, "If-Match", `"1"`), 200).json(t, &renamed)
	if renamed.Name != "Account managers" || renamed.Version != 2 || renamed.Description == nil || *renamed.Description != "Sells." {
		t.Fatalf("renamed: %+v", renamed)
	}
	admin.expect(admin.call("PATCH", base+"/"+sales.ID, map[string]any{"name": "Late"}, "If-Match", `"1"`), 412)
	pr := admin.expect(admin.call("PATCH", base+"/"+buyers.ID, map[string]any{"name": "ACCOUNT managers"}), 409).problem(t)
	if pr.Code != "role_exists" {
		t.Fatalf("renaming onto a taken name: %q", pr.Code)
	}
	var described role
	admin.expect(admin.call("PATCH", base+"/"+sales.ID, map[string]any{"description": ""}), 200).json(t, &described)
	if described.Description != nil || described.Version != 3 {
		t.Fatalf("described: %+v", described)
	}
	// The old name is free again.
	admin.post(base, map[string]any{"name": "Sales"}, 201)

	// Delete with a stale If-Match refused, then deleted; gone from the list.
	admin.expect(admin.call("DELETE", base+"/"+buyers.ID, nil, "If-Match", `"7"`), 412)
	admin.expect(admin.call("DELETE", base+"/"+buyers.ID, nil), 204)
	admin.expect(admin.call("DELETE", base+"/"+buyers.ID, nil), 404)
	admin.expect(admin.call("PATCH", base+"/rol_nope", map[string]any{"name": "x"}), 404)
	if got := roleNamesOf(admin.roles(cu.ID)); got != "Account managers, Sales" {
		t.Fatalf("the catalogue is %q", got)
	}

	var trail struct{ Items []auditEvent }
	op.get("/v1/customers/"+cu.ID+"/audit-events", 200).json(t, &trail)
	got := fmt.Sprint(actionsOf(trail.Items))
	for _, want := range []string{"role.created", "role.updated", "role.deleted"} {
		if strings.Count(got, want) == 0 {
			t.Fatalf("the trail %s lacks %s", got, want)
		}
	}
	if n := strings.Count(got, "role."); n != 6 { // 3 created, 2 updated, 1 deleted
		t.Fatalf("%d role events on the trail: %s", n, got)
	}
}

// Offboarding a customer takes its catalogue with it (the partition's
// records), and the catalogue is refused from the moment it is accepted.
func TestOffboardingTakesTheRoleCatalogue(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	base := "/v1/customers/" + cu.ID + "/roles"
	for _, n := range []string{"A", "B", "C"} {
		op.post(base, map[string]any{"name": n}, 201)
	}
	var accepted struct{ Job struct{ ID string } }
	op.expect(op.call("DELETE", "/v1/customers/"+cu.ID, nil), 202).json(t, &accepted)
	op.expect(op.call("GET", base, nil), 404)
	op.expect(op.call("POST", base, map[string]any{"name": "D"}), 404)
	if j, _ := sweepUntilDone(t, op, accepted.Job.ID); j.State != "done" {
		t.Fatalf("job %+v", j)
	}
	if rs, err := st.Store.Roles(context.Background(), cu.ID); err != nil || len(rs) != 0 {
		t.Fatalf("roles are left: %v (%v)", rs, err)
	}
	// Nothing of the partition is left for the records' step to remove:
	// the roles' name records went with them.
	if n, err := st.Store.DeleteCustomerRecords(context.Background(), cu.ID, 100); err != nil || n != 0 {
		t.Fatalf("%d records were left in the customer's partition (%v)", n, err)
	}
}
