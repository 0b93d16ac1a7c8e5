package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

func testCreateMember(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	m, _ := w.invited(sc, "jane@acme.example")
	m.RoleIDs, m.LegacyRoles, m.PortalIDs, m.Request = []string{"rol_viewer", "rol_editor"}, []string{"Old free text"}, []string{"ptl_1"}, "req-1"
	w.create(m)
	sameMember(t, w.member(sc, m.ID), m, "the member read back")
	got, err := w.s.MemberByEmail(w.ctx(), sc, m.Email)
	noErr(t, err, "read the member by e-mail")
	sameMember(t, got, m, "the member read by e-mail")
	_, err = w.s.MemberByEmail(w.ctx(), sc, "nobody@acme.example")
	wantErr(t, err, state.ErrNotFound, "an unknown e-mail")
	_, err = w.s.MemberByEmail(w.ctx(), domain.ProviderScope, m.Email)
	wantErr(t, err, state.ErrNotFound, "the e-mail in another scope")
	w.gone(sc, domain.NewID(domain.PrefixUser))
	w.gone(domain.ProviderScope, m.ID)

	// The token record of a pending invitation.
	ref, err := w.s.Invitation(w.ctx(), m.Invitation.TokenHash, w.now)
	noErr(t, err, "read the invitation")
	if ref.Scope != sc || ref.MemberID != m.ID || ref.Email != m.Email || !ref.ExpiresAt.Equal(m.Invitation.ExpiresAt) {
		t.Fatalf("invitation %+v", ref)
	}
	// The identity's copy of an enabled member: the member without its
	// invitation (an accepted invitation has no token record).
	e := w.enabled(sc, "eve@acme.example", false)
	e.Invitation = &domain.Invitation{State: domain.InvitationAccepted, TokenHash: "spent", ExpiresAt: w.now, Delivery: domain.DeliverySent}
	w.create(e)
	ms := w.memberships(e.Sub)
	want := copyMember(e)
	want.Invitation = nil
	if len(ms) != 1 {
		t.Fatalf("%d memberships", len(ms))
	}
	sameMember(t, ms[0], want, "the membership")
	_, err = w.s.Invitation(w.ctx(), "spent", w.now.Add(-1))
	wantErr(t, err, state.ErrTokenInvalid, "an accepted invitation's token")
	if ms := w.memberships("sub-nobody"); len(ms) != 0 {
		t.Fatalf("an unknown identity has %d memberships", len(ms))
	}
	// The provider's members are operators, whatever their customer.
	op, _ := w.invited(domain.ProviderScope, "op@provider.example")
	w.create(op)
	sameMember(t, w.member(domain.ProviderScope, op.ID), op, "the operator read back")
	if a := w.audit(sc); len(a) != 3 { // the customer and two members
		t.Fatalf("%d audit events, want 3", len(a))
	}
}

func testReadsReturnCopies(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	m := w.enabled(sc, "jane@acme.example", true)
	m.RoleIDs, m.PortalIDs = []string{"viewer"}, []string{"ptl_1"}
	sent := w.now
	m.Invitation = &domain.Invitation{State: domain.InvitationAccepted, TokenHash: "h", ExpiresAt: w.now, LastSentAt: &sent, Delivery: domain.DeliverySent}
	want := copyMember(m)
	wantSent := sent
	want.Invitation.LastSentAt = &wantSent
	w.create(m)
	// The caller's own value changes after the write: the store's does not.
	m.RoleIDs[0], m.PortalIDs[0], m.Invitation.State, m.Name = "changed", "changed", domain.InvitationRevoked, "changed"
	sent = sent.Add(1)
	sameMember(t, w.member(sc, m.ID), want, "after the caller changed what it wrote")

	got := w.member(sc, m.ID)
	got.RoleIDs[0], got.PortalIDs[0], got.Invitation.State = "changed", "changed", domain.InvitationRevoked
	*got.Invitation.LastSentAt = sent.Add(1)
	sameMember(t, w.member(sc, m.ID), want, "after the caller changed what it read")

	p, err := w.s.ListMembers(w.ctx(), sc, "", "", 10, nil)
	noErr(t, err, "list")
	p.Items[0].RoleIDs[0] = "changed"
	ms := w.memberships(want.Sub)
	ms[0].PortalIDs[0] = "changed"
	sameMember(t, w.member(sc, m.ID), want, "after the caller changed a listing")
	if ms := w.memberships(want.Sub); ms[0].PortalIDs[0] != "ptl_1" {
		t.Fatalf("the membership changed with what the caller read: %+v", ms[0])
	}

	after := next(want, func(a *domain.Member) { a.Name = "New" })
	w.change(state.MemberChange{Before: want, After: after})
	after.RoleIDs[0], after.Name = "changed", "changed"
	if got := w.member(sc, m.ID); got.Name != "New" || got.RoleIDs[0] != "viewer" {
		t.Fatalf("after the caller changed its change: %+v", got)
	}
	if got := w.memberships(want.Sub); got[0].Name != "New" || got[0].RoleIDs[0] != "viewer" {
		t.Fatalf("the membership after the caller changed its change: %+v", got[0])
	}

	email := "x@acme.example"
	ev := w.event(sc)
	ev.Target.Email = &email
	x, _ := w.invited(sc, "k@acme.example")
	noErr(t, w.s.CreateMember(w.ctx(), state.NewMember{Member: x, Event: ev}), "create")
	email = "changed"
	for _, e := range w.audit(sc) {
		if e.ID == ev.ID && (e.Target.Email == nil || *e.Target.Email != "x@acme.example") {
			t.Fatalf("an audit event changed with what the caller wrote: %+v", e.Target)
		}
		if e.Target.Email != nil {
			*e.Target.Email = "changed"
		}
	}
	for _, e := range w.audit(sc) {
		if e.Target.Email != nil && *e.Target.Email == "changed" {
			t.Fatal("an audit event changed with what the caller read")
		}
	}
}

