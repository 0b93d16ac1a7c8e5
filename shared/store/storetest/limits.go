package storetest

import (
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

func testIdempotency(t *testing.T, w *world) {
	created := w.now
	const id = "key-1"
	get := func(now time.Time) *state.Idempotency {
		t.Helper()
		rec, err := w.s.IdempotencyRecord(w.ctx(), id, now)
		noErr(t, err, "read a record")
		return rec
	}
	if rec := get(created); rec != nil {
		t.Fatalf("a record before any: %+v", rec)
	}
	noErr(t, w.s.PutIdempotency(w.ctx(), state.Idempotency{ID: id, Fingerprint: "fp", CreatedAt: created}), "put a record")
	rec := get(created)
	if rec == nil || rec.ID != id || rec.Fingerprint != "fp" || rec.Ref != "" || rec.Response != "" || !rec.CreatedAt.Equal(created) {
		t.Fatalf("the record: %+v", rec)
	}
	wantErr(t, w.s.PutIdempotency(w.ctx(), state.Idempotency{ID: id, Fingerprint: "other", CreatedAt: created}),
		state.ErrIdempotencyRace, "a second record of the key")
	if rec := get(created); rec.Fingerprint != "fp" {
		t.Fatalf("the refused record replaced the first: %+v", rec)
	}
	// Completed by its own request only.
	noErr(t, w.s.CompleteIdempotency(w.ctx(), id, "other", "theirs"), "complete another's record")
	if rec := get(created); rec.Response != "" {
		t.Fatalf("another request completed the record: %+v", rec)
	}
	noErr(t, w.s.CompleteIdempotency(w.ctx(), id, "fp", `{"ok":true}`), "complete the record")
	if rec := get(created); rec.Response != `{"ok":true}` || rec.Fingerprint != "fp" {
		t.Fatalf("the completed record: %+v", rec)
	}
	noErr(t, w.s.CompleteIdempotency(w.ctx(), "key-none", "fp", "x"), "complete no record")
	if rec, _ := w.s.IdempotencyRecord(w.ctx(), "key-none", created); rec != nil {
		t.Fatalf("completing no record made one: %+v", rec)
	}
	// Remembered for state.IdempotencyTTL, by the time asked about.
	if rec := get(created.Add(state.IdempotencyTTL - time.Nanosecond)); rec == nil {
		t.Fatal("forgotten before its time")
	}
	if rec := get(created.Add(state.IdempotencyTTL)); rec != nil {
		t.Fatalf("remembered at its expiry: %+v", rec)
	}
	if rec := get(created.Add(48 * time.Hour)); rec != nil {
		t.Fatalf("remembered after its expiry: %+v", rec)
	}
	// An expired key is free again, though its record may not be deleted yet.
	later := created.Add(state.IdempotencyTTL + time.Second)
	noErr(t, w.s.PutIdempotency(w.ctx(), state.Idempotency{ID: id, Fingerprint: "next", CreatedAt: later}), "reuse an expired key")
	if rec := get(later); rec == nil || rec.Fingerprint != "next" || rec.Response != "" {
		t.Fatalf("the key's new record: %+v", rec)
	}
	nc := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: "Again", Locale: "en", CreatedAt: later, UpdatedAt: later}
	ev := domain.NewEvent(later, domain.SystemActor, domain.ActionCustomerCreated, domain.Target{Kind: "customer", ID: nc.ID}, nc.Scope())
	wantErr(t, w.s.CreateCustomer(w.ctx(), nc, ev, state.Extras{Idempotency: &state.Idempotency{ID: id, Fingerprint: "x", CreatedAt: later}}),
		state.ErrIdempotencyRace, "a key taken again within its day")
	much := later.Add(state.IdempotencyTTL + time.Second)
	ev.ID = domain.NewID(domain.PrefixEvent)
	noErr(t, w.s.CreateCustomer(w.ctx(), nc, ev, state.Extras{Idempotency: &state.Idempotency{ID: id, Fingerprint: "y", Ref: nc.ID, CreatedAt: much}}),
		"a change with an expired key")
	if rec := get(much); rec == nil || rec.Ref != nc.ID {
		t.Fatalf("the change's record: %+v", rec)
	}
}

