package members_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/app/roles"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

func names(m domain.Member) string { return strings.Join(m.Roles, "|") }

// Seed 002, "The list of available roles is shown on the Portal users
// detail": a user's roles come from the catalogue, by name (without case),
// and a name not in it is refused, naming its place, with nothing changed.
func TestRolesComeFromTheCatalogue(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	rs := w.NewRoles(cu.ID, "Sales", "Buyers", "Support")
	mails, events := w.Mailbox.Count(), w.Audit(cu.Scope())
	_, err := w.Members.Invite(w.Ctx(), w.Admin, w.Scope(cu.Scope()), members.Invitee{Email: "jane@acme.example",
		Roles: &members.RoleChoice{Names: []string{"sales", "Buyers", "Salse"}}}, nil)
	if e := errs.As(err); e == nil || len(e.Fields) != 1 || e.Fields[0].Name != "roles.2" || e.Fields[0].Reason != "unknown_role" {
		t.Fatalf("a role not in the catalogue: %v", err)
	}
	if w.Mailbox.Count() != mails || w.Audit(cu.Scope()) != events {
		t.Fatal("the refused invite changed something")
	}
	if _, err := w.Members.Get(w.Ctx(), w.Admin, members.User(cu.ID, "usr_x")); err == nil {
		t.Fatal("nobody is there")
	}
	m, err := w.Members.Invite(w.Ctx(), w.Admin, w.Scope(cu.Scope()), members.Invitee{Email: "jane@acme.example",
		Roles: &members.RoleChoice{Names: []string{" sales ", "Buyers", "SALES"}}}, nil)
	if err != nil || names(m) != "Sales|Buyers" || len(m.RoleIDs) != 2 || m.RoleIDs[0] != rs[0].ID {
		t.Fatalf("%v %v %v", err, m.Roles, m.RoleIDs)
	}
	// PATCH with a role that is not there changes nothing either.
	target := members.User(cu.ID, m.ID)
	if _, err := w.Members.UpdateUser(w.Ctx(), w.Admin, target, members.Profile{Roles: &members.RoleChoice{Names: []string{"Support", "Nope"}}}, 0); errs.As(err) == nil || errs.As(err).Fields[0].Name != "roles.1" {
		t.Fatalf("PATCH with an unknown role: %v", err)
	}
	if got, _ := w.Members.Get(w.Ctx(), w.Admin, target); got.Version != 1 || names(got) != "Sales|Buyers" {
		t.Fatalf("the refused PATCH changed %v v%d", got.Roles, got.Version)
	}
}

