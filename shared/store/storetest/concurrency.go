package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// all runs f n times at once and returns each call's error.
func all(n int, f func(i int) error) []error {
	out := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return out
}

// tally counts the successes, and fails on an error that is none of ok.
func tally(t *testing.T, errs []error, ok ...error) int {
	t.Helper()
	n := 0
	for _, err := range errs {
		if err == nil {
			n++
			continue
		}
		known := false
		for _, o := range ok {
			known = known || errors.Is(err, o)
		}
		if !known {
			t.Fatalf("unexpected error: %v", err)
		}
	}
	return n
}

func testConcurrentCreates(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	const n = 20
	errs := all(n, func(int) error {
		m, _ := w.invited(sc, "same@acme.example")
		return w.createErr(m, state.Extras{})
	})
	if created := tally(t, errs, state.ErrEmailTaken); created != 1 {
		t.Fatalf("%d of %d concurrent invites of one e-mail created a member; want 1 (%v)", created, n, errs)
	}
	p, err := w.s.ListMembers(w.ctx(), sc, "", "", 50, nil)
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("%d members listed (%v)", len(p.Items), err)
	}
	if a := w.audit(sc); len(a) != 2 { // the customer and one invite
		t.Fatalf("%d audit events, want 2", len(a))
	}
}

func testMutualDemotion(t *testing.T, w *world) {
	for round := range 10 {
		c, sc := w.customerScope(fmt.Sprint("Round ", round))
		a := w.create(w.enabled(sc, "a@acme.example", true))
		b := w.create(w.enabled(sc, "b@acme.example", true))
		demote := func(target domain.Member, actor string) error {
			return w.changeErr(state.MemberChange{Before: target, After: next(target, func(m *domain.Member) { m.Admin = false }),
				GuardLastAdmin: true, Extras: state.Extras{ActingAdmin: actor}})
		}
		errs := all(2, func(i int) error {
			if i == 0 {
				return demote(b, a.Sub)
			}
			return demote(a, b.Sub)
		})
		ok := tally(t, errs, state.ErrLastAdmin, state.ErrActorNotAdmin, state.ErrConcurrent)
		if ok > 1 || (ok == 0 && !(errors.Is(errs[0], state.ErrConcurrent) && errors.Is(errs[1], state.ErrConcurrent))) {
			t.Fatalf("round %d: %d demotions landed (%v); at most one may, and one must unless both lost a race", round, ok, errs)
		}
		left := 0
		for _, m := range []domain.Member{a, b} {
			if got := w.member(sc, m.ID); got.Admin {
				left++
			}
		}
		if got := w.admins(c.ID); got != 2-ok || left != got {
			t.Fatalf("round %d: %d enabled admins counted, %d left, after %d demotions", round, got, left, ok)
		}
	}
}

func testConcurrentChanges(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	m := w.create(w.enabled(sc, "jane@acme.example", false))
	const n = 10
	errs := all(n, func(i int) error {
		return w.changeErr(state.MemberChange{Before: m, After: next(m, func(a *domain.Member) { a.Name = fmt.Sprint("Name ", i) })})
	})
	if ok := tally(t, errs, state.ErrStale, state.ErrConcurrent); ok != 1 {
		t.Fatalf("%d of %d changes of one version landed (%v)", ok, n, errs)
	}
	var won int
	for i, err := range errs {
		if err == nil {
			won = i
		}
	}
	got := w.member(sc, m.ID)
	if got.Version != 2 || got.Name != fmt.Sprint("Name ", won) {
		t.Fatalf("the member is %+v; change %d landed", got, won)
	}
	if ms := w.memberships(m.Sub); ms[0].Name != got.Name {
		t.Fatalf("the membership says %q, the member %q", ms[0].Name, got.Name)
	}
	if a := w.audit(sc); len(a) != 3 {
		t.Fatalf("%d audit events, want 3", len(a))
	}
}

func testConcurrentClaims(t *testing.T, w *world) {
	c := w.customer("Acme")
	m, _ := w.invited(domain.CustomerScope(c.ID), "jane@acme.example")
	w.create(m)
	const n = 10
	errs := all(n, func(i int) error {
		_, err := w.s.ClaimInvitation(w.ctx(), m.Invitation.TokenHash, fmt.Sprint("claim-", i), w.now, w.now.Add(30*time.Second))
		return err
	})
	if ok := tally(t, errs, state.ErrTokenInvalid); ok != 1 {
		t.Fatalf("%d of %d concurrent claims won (%v)", ok, n, errs)
	}
}

func testConcurrentTakes(t *testing.T, w *world) {
	const n, limit = 20, 7
	errs := all(n, func(int) error {
		return w.s.Take(w.ctx(), state.RateCount{Key: "burst", N: 1, Limit: limit, Window: time.Minute, Now: w.now})
	})
	if ok := tally(t, errs, state.ErrRateLimited); ok != limit {
		t.Fatalf("%d of %d concurrent uses counted; the limit is %d", ok, n, limit)
	}
}

