package storetest

import (
	"fmt"
	"testing"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

func (w *world) role(customerID, name string) domain.Role {
	return domain.Role{ID: domain.NewID(domain.PrefixRole), CustomerID: customerID, Name: name, CreatedAt: w.now, UpdatedAt: w.now, Version: 1}
}

func (w *world) roleNames(customerID string) []string {
	w.t.Helper()
	rs, err := w.s.Roles(w.ctx(), customerID)
	if err != nil {
		w.t.Fatalf("read roles: %v", err)
	}
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s v%d", r.Name, r.Version))
	}
	return out
}

func testRoleCatalogue(t *testing.T, w *world) {
	c, sc := w.customerScope("Acme")
	change := func(b, a *domain.Role) error {
		return w.s.ChangeRole(w.ctx(), state.RoleChange{Before: b, After: a, Event: w.event(sc)})
	}
	sales, buyers := w.role(c.ID, "sales"), w.role(c.ID, "Buyers")
	noErr(t, change(nil, &sales), "create sales")
	noErr(t, change(nil, &buyers), "create Buyers")
	// Names are unique without case; a refused write leaves no trace.
	dup := w.role(c.ID, "SALES")
	wantErr(t, change(nil, &dup), state.ErrRoleNameTaken, "a second SALES")
	if got := fmt.Sprint(w.roleNames(c.ID)); got != "[Buyers v1 sales v1]" {
		t.Fatalf("the catalogue is %s", got)
	}
	// A rename frees the old name and takes the new one; a change of case
	// only keeps its record.
	renamed := sales
	renamed.Name, renamed.Version = "Sales", 2
	noErr(t, change(&sales, &renamed), "Sales, by case")
	moved := renamed
	moved.Name, moved.Version = "Account managers", 3
	noErr(t, change(&renamed, &moved), "rename")
	again := w.role(c.ID, "sales")
	noErr(t, change(nil, &again), "the old name, free again")
	clash := buyers
	clash.Name, clash.Version = "account MANAGERS", 2
	wantErr(t, change(&buyers, &clash), state.ErrRoleNameTaken, "renaming onto another's name")
	wantErr(t, change(&renamed, &moved), state.ErrStale, "a change of a version gone")
	if got := fmt.Sprint(w.roleNames(c.ID)); got != "[Account managers v3 Buyers v1 sales v1]" {
		t.Fatalf("the catalogue is %s", got)
	}
	// Delete frees its name; a stale delete changes nothing.
	wantErr(t, change(&sales, nil), state.ErrStale, "a delete of a version gone")
	noErr(t, change(&moved, nil), "delete")
	back := w.role(c.ID, "Account Managers")
	noErr(t, change(nil, &back), "the deleted name, free again")
	if got := fmt.Sprint(w.roleNames(c.ID)); got != "[Account Managers v1 Buyers v1 sales v1]" {
		t.Fatalf("the catalogue is %s", got)
	}
	if n := len(w.audit(sc)); n != 8 { // the customer, and seven changes that landed
		t.Fatalf("%d audit events, want 8", n)
	}
	// Another customer's catalogue is its own; a customer that is not
	// there has none to add to.
	other := w.customer("Globex")
	mine := w.role(other.ID, "sales")
	noErr(t, change(nil, &mine), "the same name at another customer")
	ghost := w.role(domain.NewID(domain.PrefixCustomer), "x")
	wantErr(t, change(nil, &ghost), state.ErrNotFound, "a role of no customer")
	if got := fmt.Sprint(w.roleNames(other.ID)); got != "[sales v1]" {
		t.Fatalf("the other catalogue is %s", got)
	}
}

func testRoleLimit(t *testing.T, w *world) {
	c, sc := w.customerScope("Acme")
	for i := range domain.MaxCatalogueRoles {
		r := w.role(c.ID, fmt.Sprint("Role ", i))
		noErr(t, w.s.ChangeRole(w.ctx(), state.RoleChange{After: &r, Event: w.event(sc)}), "create a role")
	}
	r := w.role(c.ID, "One too many")
	wantErr(t, w.s.ChangeRole(w.ctx(), state.RoleChange{After: &r, Event: w.event(sc)}), state.ErrLimit, "the 101st role")
	if n := len(w.roleNames(c.ID)); n != domain.MaxCatalogueRoles {
		t.Fatalf("%d roles", n)
	}
}
