package storetest

import (
	"fmt"
	"testing"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// counts reads a scope's counts by category.
func (w *world) counts(sc domain.Scope) domain.MemberCounts {
	w.t.Helper()
	c, err := w.s.MemberCounts(w.ctx(), sc)
	if err != nil {
		w.t.Fatalf("read counts: %v", err)
	}
	return c
}

// listed counts a scope's members by category as the category listings
// show them: what the counts must always equal.
func (w *world) listed(sc domain.Scope) domain.MemberCounts {
	w.t.Helper()
	out := domain.MemberCounts{Exact: true}
	for _, st := range []domain.Status{domain.StatusEnabled, domain.StatusDisabled, domain.StatusUnconfirmed} {
		everyPage(w.t, "list "+string(st), 0, func(start state.PageKey) (state.Page[domain.Member], error) {
			return w.s.ListMembers(w.ctx(), sc, st, "", 100, start)
		}, func(items []domain.Member) { out.Add(st, len(items)) })
	}
	return out
}

func (w *world) countsMatch(sc domain.Scope, want domain.MemberCounts, what string) {
	w.t.Helper()
	got := w.counts(sc)
	if got != want {
		w.t.Fatalf("%s: counts %+v, want %+v", what, got, want)
	}
	if l := w.listed(sc); l != want {
		w.t.Fatalf("%s: the listings hold %+v, want %+v", what, l, want)
	}
}

func testCountsFollowEveryChange(t *testing.T, w *world) {
	c, sc := w.customerScope("Acme")
	w.countsMatch(sc, domain.MemberCounts{Exact: true}, "a new customer")
	if cu, err := w.s.Customer(w.ctx(), c.ID); err != nil || cu.Members != (domain.MemberCounts{Exact: true}) {
		t.Fatalf("the customer carries counts %+v (%v)", cu.Members, err)
	}
	admin := w.create(w.enabled(sc, "admin@acme.example", true))
	jane := w.create(w.enabled(sc, "jane@acme.example", false))
	inv, _ := w.invited(sc, "new@acme.example")
	inv = w.create(inv)
	w.create(func() domain.Member { m, _ := w.invited(sc, "other@acme.example"); return m }())
	w.countsMatch(sc, domain.MemberCounts{Enabled: 2, Unconfirmed: 2, Exact: true}, "after four creates")

	// A refused create and a refused change count nothing.
	dup, _ := w.invited(sc, "jane@acme.example")
	wantErr(t, w.createErr(dup, state.Extras{}), state.ErrEmailTaken, "a second jane")
	wantErr(t, w.changeErr(state.MemberChange{Before: admin, After: next(admin, func(m *domain.Member) { m.Status = domain.StatusDisabled }), GuardLastAdmin: true}),
		state.ErrLastAdmin, "disabling the last admin")
	w.countsMatch(sc, domain.MemberCounts{Enabled: 2, Unconfirmed: 2, Exact: true}, "after refusals")

	// Disable, accept, change a name (no move), delete.
	jane = w.change(state.MemberChange{Before: jane, After: next(jane, func(m *domain.Member) { m.Status = domain.StatusDisabled })})
	w.countsMatch(sc, domain.MemberCounts{Enabled: 1, Disabled: 1, Unconfirmed: 2, Exact: true}, "after a disable")
	inv = w.change(state.MemberChange{Before: inv, After: next(inv, func(m *domain.Member) {
		m.Status, m.Sub, m.Invitation = domain.StatusEnabled, "sub-"+domain.NewID("s"), nil
	}), RevokeToken: inv.Invitation.TokenHash, Now: w.now})
	jane = w.change(state.MemberChange{Before: jane, After: next(jane, func(m *domain.Member) { m.Name = "Jane D." })})
	w.countsMatch(sc, domain.MemberCounts{Enabled: 2, Disabled: 1, Unconfirmed: 1, Exact: true}, "after an accept and a rename")
	w.change(state.MemberChange{Before: jane, Now: w.now})
	w.countsMatch(sc, domain.MemberCounts{Enabled: 2, Unconfirmed: 1, Exact: true}, "after a delete")

	// Another customer's counts are its own.
	other := domain.CustomerScope(w.customer("Globex").ID)
	w.create(w.enabled(other, "g@globex.example", true))
	w.countsMatch(other, domain.MemberCounts{Enabled: 1, Exact: true}, "the other customer")
	w.countsMatch(sc, domain.MemberCounts{Enabled: 2, Unconfirmed: 1, Exact: true}, "the first, untouched")
}

func testConcurrentCounts(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	w.create(w.enabled(sc, "admin@acme.example", true))
	var users []domain.Member
	for i := range 8 {
		users = append(users, w.create(w.enabled(sc, fmt.Sprintf("user%d@acme.example", i), false)))
	}
	// At once: sixteen invites, eight disables, and three of them deleted
	// twice over (one delete of each lands, the other is stale).
	errs := all(16+8+6, func(i int) error {
		switch {
		case i < 16:
			m, _ := w.invited(sc, fmt.Sprintf("new%d@acme.example", i))
			return w.createErr(m, state.Extras{})
		case i < 24:
			u := users[i-16]
			return w.changeErr(state.MemberChange{Before: u, After: next(u, func(m *domain.Member) { m.Status = domain.StatusDisabled })})
		default:
			return w.changeErr(state.MemberChange{Before: users[(i-24)%3], Now: w.now})
		}
	})
	// Lost races (DynamoDB's transaction conflicts past the retries, a
	// stale version) leave nothing; what landed is counted exactly.
	tally(t, errs, state.ErrConcurrent, state.ErrStale)
	want := w.listed(sc)
	if want.Enabled+want.Disabled+want.Unconfirmed == 9 {
		t.Fatalf("nothing landed: %v", errs)
	}
	w.countsMatch(sc, want, "after the concurrent writes")
}

func testProviderCountsAfterBackfill(t *testing.T, w *world) {
	sc := domain.ProviderScope
	w.create(w.enabled(sc, "boss@provider.example", true))
	tech := w.create(w.enabled(sc, "tech@provider.example", false))
	inv, _ := w.invited(sc, "new@provider.example")
	w.create(inv)
	w.change(state.MemberChange{Before: tech, After: next(tech, func(m *domain.Member) { m.Status = domain.StatusDisabled })})
	for range 20 {
		more, err := w.s.BackfillCounts(w.ctx(), 10)
		noErr(t, err, "backfill")
		if !more {
			break
		}
	}
	w.countsMatch(sc, domain.MemberCounts{Enabled: 1, Disabled: 1, Unconfirmed: 1, Exact: true}, "the operators")
	// Done is done: running it again changes nothing.
	more, err := w.s.BackfillCounts(w.ctx(), 10)
	noErr(t, err, "backfill again")
	if more {
		t.Fatal("a finished backfill says there is more")
	}
	w.countsMatch(sc, domain.MemberCounts{Enabled: 1, Disabled: 1, Unconfirmed: 1, Exact: true}, "the operators, after a second run")
}
