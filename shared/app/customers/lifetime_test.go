package customers_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/customers"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// An operator admin renames a customer and changes its language: the
// customer's members see it at once, and so do its portals (their tokens
// read a copy); the change is on the provider's trail and the customer's.
func TestAnOperatorAdminRenamesACustomer(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	desk := w.NewPortal(cu.ID, "Desk", "https://desk.acme.example")
	m, _ := w.User(cu.ID, "jane@acme.example", false)
	if _, err := w.Members.UpdateUser(w.Ctx(), w.Admin, members.User(cu.ID, m.ID), members.Profile{PortalIDs: []string{desk.ID}}, 0); err != nil {
		t.Fatal(err)
	}
	renamed, err := w.Customers.Update(w.Ctx(), w.Admin, cu.ID, customers.Change{Name: ptr(" Acme Nederland "), Locale: ptr("nl")}, cu.Version)
	if err != nil || renamed.Name != "Acme Nederland" || renamed.Locale != "nl" || renamed.Version != 2 {
		t.Fatalf("renamed: %+v %v", renamed, err)
	}
	// What people see next.
	jane := w.SignIn("jane@acme.example")
	if got, err := w.Customers.Get(w.Ctx(), jane, cu.ID); err != nil || got.Name != "Acme Nederland" {
		t.Fatalf("the member reads: %+v %v", got, err)
	}
	pc, err := w.PortalSignIn("jane@acme.example", desk.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	adm, err := w.Portals.Admit(w.Ctx(), pc)
	if err != nil || adm.Customer.Name != "Acme Nederland" || adm.Customer.Locale != "nl" {
		t.Fatalf("the portal's answer: %+v %v", adm.Customer, err)
	}
	page, _ := w.Customers.List(w.Ctx(), w.Admin, 10, nil)
	if len(page.Items) != 1 || page.Items[0].Name != "Acme Nederland" {
		t.Fatalf("the listing: %+v", page.Items)
	}
	// Invitations go out in the new language.
	w.Invite(w.Admin, cu.ID, "new@acme.example", false)
	if mails := w.Mailbox.To("new@acme.example"); len(mails) != 1 || mails[0].Subject != "Je bent uitgenodigd voor het portaal van Acme Nederland" {
		t.Fatalf("the invitation after the change: %+v", mails)
	}

	// If-Match, nothing to change, bad input: refused or a no-op, and
	// nothing on the trail.
	if _, err := w.Customers.Update(w.Ctx(), w.Admin, cu.ID, customers.Change{Name: ptr("Old")}, 1); !errors.Is(err, state.ErrStale) {
		t.Fatalf("the old version: %v", err)
	}
	if same, err := w.Customers.Update(w.Ctx(), w.Admin, cu.ID, customers.Change{Locale: ptr("nl")}, 0); err != nil || same.Version != 2 {
		t.Fatalf("no change: %+v %v", same, err)
	}
	_, err = w.Customers.Update(w.Ctx(), w.Admin, cu.ID, customers.Change{Name: ptr("evil.com"), Locale: ptr("fr")}, 0)
	if e := errs.As(err); e == nil || len(e.Fields) != 2 {
		t.Fatalf("bad input: %v", err)
	}
	if _, err := w.Customers.Update(w.Ctx(), w.Admin, cu.ID, customers.Change{}, 0); !errors.Is(err, errs.ErrEmptyChange) {
		t.Fatalf("an empty change: %v", err)
	}
	if got, _ := w.Store.Customer(w.Ctx(), cu.ID); got.Name != "Acme Nederland" || got.Version != 2 {
		t.Fatalf("a refused change changed it: %+v", got)
	}
	// Only operator admins.
	_, tech := w.Operator("tech@provider.example", domain.RoleTechnician)
	_, admin := w.User(cu.ID, "admin@acme.example", true)
	if _, err := w.Customers.Update(w.Ctx(), tech, cu.ID, customers.Change{Name: ptr("T")}, 0); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("a technician: %v", err)
	}
	if _, err := w.Customers.Update(w.Ctx(), admin, cu.ID, customers.Change{Name: ptr("T")}, 0); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("the customer's portal admin: %v", err)
	}
	trail, err := w.Customers.ProviderAudit(w.Ctx(), w.Admin, 50, nil)
	if err != nil {
		t.Fatal(err)
	}
	var acts, names []string
	for _, e := range trail.Items {
		if e.Target.ID == cu.ID {
			if e.CustomerID != "" || e.Target.Name == nil {
				t.Fatalf("a provider event: %+v", e)
			}
			acts, names = append(acts, e.Action), append(names, *e.Target.Name)
		}
	}
	if !slices.Equal(acts, []string{"customer.updated", "customer.created"}) || !slices.Equal(names, []string{"Acme Nederland", "Acme"}) {
		t.Fatalf("the provider's trail: %v %v", acts, names)
	}
	cust, _ := w.Customers.Audit(w.Ctx(), w.Admin, cu.ID, 200, nil)
	if !slices.ContainsFunc(cust.Items, func(e domain.AuditEvent) bool { return e.Action == "customer.updated" }) {
		t.Fatal("the customer's own trail does not show the rename")
	}
}

// The provider's trail is for operator admins: operators invited and
// disabled, customers created; newest first, in pages.
func TestTheProvidersTrail(t *testing.T) {
	w := apptest.New(t)
	m, _ := w.Operator("tech@provider.example", domain.RoleTechnician)
	if _, err := w.Members.Disable(w.Ctx(), w.Admin, members.Operator(m.ID)); err != nil {
		t.Fatal(err)
	}
	w.NewCustomer("Acme", "en")
	var acts []string
	var start state.PageKey
	for {
		p, err := w.Customers.ProviderAudit(w.Ctx(), w.Admin, 2, start)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Items {
			acts = append(acts, e.Action)
		}
		if p.Next == nil {
			break
		}
		start = p.Next
	}
	want := []string{"customer.created", "operator.disabled", "operator.mfa_enrolled", "operator.invitation_accepted", "operator.invited"}
	if len(acts) < len(want) || !slices.Equal(acts[:len(want)], want) {
		t.Fatalf("the trail: %v", acts)
	}
	_, tech := w.Operator("tech2@provider.example", domain.RoleTechnician)
	if _, err := w.Customers.ProviderAudit(w.Ctx(), tech, 10, nil); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("a technician: %v", err)
	}
}