func testIdempotencyExtras(t *testing.T, w *world) {
	c, sc := w.customerScope("Acme")
	key := func(id, ref string) *state.Idempotency {
		return &state.Idempotency{ID: id, Fingerprint: "fp-" + id, Ref: ref, CreatedAt: w.now}
	}
	ref := func(id string) string {
		t.Helper()
		rec, err := w.s.IdempotencyRecord(w.ctx(), id, w.now)
		noErr(t, err, "read a record")
		if rec == nil {
			t.Fatalf("no record of %s", id)
		}
		if rec.Fingerprint != "fp-"+id {
			t.Fatalf("record %+v", rec)
		}
		return rec.Ref
	}
	events := len(w.audit(sc))
	// A member and the record of its request land together.
	m1, _ := w.invited(sc, "m1@acme.example")
	noErr(t, w.createErr(m1, state.Extras{Idempotency: key("k-member", m1.ID)}), "create with a key")
	if got := ref("k-member"); got != m1.ID {
		t.Fatalf("the record names %q", got)
	}
	m2, _ := w.invited(sc, "m2@acme.example")
	wantErr(t, w.createErr(m2, state.Extras{Idempotency: key("k-member", m2.ID)}), state.ErrIdempotencyRace, "a second create with the key")
	w.gone(sc, m2.ID)
	if _, err := w.s.MemberByEmail(w.ctx(), sc, m2.Email); err == nil {
		t.Fatal("the refused member's e-mail is taken")
	}
	if got := ref("k-member"); got != m1.ID {
		t.Fatalf("the record names %q after a race", got)
	}
	// And a refused create writes no record.
	dup, _ := w.invited(sc, "m1@acme.example")
	wantErr(t, w.createErr(dup, state.Extras{Idempotency: key("k-dup", dup.ID)}), state.ErrEmailTaken, "a taken e-mail")
	if rec, _ := w.s.IdempotencyRecord(w.ctx(), "k-dup", w.now); rec != nil {
		t.Fatalf("a refused create wrote its record: %+v", rec)
	}
	// A change.
	w.change(state.MemberChange{Before: m1, After: next(m1, nil), Extras: state.Extras{Idempotency: key("k-change", m1.ID)}})
	wantErr(t, w.changeErr(state.MemberChange{Before: *next(m1, nil), After: next(*next(m1, nil), nil), Extras: state.Extras{Idempotency: key("k-change", m1.ID)}}),
		state.ErrIdempotencyRace, "a second change with the key")
	if got := w.member(sc, m1.ID); got.Version != 2 {
		t.Fatalf("version %d after a refused change", got.Version)
	}
	// A customer.
	cu := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: "Initech", Locale: "en", CreatedAt: w.now, UpdatedAt: w.now}
	noErr(t, w.s.CreateCustomer(w.ctx(), cu, w.event(domain.CustomerScope(cu.ID)), state.Extras{Idempotency: key("k-customer", cu.ID)}), "a customer with a key")
	cu2 := cu
	cu2.ID = domain.NewID(domain.PrefixCustomer)
	wantErr(t, w.s.CreateCustomer(w.ctx(), cu2, w.event(domain.CustomerScope(cu2.ID)), state.Extras{Idempotency: key("k-customer", cu2.ID)}),
		state.ErrIdempotencyRace, "a second customer with the key")
	if _, err := w.s.Customer(w.ctx(), cu2.ID); err == nil {
		t.Fatal("the refused customer exists")
	}
	if got := ref("k-customer"); got != cu.ID {
		t.Fatalf("the record names %q", got)
	}
	// A portal.
	p := domain.Portal{ID: domain.NewID(domain.PrefixPortal), CustomerID: c.ID, Name: "p", URL: "https://p.example", CreatedAt: w.now}
	noErr(t, w.createPortal(p, w.event(sc), state.Extras{Idempotency: key("k-portal", p.ID)}), "a portal with a key")
	p2 := p
	p2.ID = domain.NewID(domain.PrefixPortal)
	wantErr(t, w.createPortal(p2, w.event(sc), state.Extras{Idempotency: key("k-portal", p2.ID)}),
		state.ErrIdempotencyRace, "a second portal with the key")
	if _, ps, _ := w.s.CustomerWithPortals(w.ctx(), c.ID); len(ps) != 1 {
		t.Fatalf("%d portals", len(ps))
	}
	if got := len(w.audit(sc)); got != events+3 { // m1, its change, the portal
		t.Fatalf("%d audit events, want %d", got, events+3)
	}
}