// Seed 002, "assign the invited user all functional roles available to the
// organization": "all" is the catalogue at that moment. A rename shows at
// once on every member holding the role and a deleted role is gone from
// them, with no write to any member.
func TestAllRolesRenameAndDeleteShowOnEveryMember(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	rs := w.NewRoles(cu.ID, "Sales", "Buyers")
	all := &members.RoleChoice{All: true}
	m, err := w.Members.Invite(w.Ctx(), w.Admin, w.Scope(cu.Scope()), members.Invitee{Email: "jane@acme.example", Roles: all}, nil)
	if err != nil || names(m) != "Buyers|Sales" {
		t.Fatalf("%v %v", err, m.Roles)
	}
	res, err := w.Members.BulkInvite(w.Ctx(), w.Admin, w.Scope(cu.Scope()), []string{"a@acme.example", "b@acme.example"}, members.Profile{Roles: all}, nil)
	if err != nil || names(*res[1].User) != "Buyers|Sales" {
		t.Fatalf("%v %+v", err, res)
	}
	late := w.NewRoles(cu.ID, "Late")[0]
	versions := map[string]int{}
	l, _ := w.Members.List(w.Ctx(), w.Admin, cu.Scope(), members.Query{Limit: 10})
	for _, u := range l.Items {
		versions[u.ID] = u.Version
		if names(u) != "Buyers|Sales" {
			t.Fatalf("%s holds %v: a role made later is not given by an earlier all", u.Email, u.Roles)
		}
	}
	newName := "Account managers"
	if _, err := w.Roles.Update(w.Ctx(), w.Admin, cu.ID, rs[0].ID, roles.Input{Name: &newName}, 0); err != nil {
		t.Fatal(err)
	}
	if err := w.Roles.Delete(w.Ctx(), w.Admin, cu.ID, rs[1].ID, 0); err != nil {
		t.Fatal(err)
	}
	l, _ = w.Members.List(w.Ctx(), w.Admin, cu.Scope(), members.Query{Limit: 10})
	for _, u := range l.Items {
		if names(u) != "Account managers" || u.Version != versions[u.ID] {
			t.Fatalf("%s: %v v%d", u.Email, u.Roles, u.Version)
		}
	}
	if got, _ := w.Members.Get(w.Ctx(), w.Admin, members.User(cu.ID, m.ID)); names(got) != "Account managers" {
		t.Fatalf("get: %v", got.Roles)
	}
	// Her own view and a portal's answer name them the same way.
	w.Accept("jane@acme.example")
	p := w.NewPortal(cu.ID, "Desk", "https://desk.example")
	if _, err := w.Members.UpdateUser(w.Ctx(), w.Admin, members.User(cu.ID, m.ID), members.Profile{PortalIDs: []string{p.ID}, Roles: &members.RoleChoice{Names: []string{"late", "account MANAGERS"}}}, 0); err != nil {
		t.Fatal(err)
	}
	me, err := w.Customers.Me(w.Ctx(), w.SignIn("jane@acme.example"))
	if err != nil || len(me.Memberships) != 1 || names(*me.Memberships[0].Member) != "Late|Account managers" {
		t.Fatalf("me: %v %+v", err, me)
	}
	pc, err := w.PortalSignIn("jane@acme.example", p.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	a, err := w.Portals.Admit(w.Ctx(), pc)
	if err != nil || names(*a.Member) != "Late|Account managers" {
		t.Fatalf("portal access: %v %+v", err, a.Member)
	}
	if err := w.Roles.Delete(w.Ctx(), w.Admin, cu.ID, late.ID, 0); err != nil {
		t.Fatal(err)
	}
	if a, err := w.Portals.Admit(w.Ctx(), pc); err != nil || names(*a.Member) != "Account managers" {
		t.Fatalf("portal access after the delete: %v %+v", err, a.Member)
	}
}

// A role's name holds no ";": it separates the roles of an import's roles
// column, so such a role could never be given by an import. Refused with
// nothing changed, on create and on rename.
func TestARoleNameHoldsNoSemicolon(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	rs := w.NewRoles(cu.ID, "Sales")
	events := w.Audit(cu.Scope())
	bad := "Sales;Support"
	if _, err := w.Roles.Create(w.Ctx(), w.Admin, cu.ID, roles.Input{Name: &bad}, nil); errs.As(err) == nil || errs.As(err).Fields[0].Reason != "semicolon" {
		t.Fatalf("create: %v", err)
	}
	if _, err := w.Roles.Update(w.Ctx(), w.Admin, cu.ID, rs[0].ID, roles.Input{Name: &bad}, 0); errs.As(err) == nil || errs.As(err).Fields[0].Name != "name" {
		t.Fatalf("rename: %v", err)
	}
	if got, err := w.Roles.List(w.Ctx(), w.Admin, cu.ID); err != nil || len(got) != 1 || got[0].Name != "Sales" || got[0].Version != rs[0].Version {
		t.Fatalf("the catalogue after refusals: %+v %v", got, err)
	}
	if w.Audit(cu.Scope()) != events {
		t.Fatal("a refusal was audited")
	}
}

// A rename or a delete of a role sent without If-Match lands over a change
// made meanwhile; with If-Match, it is refused as stale and changes nothing.
func TestARoleChangeWithoutIfMatchLandsOverOneMadeMeanwhile(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	r := w.NewRoles(cu.ID, "Sales")[0]
	n := 0
	describe := func(int32) error {
		n++
		_, err := w.Roles.Update(w.Ctx(), w.Admin, cu.ID, r.ID, roles.Input{Description: ptr(fmt.Sprint("meanwhile ", n))}, 0)
		return err
	}
	w.Meanwhile("ChangeRole", 1, describe)
	got, err := w.Roles.Update(w.Ctx(), w.Admin, cu.ID, r.ID, roles.Input{Name: ptr("Sellers")}, 0)
	if err != nil || got.Name != "Sellers" || got.Description != "meanwhile 1" || got.Version != r.Version+2 {
		t.Fatalf("%+v %v", got, err)
	}
	w.Meanwhile("ChangeRole", 1, describe)
	if err := w.Roles.Delete(w.Ctx(), w.Admin, cu.ID, r.ID, got.Version); !errors.Is(err, state.ErrStale) {
		t.Fatal(err)
	}
	if rs, err := w.Store.Roles(w.Ctx(), cu.ID); err != nil || len(rs) != 1 || rs[0].Name != "Sellers" {
		t.Fatalf("%+v %v", rs, err)
	}
	w.Meanwhile("ChangeRole", 1, describe)
	if err := w.Roles.Delete(w.Ctx(), w.Admin, cu.ID, r.ID, 0); err != nil {
		t.Fatal(err)
	}
	if rs, err := w.Store.Roles(w.Ctx(), cu.ID); err != nil || len(rs) != 0 {
		t.Fatalf("%+v %v", rs, err)
	}
}

// A replay of a bulk invite that named no roles, after its members were
// given roles, names their roles in every answer: the workers that answer
// share one catalogue, read once (go test -race sees them share it).
func TestABulkReplayNamesRolesGivenSince(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	w.NewRoles(cu.ID, "Buyer")
	emails := []string{"a@acme.example", "b@acme.example", "c@acme.example", "d@acme.example", "e@acme.example"}
	res, err := w.Members.BulkInvite(w.Ctx(), w.Admin, w.Scope(cu.Scope()), emails, members.Profile{}, key("bulk-roles", "x"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if _, err := w.Members.UpdateUser(w.Ctx(), w.Admin, members.User(cu.ID, r.User.ID), members.Profile{Roles: &members.RoleChoice{Names: []string{"buyer"}}}, 0); err != nil {
			t.Fatal(err)
		}
	}
	mails := w.Mailbox.Count()
	again, err := w.Members.BulkInvite(w.Ctx(), w.Admin, w.Scope(cu.Scope()), emails, members.Profile{}, key("bulk-roles", "x"))
	if err != nil || len(again) != len(emails) {
		t.Fatal(len(again), err)
	}
	for _, r := range again {
		if r.User == nil || !slices.Equal(r.User.Roles, []string{"Buyer"}) {
			t.Fatalf("%s: %+v", r.Email, r.User)
		}
	}
	if got := w.Mailbox.Count(); got != mails {
		t.Fatalf("the replay sent %d e-mails", got-mails)
	}
}