func testCreateNeedsCustomer(t *testing.T, w *world) {
	ghost := domain.CustomerScope(domain.NewID(domain.PrefixCustomer))
	inv, _ := w.invited(ghost, "x@ghost.example")
	admin := w.enabled(ghost, "a@ghost.example", true)
	user := w.enabled(ghost, "u@ghost.example", false)
	for _, m := range []domain.Member{inv, admin, user} {
		wantErr(t, w.createErr(m, state.Extras{}), state.ErrNotFound, "a member of no customer ("+m.Email+")")
		w.gone(ghost, m.ID)
		_, err := w.s.MemberByEmail(w.ctx(), ghost, m.Email)
		wantErr(t, err, state.ErrNotFound, "the e-mail of a refused member")
	}
	_, err := w.s.Invitation(w.ctx(), inv.Invitation.TokenHash, w.now)
	wantErr(t, err, state.ErrTokenInvalid, "the token of a refused member")
	if ms := w.memberships(admin.Sub); len(ms) != 0 {
		t.Fatalf("a refused member left %d memberships", len(ms))
	}
	if a := w.audit(ghost); len(a) != 0 {
		t.Fatalf("a refused member left %d audit events", len(a))
	}
	_, err = w.s.Customer(w.ctx(), ghost.CustomerID)
	wantErr(t, err, state.ErrNotFound, "the customer of a refused admin")
	// The provider's scope needs no customer.
	op, _ := w.invited(domain.ProviderScope, "op@provider.example")
	w.create(op)
	w.create(w.enabled(domain.ProviderScope, "boss@provider.example", true))
}

func testEmailPerScope(t *testing.T, w *world) {
	c1, c2 := w.customer("One"), w.customer("Two")
	const email = "same@example.com"
	var ids []string
	for _, sc := range []domain.Scope{domain.CustomerScope(c1.ID), domain.CustomerScope(c2.ID), domain.ProviderScope} {
		m, _ := w.invited(sc, email)
		w.create(m)
		ids = append(ids, m.ID)
		dup, _ := w.invited(sc, email)
		wantErr(t, w.createErr(dup, state.Extras{}), state.ErrEmailTaken, "a second member with the e-mail")
		w.gone(sc, dup.ID)
		got, err := w.s.MemberByEmail(w.ctx(), sc, email)
		noErr(t, err, "read by e-mail")
		if got.ID != m.ID {
			t.Fatalf("the e-mail names %s, want %s", got.ID, m.ID)
		}
	}
	if ids[0] == ids[1] || ids[1] == ids[2] {
		t.Fatal("ids repeat")
	}
}

func testCreateConflicts(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	m := w.create(w.enabled(sc, "first@acme.example", false))
	inv, _ := w.invited(sc, "invited@acme.example")
	w.create(inv)

	sameID, _ := w.invited(sc, "sameid@acme.example")
	sameID.ID = m.ID
	sameSub := w.enabled(sc, "samesub@acme.example", false)
	sameSub.Sub = m.Sub
	sameToken, _ := w.invited(sc, "sametoken@acme.example")
	sameToken.Invitation.TokenHash = inv.Invitation.TokenHash
	for _, x := range []domain.Member{sameID, sameSub, sameToken} {
		wantErr(t, w.createErr(x, state.Extras{}), state.ErrConcurrent, x.Email)
		_, err := w.s.MemberByEmail(w.ctx(), sc, x.Email)
		wantErr(t, err, state.ErrNotFound, "the e-mail of a refused member")
	}
	sameMember(t, w.member(sc, m.ID), m, "the member whose id was taken")
	if ms := w.memberships(m.Sub); len(ms) != 1 || ms[0].Email != m.Email {
		t.Fatalf("memberships %+v", ms)
	}
	ref, err := w.s.Invitation(w.ctx(), inv.Invitation.TokenHash, w.now)
	if err != nil || ref.MemberID != inv.ID {
		t.Fatalf("the token now names %+v (%v)", ref, err)
	}
	// The same identity may be a member of another scope.
	other := w.customer("Other")
	again := w.enabled(domain.CustomerScope(other.ID), "first@acme.example", false)
	again.Sub = m.Sub
	w.create(again)
	if ms := w.memberships(m.Sub); len(ms) != 2 {
		t.Fatalf("%d memberships, want 2", len(ms))
	}
	if a := w.audit(sc); len(a) != 3 {
		t.Fatalf("%d audit events, want 3", len(a))
	}
}

