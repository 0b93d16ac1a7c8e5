package customers_test

import (
	"errors"
	"testing"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/customers"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

func ptr[T any](v T) *T { return &v }

func TestCustomersAndPortalSetups(t *testing.T) {
	w := apptest.New(t)
	k := &idem.Key{ID: "k", Fingerprint: "f"}
	c1, err1 := w.Customers.Create(w.Ctx(), w.Admin, customers.NewCustomer{Name: ptr("Acme"), Locale: ptr("nl")}, k)
	c2, err2 := w.Customers.Create(w.Ctx(), w.Admin, customers.NewCustomer{Name: ptr("Acme"), Locale: ptr("nl")}, k)
	if err1 != nil || err2 != nil || c1.ID != c2.ID || c1.Locale != "nl" {
		t.Fatalf("%v %v %s %s", err1, err2, c1.ID, c2.ID)
	}
	if _, err := w.Customers.Create(w.Ctx(), w.Admin, customers.NewCustomer{Name: ptr("x.com"), Locale: ptr("fr")}, nil); errs.KindOf(err) != errs.Invalid || len(errs.As(err).Fields) != 2 {
		t.Fatalf("%v", err)
	}
	_, pa := w.User(c1.ID, "pa@acme.example", true)
	page, err := w.Customers.List(w.Ctx(), w.Admin, 50, nil)
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("%+v %v", page, err)
	}
	if _, err := w.Customers.List(w.Ctx(), pa, 50, nil); !errors.Is(err, access.ErrForbidden) {
		t.Fatal(err)
	}
	// The audit trail: newest first.
	audit, err := w.Customers.Audit(w.Ctx(), pa, c1.ID, 50, nil)
	if err != nil || len(audit.Items) < 3 || audit.Items[0].Action != "user.invitation_accepted" {
		t.Fatalf("%+v %v", audit.Items, err)
	}
	if _, err := w.Customers.Audit(w.Ctx(), w.Admin, "cus_aaaaaaaaaaaaaaaaaaaaaaaaaa", 50, nil); !errors.Is(err, access.ErrNotFound) {
		t.Fatalf("an unknown customer's trail: %v", err)
	}
}

func TestMeListsEnabledMembershipsWithTheirPortals(t *testing.T) {
	w := apptest.New(t)
	acme, other := w.NewCustomer("Acme", "en"), w.NewCustomer("Other", "en")
	p := w.NewPortal(acme.ID, "Desk", "https://desk.example")
	jane := w.Invite(w.Admin, acme.ID, "jane@acme.example", false)
	if _, err := w.Members.UpdateUser(w.Ctx(), w.Admin, members.User(acme.ID, jane.ID), members.Profile{PortalIDs: []string{p.ID}}, 0); err != nil {
		t.Fatal(err)
	}
	w.Accept("jane@acme.example")
	om, _ := w.User(other.ID, "jane@acme.example", false)
	if _, err := w.Members.Disable(w.Ctx(), w.Admin, members.User(other.ID, om.ID)); err != nil {
		t.Fatal(err)
	}
	me, err := w.Customers.Me(w.Ctx(), w.SignIn("jane@acme.example"))
	if err != nil || len(me.Memberships) != 1 || me.Memberships[0].CustomerName != "Acme" || len(me.Memberships[0].Portals) != 1 || me.Name != "jane" {
		t.Fatalf("%+v %v", me, err)
	}
	if me.Memberships[0].Member.Scope() != domain.CustomerScope(acme.ID) {
		t.Fatal(me.Memberships[0].Member)
	}
}

// A customer's change sent without If-Match lands over one made meanwhile;
// with If-Match, it is refused as stale and changes nothing.
func TestACustomerChangeWithoutIfMatchLandsOverOneMadeMeanwhile(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	relocale := func(int32) error {
		_, err := w.Customers.Update(w.Ctx(), w.Admin, cu.ID, customers.Change{Locale: ptr("nl")}, 0)
		return err
	}
	w.Meanwhile("ChangeCustomer", 1, relocale)
	got, err := w.Customers.Update(w.Ctx(), w.Admin, cu.ID, customers.Change{Name: ptr("Acme BV")}, 0)
	if err != nil || got.Name != "Acme BV" || got.Locale != "nl" || got.Version != cu.Version+2 {
		t.Fatalf("%+v %v", got, err)
	}
	w.Meanwhile("ChangeCustomer", 1, func(int32) error {
		_, err := w.Customers.Update(w.Ctx(), w.Admin, cu.ID, customers.Change{Locale: ptr("en")}, 0)
		return err
	})
	if _, err := w.Customers.Update(w.Ctx(), w.Admin, cu.ID, customers.Change{Name: ptr("Pinned")}, got.Version); !errors.Is(err, state.ErrStale) {
		t.Fatal(err)
	}
	if now, err := w.Store.Customer(w.Ctx(), cu.ID); err != nil || now.Name != "Acme BV" || now.Locale != "en" {
		t.Fatalf("%+v %v", now, err)
	}
}