func testConcurrentIdempotency(t *testing.T, w *world) {
	const n = 10
	errs := all(n, func(i int) error {
		return w.s.PutIdempotency(w.ctx(), state.Idempotency{ID: "k", Fingerprint: fmt.Sprint("fp-", i), CreatedAt: w.now})
	})
	if ok := tally(t, errs, state.ErrIdempotencyRace); ok != 1 {
		t.Fatalf("%d of %d concurrent records of one key written", ok, n)
	}
	rec, err := w.s.IdempotencyRecord(w.ctx(), "k", w.now)
	if err != nil || rec == nil {
		t.Fatalf("no record (%v)", err)
	}
	for i, err := range errs {
		if err == nil && rec.Fingerprint != fmt.Sprint("fp-", i) {
			t.Fatalf("the record is %q; request %d wrote it", rec.Fingerprint, i)
		}
	}
}

func testCancelled(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	m := w.create(w.enabled(sc, "jane@acme.example", false))
	ctx, cancel := context.WithCancel(w.ctx())
	cancel()
	_, err := w.s.Member(ctx, sc, m.ID)
	wantErr(t, err, state.ErrUnavailable, "a cancelled read")
	_, err = w.s.ListMembers(ctx, sc, "", "", 10, nil)
	wantErr(t, err, state.ErrUnavailable, "a cancelled listing")
	x, _ := w.invited(sc, "x@acme.example")
	wantErr(t, w.s.CreateMember(ctx, state.NewMember{Member: x, Event: w.event(sc)}), state.ErrUnavailable, "a cancelled create")
	wantErr(t, w.s.ChangeMember(ctx, state.MemberChange{Before: m, Event: w.event(sc), Now: w.now}), state.ErrUnavailable, "a cancelled delete")
	wantErr(t, w.s.Take(ctx, state.RateCount{Key: "k", N: 1, Limit: 1, Window: time.Minute, Now: w.now}), state.ErrUnavailable, "a cancelled count")
	w.gone(sc, x.ID)
	sameMember(t, w.member(sc, m.ID), m, "the member after a cancelled delete")
	noErr(t, w.s.Take(w.ctx(), state.RateCount{Key: "k", N: 1, Limit: 1, Window: time.Minute, Now: w.now}), "the count after a cancelled one")
}

// A customer's seat limit holds on the count kept in the members' own
// transactions: of 20 invites racing for the last seat, exactly one wins;
// leaving frees a seat, taking one back (enabling) needs one free.
func testSeatLimit(t *testing.T, w *world) {
	c, sc := w.customerScope("Acme")
	after := c
	after.Version++
	after.Policy.SeatLimit = 3
	noErr(t, w.s.ChangeCustomer(w.ctx(), state.CustomerChange{Before: c, After: after, Now: w.now}), "set the seat limit")
	admin := w.create(w.enabled(sc, "boss@acme.example", true))
	quiet := w.create(w.enabled(sc, "quiet@acme.example", false))
	const n = 20
	errs := all(n, func(i int) error {
		m, _ := w.invited(sc, fmt.Sprintf("racer%d@acme.example", i))
		return w.createErr(m, state.Extras{})
	})
	if created := tally(t, errs, state.ErrSeatLimit, state.ErrConcurrent); created != 1 {
		t.Fatalf("%d of %d invites racing for the last seat won; want 1 (%v)", created, n, errs)
	}
	if !slices.ContainsFunc(errs, func(err error) bool { return errors.Is(err, state.ErrSeatLimit) }) {
		t.Fatalf("no seat_limit among %v", errs)
	}
	if a := w.audit(sc); len(a) != 4 { // the customer, three members
		t.Fatalf("%d audit events", len(a))
	}
	// Full: an admin made enabled is refused too; the customer as before.
	if err := w.createErr(w.enabled(sc, "boss2@acme.example", true), state.Extras{}); !errors.Is(err, state.ErrSeatLimit) {
		t.Fatalf("%v", err)
	}
	if got := w.admins(c.ID); got != 1 {
		t.Fatalf("%d admins", got)
	}
	// Disabling frees a seat; enabling again takes it, on condition.
	quiet = w.change(state.MemberChange{Before: quiet, Now: w.now, After: next(quiet, func(a *domain.Member) { a.Status = domain.StatusDisabled })})
	m, _ := w.invited(sc, "late@acme.example")
	w.create(m)
	if err := w.changeErr(state.MemberChange{Before: quiet, Now: w.now, After: next(quiet, func(a *domain.Member) { a.Status = domain.StatusEnabled })}); !errors.Is(err, state.ErrSeatLimit) {
		t.Fatalf("enable past the limit: %v", err)
	}
	if got := w.member(sc, quiet.ID); got.Status != domain.StatusDisabled || got.Version != quiet.Version {
		t.Fatalf("%+v", got)
	}
	// A delete frees a seat; the provider's operators hold none.
	w.change(state.MemberChange{Before: admin, Now: w.now})
	w.change(state.MemberChange{Before: quiet, Now: w.now, After: next(quiet, func(a *domain.Member) { a.Status = domain.StatusEnabled })})
	for i := range 4 {
		op, _ := w.invited(domain.ProviderScope, fmt.Sprintf("op%d@provider.example", i))
		w.create(op)
	}
	cu, err := w.s.Customer(w.ctx(), c.ID)
	noErr(t, err, "read")
	if cu.Seats != 3 {
		t.Fatalf("%d seats", cu.Seats)
	}
}