func testListMembers(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	byID := map[string]domain.Member{}
	for i := range 7 {
		m, _ := w.invited(sc, fmt.Sprintf("user%d@acme.example", i))
		byID[w.create(m).Email] = m
	}
	for _, e := range []string{"bob@acme.example", "anna@acme.example"} {
		m := w.enabled(sc, e, false)
		byID[w.create(m).Email] = m
	}
	list := func(status domain.Status, search string, limit int32) ([]string, int) {
		t.Helper()
		var got []string
		pages := everyPage(t, "list members", limit, func(start state.PageKey) (state.Page[domain.Member], error) {
			return w.s.ListMembers(w.ctx(), sc, status, search, limit, start)
		}, func(items []domain.Member) {
			for _, m := range items {
				sameMember(t, m, byID[m.Email], "a listed member")
				if status != "" && m.Status != status {
					t.Fatalf("%s listed as %s", m.Email, status)
				}
			}
			got = append(got, emails(items)...)
		})
		return got, pages
	}
	users := []string{"user0@acme.example", "user1@acme.example", "user2@acme.example", "user3@acme.example",
		"user4@acme.example", "user5@acme.example", "user6@acme.example"}
	if got, pages := list(domain.StatusUnconfirmed, "", 3); !slices.Equal(got, users) || pages != 3 {
		t.Fatalf("unconfirmed in %d pages: %v", pages, got)
	}
	// A page that ends exactly at the last item has no next page.
	if got, pages := list(domain.StatusEnabled, "", 2); !slices.Equal(got, []string{"anna@acme.example", "bob@acme.example"}) || pages != 1 {
		t.Fatalf("enabled in %d pages: %v", pages, got)
	}
	if got, pages := list(domain.StatusUnconfirmed, "", 7); len(got) != 7 || pages != 1 {
		t.Fatalf("%d in %d pages", len(got), pages)
	}
	if got, _ := list("", "", 4); len(got) != 9 || got[0] != "anna@acme.example" || got[2] != "user0@acme.example" {
		t.Fatalf("all: %v", got)
	}
	if got, _ := list(domain.StatusDisabled, "", 5); len(got) != 0 {
		t.Fatalf("disabled: %v", got)
	}
	// Search is a prefix of the e-mail, with or without a status.
	if got, _ := list("", "b", 50); !slices.Equal(got, []string{"bob@acme.example"}) {
		t.Fatalf("search b: %v", got)
	}
	if got, pages := list(domain.StatusUnconfirmed, "user", 5); !slices.Equal(got, users) || pages != 2 {
		t.Fatalf("search user in %d pages: %v", pages, got)
	}
	if got, _ := list(domain.StatusUnconfirmed, "user3", 5); !slices.Equal(got, []string{"user3@acme.example"}) {
		t.Fatalf("search user3: %v", got)
	}
	if got, _ := list(domain.StatusEnabled, "user", 5); len(got) != 0 {
		t.Fatalf("search user among the enabled: %v", got)
	}
	if got, _ := list("", "acme", 5); len(got) != 0 {
		t.Fatalf("search of a non-prefix: %v", got)
	}
	// A change moves the member between categories at once.
	bob := byID["bob@acme.example"]
	disabled := w.change(state.MemberChange{Before: bob, After: next(bob, func(a *domain.Member) { a.Status = domain.StatusDisabled })})
	byID[bob.Email] = disabled
	if got, _ := list(domain.StatusEnabled, "", 5); !slices.Equal(got, []string{"anna@acme.example"}) {
		t.Fatalf("enabled after a disable: %v", got)
	}
	if got, _ := list(domain.StatusDisabled, "", 5); !slices.Equal(got, []string{"bob@acme.example"}) {
		t.Fatalf("disabled after a disable: %v", got)
	}
	// The next key holds even when the member it names is deleted meanwhile.
	p, err := w.s.ListMembers(w.ctx(), sc, domain.StatusUnconfirmed, "", 3, nil)
	noErr(t, err, "list")
	last := p.Items[2]
	w.change(state.MemberChange{Before: last})
	p, err = w.s.ListMembers(w.ctx(), sc, domain.StatusUnconfirmed, "", 3, p.Next)
	noErr(t, err, "list after a delete")
	if got := emails(p.Items); !slices.Equal(got, users[3:6]) || p.Next == nil {
		t.Fatalf("the page after a deleted member: %v (next %v)", got, p.Next)
	}
	// Each scope lists its own.
	op, _ := w.invited(domain.ProviderScope, "op@provider.example")
	w.create(op)
	pp, err := w.s.ListMembers(w.ctx(), domain.ProviderScope, "", "", 10, nil)
	noErr(t, err, "list operators")
	if got := emails(pp.Items); !slices.Equal(got, []string{"op@provider.example"}) || pp.Next != nil {
		t.Fatalf("operators: %v", got)
	}
	if got, _ := list("", "op", 5); len(got) != 0 {
		t.Fatalf("an operator among the customer's users: %v", got)
	}
}