func testRateWindows(t *testing.T, w *world) {
	start := w.now // a whole hour: a window of a minute starts there
	at := func(d time.Duration) time.Time { return start.Add(d) }
	take := func(key string, n, limit int, now time.Time) error {
		return w.s.Take(w.ctx(), state.RateCount{Key: key, N: n, Limit: limit, Window: time.Minute, Now: now})
	}
	refused := func(err error, wait time.Duration, what string) {
		t.Helper()
		wantErr(t, err, state.ErrRateLimited, what)
		if got := retryAfter(err); got != wait {
			t.Fatalf("%s: retry after %v, want %v", what, got, wait)
		}
	}
	for range 3 {
		noErr(t, take("a", 1, 3, at(10*time.Second)), "a use within the limit")
	}
	refused(take("a", 1, 3, at(10*time.Second)), 50*time.Second, "a use past the limit")
	refused(take("a", 1, 3, at(59*time.Second)), time.Second, "the window's last second")
	// Keys count apart.
	noErr(t, take("b", 1, 3, at(10*time.Second)), "another key")
	// The next window starts at its instant, empty.
	for range 3 {
		noErr(t, take("a", 1, 3, at(time.Minute)), "a use of the next window")
	}
	refused(take("a", 1, 3, at(time.Minute)), time.Minute, "the next window, full at its start")
	// Uses count by n; a count that passes the limit counts nothing.
	noErr(t, take("c", 3, 5, at(0)), "3 of 5")
	refused(take("c", 3, 5, at(0)), time.Minute, "3 more of 5")
	noErr(t, take("c", 2, 5, at(0)), "2 more of 5")
	refused(take("c", 1, 5, at(30*time.Second)), 30*time.Second, "1 more of 5")
	refused(take("d", 4, 3, at(15*time.Second)), 45*time.Second, "4 of 3 at once")
	noErr(t, take("d", 3, 3, at(15*time.Second)), "3 of 3 after a refusal")
	noErr(t, take("e", 0, 0, at(0)), "nothing of nothing")
	// Uses given back free their room in their window.
	noErr(t, take("d", -2, 3, at(20*time.Second)), "2 of 3 given back")
	noErr(t, take("d", 2, 3, at(30*time.Second)), "2 again after they were given back")
	refused(take("d", 1, 3, at(40*time.Second)), 20*time.Second, "past the limit again")
	// Longer windows end where they end.
	hour := func(now time.Time) error {
		return w.s.Take(w.ctx(), state.RateCount{Key: "h", N: 1, Limit: 1, Window: time.Hour, Now: now})
	}
	noErr(t, hour(at(10*time.Minute)), "an hour's use")
	refused(hour(at(45*time.Minute)), 15*time.Minute, "an hour's second use")
	noErr(t, hour(at(time.Hour)), "the next hour")
}

func testRateExtras(t *testing.T, w *world) {
	c, sc := w.customerScope("Acme")
	rate := func(n int, now time.Time) *state.RateCount {
		return &state.RateCount{Key: "invites#" + c.ID, N: n, Limit: 2, Window: time.Minute, Now: now}
	}
	t0 := w.now.Add(20 * time.Second)
	m1, _ := w.invited(sc, "m1@acme.example")
	noErr(t, w.createErr(m1, state.Extras{Rate: rate(1, t0)}), "a counted invite")
	// A refused change counts nothing.
	dup, _ := w.invited(sc, "m1@acme.example")
	wantErr(t, w.createErr(dup, state.Extras{Rate: rate(1, t0)}), state.ErrEmailTaken, "a taken e-mail")
	m2, _ := w.invited(sc, "m2@acme.example")
	noErr(t, w.createErr(m2, state.Extras{Rate: rate(1, t0)}), "the second counted invite")
	// A full window refuses the change, which writes nothing.
	m3, _ := w.invited(sc, "m3@acme.example")
	err := w.createErr(m3, state.Extras{Rate: rate(1, t0)})
	wantErr(t, err, state.ErrRateLimited, "a third invite")
	if got := retryAfter(err); got != 40*time.Second {
		t.Fatalf("retry after %v, want 40s", got)
	}
	w.gone(sc, m3.ID)
	err = w.changeErr(state.MemberChange{Before: m1, After: next(m1, nil), Extras: state.Extras{Rate: rate(1, t0)}})
	wantErr(t, err, state.ErrRateLimited, "a counted change in a full window")
	sameMember(t, w.member(sc, m1.ID), m1, "the member of a refused change")
	// The window is the one Take counts in.
	t1 := w.now.Add(time.Minute)
	noErr(t, w.s.Take(w.ctx(), *rate(2, t1)), "take the next window")
	wantErr(t, w.createErr(m3, state.Extras{Rate: rate(1, t1)}), state.ErrRateLimited, "an invite after a Take filled the window")
	// A count that passes the limit on its own is refused at once.
	t2 := w.now.Add(2 * time.Minute)
	err = w.createErr(m3, state.Extras{Rate: rate(3, t2.Add(5*time.Second))})
	wantErr(t, err, state.ErrRateLimited, "3 of 2 at once")
	if got := retryAfter(err); got != 55*time.Second {
		t.Fatalf("retry after %v, want 55s", got)
	}
	noErr(t, w.createErr(m3, state.Extras{Rate: rate(2, t2)}), "2 of 2 after it")
	// Customers and portals count too.
	cu := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: "Initech", Locale: "en", CreatedAt: w.now, UpdatedAt: w.now}
	wantErr(t, w.s.CreateCustomer(w.ctx(), cu, w.event(domain.CustomerScope(cu.ID)), state.Extras{Rate: rate(1, t2)}), state.ErrRateLimited, "a counted customer")
	p := domain.Portal{ID: domain.NewID(domain.PrefixPortal), CustomerID: c.ID, Name: "p", URL: "https://p.example", CreatedAt: w.now}
	wantErr(t, w.createPortal(p, w.event(sc), state.Extras{Rate: rate(1, t2)}), state.ErrRateLimited, "a counted portal")
	if _, err := w.s.Customer(w.ctx(), cu.ID); err == nil {
		t.Fatal("a refused customer exists")
	}
}