func testChangeSeenAtOnce(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	m := w.create(w.enabled(sc, "eve@acme.example", false))
	if ms := w.memberships(m.Sub); len(ms) != 1 || ms[0].Status != domain.StatusEnabled {
		t.Fatalf("memberships %+v", ms)
	}
	after := w.change(state.MemberChange{Before: m, After: next(m, func(a *domain.Member) { a.Status = domain.StatusDisabled })})
	if ms := w.memberships(m.Sub); len(ms) != 1 || ms[0].Status != domain.StatusDisabled || ms[0].Version != 2 {
		t.Fatalf("the next read does not see the change: %+v", ms)
	}
	sameMember(t, w.member(sc, m.ID), after, "the member after the change")
	// A change of a version that is gone is refused, and changes nothing.
	stale := next(m, func(a *domain.Member) { a.Name = "Stale" })
	wantErr(t, w.changeErr(state.MemberChange{Before: m, After: stale}), state.ErrStale, "a change of a stale version")
	wantErr(t, w.changeErr(state.MemberChange{Before: m}), state.ErrStale, "a delete of a stale version")
	sameMember(t, w.member(sc, m.ID), after, "the member after refused changes")
	if ms := w.memberships(m.Sub); ms[0].Name == "Stale" {
		t.Fatal("a refused change reached the membership")
	}
	// A member that is not there has no version to match.
	ghost := w.enabled(sc, "ghost@acme.example", false)
	wantErr(t, w.changeErr(state.MemberChange{Before: ghost, After: next(ghost, nil)}), state.ErrStale, "a change of no member")
	wantErr(t, w.changeErr(state.MemberChange{Before: ghost}), state.ErrStale, "a delete of no member")
	w.gone(sc, ghost.ID)
	if ms := w.memberships(ghost.Sub); len(ms) != 0 {
		t.Fatalf("a refused change made %d memberships", len(ms))
	}
	// The change after it, from the version read.
	again := w.change(state.MemberChange{Before: after, After: next(after, func(a *domain.Member) { a.Status = domain.StatusEnabled })})
	if got := w.member(sc, m.ID); got.Version != 3 || got.Status != domain.StatusEnabled || again.Version != 3 {
		t.Fatalf("got %+v", got)
	}
}

func testIdentityCopies(t *testing.T, w *world) {
	var cs []domain.Customer
	for range 3 {
		cs = append(cs, w.customer("Acme"))
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID })
	const sub = "sub-shared"
	var ms []domain.Member
	// Written in an order that is not the listing's.
	for _, sc := range []domain.Scope{domain.ProviderScope, domain.CustomerScope(cs[2].ID), domain.CustomerScope(cs[0].ID), domain.CustomerScope(cs[1].ID)} {
		m := w.enabled(sc, "jo@example.com", false)
		m.Sub = sub
		ms = append(ms, w.create(m))
	}
	scopes := func(sub string) []string {
		var out []string
		for _, m := range w.memberships(sub) {
			if m.Sub != sub || m.Invitation != nil {
				t.Fatalf("membership %+v", m)
			}
			out = append(out, m.CustomerID)
		}
		return out
	}
	// Customers by id, the provider last.
	if got := scopes(sub); !slices.Equal(got, []string{cs[0].ID, cs[1].ID, cs[2].ID, ""}) {
		t.Fatalf("memberships in the order %v", got)
	}
	// Relinked to another identity, the membership moves.
	m1 := ms[1] // of cs[2]
	moved := w.change(state.MemberChange{Before: m1, After: next(m1, func(a *domain.Member) { a.Sub = "sub-other" })})
	if got := scopes(sub); !slices.Equal(got, []string{cs[0].ID, cs[1].ID, ""}) {
		t.Fatalf("after a relink: %v", got)
	}
	if got := scopes("sub-other"); !slices.Equal(got, []string{cs[2].ID}) {
		t.Fatalf("the new identity's: %v", got)
	}
	// Unlinked, it is nobody's.
	w.change(state.MemberChange{Before: moved, After: next(moved, func(a *domain.Member) { a.Sub = "" })})
	if got := scopes("sub-other"); len(got) != 0 {
		t.Fatalf("after an unlink: %v", got)
	}
	// An accept links an identity, and its copy carries no invitation.
	sc := domain.CustomerScope(cs[0].ID)
	inv, _ := w.invited(sc, "new@acme.example")
	w.create(inv)
	accepted := w.change(state.MemberChange{Before: inv, After: next(inv, func(a *domain.Member) {
		a.Status, a.Sub, a.Invitation.State = domain.StatusEnabled, "sub-new", domain.InvitationAccepted
	})})
	got := w.memberships("sub-new")
	want := copyMember(accepted)
	want.Invitation = nil
	if len(got) != 1 {
		t.Fatalf("%d memberships after an accept", len(got))
	}
	sameMember(t, got[0], want, "the membership of an accepted invitation")
	// A delete removes the membership.
	w.change(state.MemberChange{Before: ms[0]}) // the provider's
	if got := scopes(sub); !slices.Equal(got, []string{cs[0].ID, cs[1].ID}) {
		t.Fatalf("after a delete: %v", got)
	}
}

func testDeleteFreesEmail(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	m := w.create(w.enabled(sc, "gone@acme.example", false))
	ev := w.eventAt(sc, w.now.Add(time.Minute)) // the newest
	ev.Action = domain.Action(domain.KindUser, domain.ActionDeleted)
	noErr(t, w.changeErr(state.MemberChange{Before: m, Event: ev}), "delete")
	w.gone(sc, m.ID)
	_, err := w.s.MemberByEmail(w.ctx(), sc, m.Email)
	wantErr(t, err, state.ErrNotFound, "the e-mail of a deleted member")
	if ms := w.memberships(m.Sub); len(ms) != 0 {
		t.Fatalf("a deleted member has %d memberships", len(ms))
	}
	p, err := w.s.ListMembers(w.ctx(), sc, "", "", 10, nil)
	if err != nil || len(p.Items) != 0 {
		t.Fatalf("listed %d after a delete (%v)", len(p.Items), err)
	}
	if a := w.audit(sc); len(a) != 3 || a[0].ID != ev.ID {
		t.Fatalf("audit %+v", a)
	}
	// The e-mail is free again.
	again, _ := w.invited(sc, m.Email)
	w.create(again)
	got, err := w.s.MemberByEmail(w.ctx(), sc, m.Email)
	if err != nil || got.ID != again.ID {
		t.Fatalf("the e-mail names %s (%v), want %s", got.ID, err, again.ID)
	}
	// Deleting an invited member with its token revoked spends the token.
	noErr(t, w.changeErr(state.MemberChange{Before: again, RevokeToken: again.Invitation.TokenHash}), "delete an invited member")
	_, err = w.s.Invitation(w.ctx(), again.Invitation.TokenHash, w.now)
	wantErr(t, err, state.ErrTokenInvalid, "the token of a deleted member")
}

func testAdminCounting(t *testing.T, w *world) {
	c, sc := w.customerScope("Acme")
	count := func(want int, what string) {
		t.Helper()
		if got := w.admins(c.ID); got != want {
			t.Fatalf("%s: %d enabled admins, want %d", what, got, want)
		}
	}
	count(0, "a new customer")
	a1 := w.create(w.enabled(sc, "a1@acme.example", true))
	count(1, "an enabled admin")
	n1 := w.create(w.enabled(sc, "n1@acme.example", false))
	count(1, "an enabled user")
	i1, _ := w.invited(sc, "i1@acme.example")
	i1.Admin = true
	w.create(i1)
	count(1, "an invited admin")
	i1 = w.change(state.MemberChange{Before: i1, After: next(i1, func(a *domain.Member) {
		a.Status, a.Sub, a.Invitation.State = domain.StatusEnabled, "sub-i1", domain.InvitationAccepted
	})})
	count(2, "an admin's invitation accepted")
	a1 = w.change(state.MemberChange{Before: a1, After: next(a1, func(a *domain.Member) { a.Status = domain.StatusDisabled })})
	count(1, "an admin disabled")
	a1 = w.change(state.MemberChange{Before: a1, After: next(a1, func(a *domain.Member) { a.Name = "Renamed" })})
	count(1, "a disabled admin renamed")
	a1 = w.change(state.MemberChange{Before: a1, After: next(a1, func(a *domain.Member) { a.Status = domain.StatusEnabled })})
	count(2, "an admin enabled")
	a1 = w.change(state.MemberChange{Before: a1, After: next(a1, func(a *domain.Member) { a.Admin = false })})
	count(1, "an admin demoted")
	n1 = w.change(state.MemberChange{Before: n1, After: next(n1, func(a *domain.Member) { a.Admin = true })})
	count(2, "a user promoted")
	w.change(state.MemberChange{Before: n1})
	count(1, "an enabled admin deleted")
	// Without the guard, the last one may go.
	i1 = w.change(state.MemberChange{Before: i1, After: next(i1, func(a *domain.Member) { a.Status = domain.StatusDisabled })})
	count(0, "the last admin disabled without the guard")
	w.change(state.MemberChange{Before: i1})
	count(0, "a disabled admin deleted")
	w.change(state.MemberChange{Before: a1})
	count(0, "a user deleted")
	if got, _ := w.s.Customer(w.ctx(), c.ID); got.Name != "Acme" {
		t.Fatalf("the count's writes changed the customer: %+v", got)
	}
}

func testGuardLastAdmin(t *testing.T, w *world) {
	c, sc := w.customerScope("Acme")
	a1 := w.create(w.enabled(sc, "a1@acme.example", true))
	u := w.create(w.enabled(sc, "u@acme.example", false))
	inv, _ := w.invited(sc, "inv@acme.example")
	inv.Admin = true
	w.create(inv) // unconfirmed: not counted
	events := len(w.audit(sc))
	refusals := map[string]*domain.Member{
		"disable": next(a1, func(a *domain.Member) { a.Status = domain.StatusDisabled }),
		"demote":  next(a1, func(a *domain.Member) { a.Admin = false }),
		"delete":  nil,
	}
	for what, after := range refusals {
		err := w.changeErr(state.MemberChange{Before: a1, After: after, GuardLastAdmin: true})
		wantErr(t, err, state.ErrLastAdmin, what+" the last enabled admin")
	}
	sameMember(t, w.member(sc, a1.ID), a1, "the last admin after refusals")
	if w.admins(c.ID) != 1 || len(w.audit(sc)) != events {
		t.Fatalf("refusals changed the count (%d) or the trail", w.admins(c.ID))
	}
	// Changes that take no admin away pass the guard.
	a1 = w.change(state.MemberChange{Before: a1, After: next(a1, func(a *domain.Member) { a.Name = "Renamed" }), GuardLastAdmin: true})
	w.change(state.MemberChange{Before: u, After: next(u, func(a *domain.Member) { a.Status = domain.StatusDisabled }), GuardLastAdmin: true})
	// With a second admin, one may go, and then not the other.
	a2 := w.create(w.enabled(sc, "a2@acme.example", true))
	w.change(state.MemberChange{Before: a1, After: next(a1, func(a *domain.Member) { a.Status = domain.StatusDisabled }), GuardLastAdmin: true})
	if w.admins(c.ID) != 1 {
		t.Fatalf("%d admins", w.admins(c.ID))
	}
	wantErr(t, w.changeErr(state.MemberChange{Before: a2, GuardLastAdmin: true}), state.ErrLastAdmin, "delete the other")

	// The provider's operator admins are counted the same way.
	o1 := w.create(w.enabled(domain.ProviderScope, "o1@provider.example", true))
	oi, _ := w.invited(domain.ProviderScope, "oi@provider.example")
	oi.Role = domain.RoleAdmin
	w.create(oi)
	tech := w.create(w.enabled(domain.ProviderScope, "tech@provider.example", false))
	wantErr(t, w.changeErr(state.MemberChange{Before: o1, After: next(o1, func(a *domain.Member) { a.Role = domain.RoleTechnician }), GuardLastAdmin: true}),
		state.ErrLastAdmin, "demote the last operator admin")
	wantErr(t, w.changeErr(state.MemberChange{Before: o1, GuardLastAdmin: true}), state.ErrLastAdmin, "delete the last operator admin")
	tech = w.change(state.MemberChange{Before: tech, After: next(tech, func(a *domain.Member) { a.Role = domain.RoleAdmin }), GuardLastAdmin: true})
	w.change(state.MemberChange{Before: o1, After: next(o1, func(a *domain.Member) { a.Status = domain.StatusDisabled }), GuardLastAdmin: true})
	wantErr(t, w.changeErr(state.MemberChange{Before: tech, After: next(tech, func(a *domain.Member) { a.Status = domain.StatusDisabled }), GuardLastAdmin: true}),
		state.ErrLastAdmin, "disable the operator admin left")
	// A customer's admins are not the provider's.
	if w.admins(c.ID) != 1 {
		t.Fatalf("%d admins of the customer", w.admins(c.ID))
	}
}

func testActingAdmin(t *testing.T, w *world) {
	c, other := w.customer("Acme"), w.customer("Other")
	sc := domain.CustomerScope(c.ID)
	admin := w.create(w.enabled(sc, "admin@acme.example", true))
	user := w.create(w.enabled(sc, "user@acme.example", false))
	target := w.create(w.enabled(sc, "target@acme.example", false))
	lapsed := w.create(w.enabled(sc, "lapsed@acme.example", true))
	w.change(state.MemberChange{Before: lapsed, After: next(lapsed, func(a *domain.Member) { a.Status = domain.StatusDisabled })})
	elsewhere := w.enabled(domain.CustomerScope(other.ID), "boss@other.example", true)
	w.create(elsewhere)
	invitedAdmin, _ := w.invited(sc, "new@acme.example")
	invitedAdmin.Admin = true
	w.create(invitedAdmin)

	rename := func(m domain.Member, actor string) error {
		return w.changeErr(state.MemberChange{Before: m, After: next(m, func(a *domain.Member) { a.Name = "By " + actor }),
			Extras: state.Extras{ActingAdmin: actor}})
	}
	events := len(w.audit(sc))
	for what, actor := range map[string]string{
		"a user":                       user.Sub,
		"a disabled admin":             lapsed.Sub,
		"an admin of another customer": elsewhere.Sub,
		"nobody":                       "sub-nobody",
	} {
		wantErr(t, rename(target, actor), state.ErrActorNotAdmin, "acting as "+what)
		x, _ := w.invited(sc, "new-by-actor@acme.example")
		wantErr(t, w.createErr(x, state.Extras{ActingAdmin: actor}), state.ErrActorNotAdmin, "inviting as "+what)
		p := domain.Portal{ID: domain.NewID(domain.PrefixPortal), CustomerID: c.ID, Name: "p", URL: "https://p.example", CreatedAt: w.now}
		wantErr(t, w.createPortal(p, w.event(sc), state.Extras{ActingAdmin: actor}), state.ErrActorNotAdmin, "a portal as "+what)
		imp := domain.Import{ID: domain.NewID(domain.PrefixImport), CustomerID: c.ID, Total: 1, Chunks: 1, CreatedAt: w.now, UpdatedAt: w.now}
		wantErr(t, w.s.CreateImport(w.ctx(), state.NewImport{Import: imp, Chunks: []domain.ImportChunk{{N: 0, Rows: []domain.ImportRow{{N: 1, Email: "i@acme.example"}}}},
			Extras: state.Extras{ActingAdmin: actor}}), state.ErrActorNotAdmin, "an import as "+what)
		if _, err := w.s.Import(w.ctx(), c.ID, imp.ID); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("an import refused as %s is there: %v", what, err)
		}
	}
	sameMember(t, w.member(sc, target.ID), target, "the target after refusals")
	if _, err := w.s.MemberByEmail(w.ctx(), sc, "new-by-actor@acme.example"); err == nil {
		t.Fatal("a refused invite created its member")
	}
	if _, ps, _ := w.s.CustomerWithPortals(w.ctx(), c.ID); len(ps) != 0 || len(w.audit(sc)) != events {
		t.Fatalf("refusals left %d portals or audit events", len(ps))
	}
	// An enabled admin may act; acting on oneself is not checked (the
	// change's own version condition covers the member).
	target = w.change(state.MemberChange{Before: target, After: next(target, func(a *domain.Member) { a.Name = "By admin" }),
		Extras: state.Extras{ActingAdmin: admin.Sub}})
	noErr(t, rename(user, user.Sub), "a user changing itself")
	x, _ := w.invited(sc, "ok@acme.example")
	noErr(t, w.createErr(x, state.Extras{ActingAdmin: admin.Sub}), "inviting as an admin")
	p := domain.Portal{ID: domain.NewID(domain.PrefixPortal), CustomerID: c.ID, Name: "p", URL: "https://p.example", CreatedAt: w.now}
	noErr(t, w.createPortal(p, w.event(sc), state.Extras{ActingAdmin: admin.Sub}), "a portal as an admin")
	// Once demoted, the admin may not.
	w.change(state.MemberChange{Before: admin, After: next(admin, func(a *domain.Member) { a.Admin = false })})
	wantErr(t, rename(target, admin.Sub), state.ErrActorNotAdmin, "acting after a demotion")
	// In the provider's scope the acting admin is not checked.
	op := w.create(w.enabled(domain.ProviderScope, "op@provider.example", false))
	noErr(t, rename(op, "sub-nobody"), "an operator changed with an acting admin")
}

// An operator's change lands only while they are still an enabled operator
// in the role they acted in; their own record is covered by its version.
func testActingOperator(t *testing.T, w *world) {
	c, sc := w.customerScope("Acme")
	ops := domain.ProviderScope
	boss := w.enabled(ops, "boss@provider.example", true)
	boss = w.create(boss)
	tech := w.enabled(ops, "tech@provider.example", false)
	tech.Role = domain.RoleTechnician
	tech = w.create(tech)
	gone := w.enabled(ops, "gone@provider.example", false)
	gone.Role = domain.RoleTechnician
	gone = w.create(gone)
	gone = w.change(state.MemberChange{Before: gone, After: next(gone, func(a *domain.Member) { a.Status = domain.StatusDisabled })})
	target := w.create(w.enabled(sc, "target@acme.example", false))
	as := func(m domain.Member, role domain.OperatorRole) state.Extras {
		return state.Extras{ActingOperator: m.Sub, ActingRole: role}
	}
	rename := func(m domain.Member, x state.Extras) error {
		return w.changeErr(state.MemberChange{Before: m, After: next(m, func(a *domain.Member) { a.Name = "Renamed" }), Extras: x})
	}
	events := len(w.audit(sc))
	for what, x := range map[string]state.Extras{
		"a disabled operator":                 as(gone, domain.RoleTechnician),
		"a technician acting as an admin":     as(tech, domain.RoleAdmin),
		"an admin acting as a technician":     as(boss, domain.RoleTechnician),
		"nobody":                              {ActingOperator: "sub-nobody"},
		"a customer's member, as an operator": as(target, ""),
	} {
		wantErr(t, rename(target, x), state.ErrActorNotAdmin, "acting as "+what)
		inv, _ := w.invited(sc, "new-by-op@acme.example")
		wantErr(t, w.createErr(inv, x), state.ErrActorNotAdmin, "inviting as "+what)
		p := domain.Portal{ID: domain.NewID(domain.PrefixPortal), CustomerID: c.ID, Name: "p", URL: "https://p.example", CreatedAt: w.now}
		wantErr(t, w.createPortal(p, w.event(sc), x), state.ErrActorNotAdmin, "a portal as "+what)
	}
	sameMember(t, w.member(sc, target.ID), target, "the target after refusals")
	if _, err := w.s.MemberByEmail(w.ctx(), sc, "new-by-op@acme.example"); err == nil {
		t.Fatal("a refused invite created its member")
	}
	if _, ps, _ := w.s.CustomerWithPortals(w.ctx(), c.ID); len(ps) != 0 || len(w.audit(sc)) != events {
		t.Fatalf("refusals left %d portals or audit events", len(ps))
	}
	// Enabled, in their role: they act, in a customer and in the provider's
	// scope, on another operator and on their own record.
	target = w.change(state.MemberChange{Before: target, After: next(target, func(a *domain.Member) { a.Name = "By tech" }),
		Extras: as(tech, domain.RoleTechnician)})
	noErr(t, rename(gone, as(boss, domain.RoleAdmin)), "an admin renaming an operator")
	boss = w.change(state.MemberChange{Before: boss, After: next(boss, func(a *domain.Member) { a.Name = "Myself" }), Extras: as(boss, domain.RoleAdmin)})
	inv, _ := w.invited(sc, "ok-by-op@acme.example")
	noErr(t, w.createErr(inv, as(tech, domain.RoleTechnician)), "inviting as a technician")
	// Once demoted, the admin may not act as one.
	w.change(state.MemberChange{Before: boss, After: next(boss, func(a *domain.Member) { a.Role = domain.RoleTechnician })})
	wantErr(t, rename(target, as(boss, domain.RoleAdmin)), state.ErrActorNotAdmin, "acting after a demotion")
}

func testAuditSharesFate(t *testing.T, w *world) {
	c, sc := w.customerScope("Acme")
	admin := w.create(w.enabled(sc, "admin@acme.example", true))
	inv, _ := w.invited(sc, "inv@acme.example")
	w.create(inv)
	_, err := w.s.ClaimInvitation(w.ctx(), inv.Invitation.TokenHash, "claim-1", w.now, w.now.Add(30*time.Second))
	noErr(t, err, "claim")
	dup, _ := w.invited(sc, "inv@acme.example")
	ghost, _ := w.invited(domain.CustomerScope(domain.NewID(domain.PrefixCustomer)), "g@acme.example")
	before := w.audit(sc)

	wantErr(t, w.createErr(dup, state.Extras{}), state.ErrEmailTaken, "a taken e-mail")
	wantErr(t, w.createErr(ghost, state.Extras{}), state.ErrNotFound, "no customer")
	wantErr(t, w.changeErr(state.MemberChange{Before: *next(admin, nil), After: next(admin, func(a *domain.Member) { a.Version = 3 })}),
		state.ErrStale, "a stale change")
	wantErr(t, w.changeErr(state.MemberChange{Before: admin, GuardLastAdmin: true}), state.ErrLastAdmin, "the last admin")
	wantErr(t, w.changeErr(state.MemberChange{Before: inv, After: next(inv, nil), RevokeToken: inv.Invitation.TokenHash}),
		state.ErrClaimHeld, "a claimed token")
	wantErr(t, w.changeErr(state.MemberChange{Before: inv, After: next(inv, nil), UseToken: inv.Invitation.TokenHash, ClaimID: "claim-2"}),
		state.ErrTokenInvalid, "another's claim")
	rate := &state.RateCount{Key: "fate-" + c.ID, N: 2, Limit: 1, Window: time.Minute, Now: w.now}
	wantErr(t, w.changeErr(state.MemberChange{Before: inv, After: next(inv, nil), Extras: state.Extras{Rate: rate}}),
		state.ErrRateLimited, "a rate limit")
	noErr(t, w.s.PutIdempotency(w.ctx(), state.Idempotency{ID: "key-" + c.ID, Fingerprint: "f", CreatedAt: w.now}), "put a key")
	wantErr(t, w.changeErr(state.MemberChange{Before: inv, After: next(inv, nil), Extras: state.Extras{Idempotency: &state.Idempotency{ID: "key-" + c.ID, Fingerprint: "f", CreatedAt: w.now}}}),
		state.ErrIdempotencyRace, "a taken key")
	wantErr(t, w.changeErr(state.MemberChange{Before: inv, After: next(inv, nil), Extras: state.Extras{ActingAdmin: "sub-nobody"}}),
		state.ErrActorNotAdmin, "no longer an admin")

	after := w.audit(sc)
	if len(after) != len(before) {
		t.Fatalf("refused changes wrote %d audit events", len(after)-len(before))
	}
	sameMember(t, w.member(sc, inv.ID), inv, "the member after refused changes")
	// And a change that lands writes its own event, exactly once.
	ev := w.eventAt(sc, w.now.Add(time.Minute))
	noErr(t, w.changeErr(state.MemberChange{Before: admin, After: next(admin, nil), Event: ev}), "a change")
	// One event is one: a change that brings an event written already is refused.
	wantErr(t, w.changeErr(state.MemberChange{Before: *next(admin, nil), After: next(*next(admin, nil), nil), Event: ev}),
		state.ErrConcurrent, "a change with an event written already")
	after = w.audit(sc)
	if len(after) != len(before)+1 || after[0].ID != ev.ID {
		t.Fatalf("%d events after a change, want %d", len(after), len(before)+1)
	}
}

// When several conditions of a change fail, the first of the transaction's
// is the answer: the member's version before everything else (a use case
// retries on ErrStale), and a count that passes its limit on its own
// before anything is tried.
func testPrecedence(t *testing.T, w *world) {
	c, sc := w.customerScope("Acme")
	admin := w.create(w.enabled(sc, "admin@acme.example", true))
	stale := *next(admin, nil)
	wantErr(t, w.changeErr(state.MemberChange{Before: stale, GuardLastAdmin: true, Extras: state.Extras{ActingAdmin: "sub-nobody"}}),
		state.ErrStale, "stale, last admin and not an admin")
	over := &state.RateCount{Key: "over-" + c.ID, N: 5, Limit: 1, Window: time.Minute, Now: w.now}
	wantErr(t, w.changeErr(state.MemberChange{Before: stale, Extras: state.Extras{Rate: over}}), state.ErrRateLimited, "stale and over the limit")
	dup := w.enabled(sc, admin.Email, false)
	noErr(t, w.s.PutIdempotency(w.ctx(), state.Idempotency{ID: "k-" + c.ID, Fingerprint: "f", CreatedAt: w.now}), "put a key")
	wantErr(t, w.createErr(dup, state.Extras{Idempotency: &state.Idempotency{ID: "k-" + c.ID, Fingerprint: "f", CreatedAt: w.now}}),
		state.ErrEmailTaken, "a taken e-mail and a taken key")
	ghost := w.enabled(domain.CustomerScope(domain.NewID(domain.PrefixCustomer)), "x@ghost.example", false)
	wantErr(t, w.createErr(ghost, state.Extras{ActingAdmin: "sub-nobody"}), state.ErrNotFound, "no customer and not an admin")
}
