package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// dueMembers are the member ids of due work, in order.
func dueMembers(t *testing.T, ds []state.Due) []string {
	t.Helper()
	var out []string
	for _, d := range ds {
		if d.MemberID == "" || d.Sub != "" || d.Email != "" || d.Marker != "" {
			t.Fatalf("due work of a member: %+v", d)
		}
		out = append(out, d.MemberID)
	}
	return out
}

func testDueIndex(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	h := func(n int) time.Time { return w.now.Add(time.Duration(n) * time.Hour) }
	// m1 is reminded at +1h and expires at +3h; m2 has no reminder and
	// expires at +2h (both e-mails sent); m3's invitation is accepted, m4
	// has none.
	m1, _ := w.invited(sc, "m1@acme.example")
	m1.Invitation.RemindAt, m1.Invitation.ExpiresAt, m1.Invitation.Delivery = ptr(h(1)), h(3), domain.DeliverySent
	m2, _ := w.invited(sc, "m2@acme.example")
	m2.Invitation.ExpiresAt, m2.Invitation.Delivery = h(2), domain.DeliverySent
	m3 := w.enabled(sc, "m3@acme.example", false)
	m3.Invitation = &domain.Invitation{State: domain.InvitationAccepted, TokenHash: "spent", ExpiresAt: h(1), RemindAt: ptr(h(0)), Delivery: domain.DeliverySent}
	m4 := w.enabled(sc, "m4@acme.example", false)
	for _, m := range []domain.Member{m1, m2, m3, m4} {
		w.create(m)
	}
	check := func(kind state.DueKind, at time.Time, want ...string) {
		t.Helper()
		checkDue(t, w, sc, kind, at, want...)
	}
	check(state.DueReminder, h(0))
	check(state.DueReminder, h(1).Add(-time.Nanosecond))
	check(state.DueReminder, h(1), m1.ID) // due at its instant
	check(state.DueReminder, h(99), m1.ID)
	check(state.DueExpiry, h(2).Add(-time.Nanosecond))
	check(state.DueExpiry, h(2), m2.ID)
	check(state.DueExpiry, h(99), m2.ID) // m1 waits for its reminder first
	// The reminder sent, m1 waits for its expiry.
	_, hash := domain.NewToken()
	m1 = w.change(state.MemberChange{Before: m1, RevokeToken: m1.Invitation.TokenHash, NewToken: true, Now: h(1),
		After: next(m1, func(a *domain.Member) { a.Invitation.ReminderSentAt, a.Invitation.TokenHash = ptr(h(1)), hash })})
	check(state.DueReminder, h(99))
	check(state.DueExpiry, h(3).Add(-time.Nanosecond), m2.ID)
	check(state.DueExpiry, h(99), m2.ID, m1.ID) // oldest first
	// Expired, accepted or deleted: no longer due.
	w.change(state.MemberChange{Before: m2, RevokeToken: m2.Invitation.TokenHash, Now: h(2),
		After: next(m2, func(a *domain.Member) { a.Invitation.State = domain.InvitationExpired })})
	check(state.DueExpiry, h(99), m1.ID)
	w.change(state.MemberChange{Before: m1, RevokeToken: m1.Invitation.TokenHash, Now: h(2)})
	check(state.DueExpiry, h(99))
	// Markers are not members' work.
	noErr(t, w.s.PendingIdentity(w.ctx(), "x@acme.example", "claim", h(0)), "a pending identity")
	w.change(state.MemberChange{Before: m4, After: next(m4, nil), SyncIdentity: true, Now: h(0)})
	check(state.DueReminder, h(99))
	check(state.DueExpiry, h(99))
	// An operator's invitation is due in the provider's scope.
	op, _ := w.invited(domain.ProviderScope, "op@provider.example")
	op.Invitation.ExpiresAt, op.Invitation.Delivery = h(5), domain.DeliverySent
	w.create(op)
	got := w.due(state.DueExpiry, h(99))
	if len(got) != 1 || got[0].MemberID != op.ID || !got[0].Scope.IsProvider() {
		t.Fatalf("an operator's expiry: %+v", got)
	}
	// A kind the store does not know has nothing due.
	if got := w.due("OTHER", h(99)); len(got) != 0 {
		t.Fatalf("an unknown kind: %+v", got)
	}
}

// An invitation whose e-mail is committed and whose delivery is not yet
// recorded is due to be sent again once the send lease has passed, and
// under its reminder or expiry only once the delivery is recorded.
func testDueResend(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	h := func(n int) time.Time { return w.now.Add(time.Duration(n) * time.Hour) }
	lease := w.now.Add(state.SendLease)
	// m1 is reminded at +1h and expires at +3h; m2 has no reminder and
	// expires at +2h. Their e-mails are committed (pending) at now, and a
	// second later.
	m1, _ := w.invited(sc, "m1@acme.example")
	m1.Invitation.RemindAt, m1.Invitation.ExpiresAt = ptr(h(1)), h(3)
	m2, _ := w.invited(sc, "m2@acme.example")
	m2.Invitation.ExpiresAt, m2.Invitation.AttemptedAt = h(2), ptr(w.now.Add(time.Second))
	m1, m2 = w.create(m1), w.create(m2)
	check := func(kind state.DueKind, at time.Time, want ...string) {
		t.Helper()
		checkDue(t, w, sc, kind, at, want...)
	}
	check(state.DueResend, lease.Add(-time.Nanosecond)) // under way
	check(state.DueResend, lease, m1.ID)
	check(state.DueResend, lease.Add(time.Second), m1.ID, m2.ID) // oldest first
	check(state.DueReminder, h(99))
	check(state.DueExpiry, h(99))
	// A record for another token leaves it due.
	noErr(t, w.s.RecordDelivery(w.ctx(), state.Delivery{Scope: sc, MemberID: m1.ID, TokenHash: domain.HashToken("old"), Outcome: domain.DeliverySent,
		At: w.now, SendCount: 1, RemindAt: m1.Invitation.RemindAt, ExpiresAt: m1.Invitation.ExpiresAt}), "record for an old token")
	check(state.DueResend, h(99), m1.ID, m2.ID)
	// Recorded, sent or failed: under its reminder, or its expiry.
	noErr(t, w.s.RecordDelivery(w.ctx(), state.Delivery{Scope: sc, MemberID: m1.ID, TokenHash: m1.Invitation.TokenHash, Outcome: domain.DeliverySent,
		At: w.now, SendCount: 1, RemindAt: m1.Invitation.RemindAt, ExpiresAt: m1.Invitation.ExpiresAt}), "record a send")
	noErr(t, w.s.RecordDelivery(w.ctx(), state.Delivery{Scope: sc, MemberID: m2.ID, TokenHash: m2.Invitation.TokenHash, Outcome: domain.DeliveryFailed,
		At: w.now, SendCount: 1, ExpiresAt: m2.Invitation.ExpiresAt}), "record a failure")
	check(state.DueResend, h(99))
	check(state.DueReminder, h(1).Add(-time.Nanosecond))
	check(state.DueReminder, h(1), m1.ID)
	check(state.DueExpiry, h(2), m2.ID) // m1 waits for its reminder first
	// The reminder committed (a fresh token, pending again): due to be sent
	// again a lease after it, then, recorded, under its expiry.
	m1 = w.member(sc, m1.ID)
	_, hash := domain.NewToken()
	m1 = w.change(state.MemberChange{Before: m1, RevokeToken: m1.Invitation.TokenHash, NewToken: true, Now: h(1),
		After: next(m1, func(a *domain.Member) {
			a.Invitation.TokenHash, a.Invitation.ReminderSentAt, a.Invitation.Delivery, a.Invitation.AttemptedAt = hash, ptr(h(1)), domain.DeliveryPending, ptr(h(1))
		})})
	check(state.DueReminder, h(99))
	check(state.DueExpiry, h(99), m2.ID)
	check(state.DueResend, h(1).Add(state.SendLease).Add(-time.Nanosecond))
	check(state.DueResend, h(1).Add(state.SendLease), m1.ID)
	noErr(t, w.s.RecordDelivery(w.ctx(), state.Delivery{Scope: sc, MemberID: m1.ID, TokenHash: hash, Outcome: domain.DeliverySent,
		At: h(1), SendCount: 2, ExpiresAt: m1.Invitation.ExpiresAt}), "record the reminder's send")
	check(state.DueResend, h(99))
	check(state.DueExpiry, h(99), m2.ID, m1.ID)
	got := w.member(sc, m1.ID).Invitation
	if got.Delivery != domain.DeliverySent || got.SendCount != 2 {
		t.Fatalf("the reminder's record: %+v", got)
	}
	// A pending delivery with no attempt time (an item older than the
	// lease) is due as before: under its reminder.
	m3, _ := w.invited(sc, "m3@acme.example")
	m3.Invitation.RemindAt, m3.Invitation.AttemptedAt = ptr(h(1)), nil
	m3 = w.create(m3)
	check(state.DueResend, h(99))
	check(state.DueReminder, h(1), m3.ID)
	// Sent again by the sweep MaxResends times, it is left to its reminder.
	m6, _ := w.invited(sc, "m6@acme.example")
	m6.Invitation.RemindAt, m6.Invitation.Resends = ptr(h(2)), state.MaxResends-1
	m6 = w.create(m6)
	check(state.DueResend, h(99), m6.ID)
	m6 = w.change(state.MemberChange{Before: m6, Now: w.now, After: next(m6, func(a *domain.Member) { a.Invitation.Resends = state.MaxResends })})
	check(state.DueResend, h(99))
	check(state.DueReminder, h(2), m3.ID, m6.ID)
	if got := w.member(sc, m6.ID).Invitation; got.Resends != state.MaxResends {
		t.Fatalf("resends read back: %+v", got)
	}
	w.change(state.MemberChange{Before: m6, Now: w.now})
	// Expired with its delivery still pending, or deleted: not due.
	m4, _ := w.invited(sc, "m4@acme.example")
	m4 = w.create(m4)
	check(state.DueResend, h(99), m4.ID)
	w.change(state.MemberChange{Before: m4, RevokeToken: m4.Invitation.TokenHash, Now: h(2),
		After: next(m4, func(a *domain.Member) { a.Invitation.State = domain.InvitationExpired })})
	check(state.DueResend, h(99))
	m5, _ := w.invited(sc, "m5@acme.example")
	m5 = w.create(m5)
	w.change(state.MemberChange{Before: m5, RevokeToken: m5.Invitation.TokenHash, Now: h(2)})
	check(state.DueResend, h(99))
}

func testDuePaging(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	var want []string
	// Written newest first; listed oldest first.
	for i := 5; i >= 1; i-- {
		m, _ := w.invited(sc, fmt.Sprintf("m%d@acme.example", i))
		m.Invitation.ExpiresAt, m.Invitation.Delivery = w.now.Add(time.Duration(i)*time.Minute), domain.DeliverySent
		w.create(m)
		want = append([]string{m.ID}, want...)
	}
	later, _ := w.invited(sc, "later@acme.example")
	later.Invitation.ExpiresAt, later.Invitation.Delivery = w.now.Add(time.Hour), domain.DeliverySent
	w.create(later)
	at := w.now.Add(30 * time.Minute)
	for _, limit := range []int32{1, 2, 3, 5, 6} {
		var got []string
		pages := everyPage(t, "read due work", limit, func(start state.PageKey) (state.Page[state.Due], error) {
			return w.s.DueBy(w.ctx(), state.DueExpiry, at, limit, start)
		}, func(items []state.Due) { got = append(got, dueMembers(t, items)...) })
		if !slices.Equal(got, want) {
			t.Fatalf("limit %d: %v, want %v", limit, got, want)
		}
		if wantPages := (5 + int(limit) - 1) / int(limit); pages != wantPages {
			t.Fatalf("limit %d: %d pages, want %d", limit, pages, wantPages)
		}
	}
	p, err := w.s.DueBy(w.ctx(), state.DueExpiry, w.now, 10, nil)
	noErr(t, err, "read due work")
	if len(p.Items) != 0 || p.Next != nil {
		t.Fatalf("nothing due yet: %+v", p)
	}
}

func testReminderFailed(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	remindAt := w.now.Add(time.Hour)
	m, _ := w.invited(sc, "jane@acme.example")
	m.Invitation.RemindAt = &remindAt
	w.create(m)
	// The sweep sends the reminder with a fresh token...
	_, hash := domain.NewToken()
	sent := w.now.Add(time.Hour)
	reminded := w.change(state.MemberChange{Before: m, RevokeToken: m.Invitation.TokenHash, NewToken: true, Now: sent,
		After: next(m, func(a *domain.Member) {
			a.Invitation.TokenHash, a.Invitation.ReminderSentAt, a.Invitation.Delivery, a.Invitation.AttemptedAt = hash, &sent, domain.DeliveryPending, &sent
		})})
	far := w.now.Add(100 * time.Hour)
	if got := w.due(state.DueReminder, far); len(got) != 0 {
		t.Fatalf("a sent reminder still due: %+v", got)
	}
	// ...which is not delivered. A record for an old token does nothing.
	noErr(t, w.s.ReminderFailed(w.ctx(), sc, m.ID, m.Invitation.TokenHash, remindAt), "a failure for an old token")
	sameMember(t, w.member(sc, m.ID), reminded, "after a failure for an old token")
	// For the token sent, the reminder is due again at remindAt.
	retryAt := remindAt.Add(10 * time.Minute)
	noErr(t, w.s.ReminderFailed(w.ctx(), sc, m.ID, hash, retryAt), "a failed reminder")
	want := copyMember(reminded)
	want.Invitation.Delivery, want.Invitation.ReminderSentAt = domain.DeliveryFailed, nil
	sameMember(t, w.member(sc, m.ID), want, "after a failed reminder") // its version stays
	if got := w.due(state.DueReminder, retryAt.Add(-time.Nanosecond)); len(got) != 0 {
		t.Fatalf("due before its time: %+v", got)
	}
	if got := dueMembers(t, w.due(state.DueReminder, retryAt)); !slices.Equal(got, []string{m.ID}) {
		t.Fatalf("due again: %v", got)
	}
	if got := w.due(state.DueExpiry, far); len(got) != 0 {
		t.Fatalf("due for expiry while a reminder is: %+v", got)
	}
	// Recorded already: a second failure changes nothing.
	noErr(t, w.s.ReminderFailed(w.ctx(), sc, m.ID, hash, far), "a second failure")
	if got := dueMembers(t, w.due(state.DueReminder, retryAt)); !slices.Equal(got, []string{m.ID}) {
		t.Fatalf("a second failure moved the reminder: %v", got)
	}
	noErr(t, w.s.ReminderFailed(w.ctx(), sc, domain.NewID(domain.PrefixUser), hash, far), "a failure of no member")
}

// disabledWithMarker is a member of Acme disabled a minute from now, its
// identity marked by that change (the event e1).
func disabledWithMarker(w *world) (domain.Scope, domain.Member, time.Time, domain.AuditEvent) {
	_, sc := w.customerScope("Acme")
	m := w.create(w.enabled(sc, "jane@acme.example", false))
	t1 := w.now.Add(time.Minute)
	e1 := w.event(sc)
	m = w.change(state.MemberChange{Before: m, After: next(m, func(a *domain.Member) { a.Status = domain.StatusDisabled }),
		SyncIdentity: true, Now: t1, Event: e1})
	return sc, m, t1, e1
}

func testSyncMarkers(t *testing.T, w *world) {
	sc, m, t1, e1 := disabledWithMarker(w)
	marker := func(at time.Time) []state.Due {
		t.Helper()
		ds := w.due(state.DueIdentity, at)
		for _, d := range ds {
			if d.Sub == "" || d.Marker == "" || d.MemberID != "" || d.Email != "" {
				t.Fatalf("an identity marker: %+v", d)
			}
		}
		return ds
	}
	if got := marker(t1.Add(state.SyncGrace - time.Nanosecond)); len(got) != 0 {
		t.Fatalf("due before its grace: %+v", got)
	}
	if got := marker(t1.Add(state.SyncGrace)); len(got) != 1 || got[0].Sub != m.Sub || got[0].Marker != e1.ID {
		t.Fatalf("the marker: %+v, want %s / %s", got, m.Sub, e1.ID)
	}
	// A later change writes its own marker over it.
	t2 := t1.Add(time.Minute)
	e2 := w.event(sc)
	m = w.change(state.MemberChange{Before: m, After: next(m, func(a *domain.Member) { a.Status = domain.StatusEnabled }),
		SyncIdentity: true, Now: t2, Event: e2})
	if got := marker(t2.Add(state.SyncGrace - time.Nanosecond)); len(got) != 0 {
		t.Fatalf("the marker kept its old time: %+v", got)
	}
	if got := marker(t2.Add(state.SyncGrace)); len(got) != 1 || got[0].Marker != e2.ID {
		t.Fatalf("the marker: %+v", got)
	}
	// SyncDone clears only its own marker.
	noErr(t, w.s.SyncDone(w.ctx(), m.Sub, e1.ID), "clear an old marker")
	if got := marker(t2.Add(time.Hour)); len(got) != 1 {
		t.Fatal("an old marker's SyncDone cleared the new one")
	}
	noErr(t, w.s.SyncDone(w.ctx(), m.Sub, e2.ID), "clear the marker")
	if got := marker(t2.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("cleared: %+v", got)
	}
	noErr(t, w.s.SyncDone(w.ctx(), "sub-nobody", "evt"), "clear no marker")
	// A refused change writes no marker.
	wantErr(t, w.changeErr(state.MemberChange{Before: *next(m, nil), After: next(*next(m, nil), nil), SyncIdentity: true}), state.ErrStale, "stale")
	if got := marker(t2.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("a refused change's marker: %+v", got)
	}
	// Which identity: After's when it has one (an accept, a relink),
	// Before's otherwise (a delete); none without a sub.
	inv, _ := w.invited(sc, "inv@acme.example")
	w.create(inv)
	noMarker := w.change(state.MemberChange{Before: inv, After: next(inv, nil), SyncIdentity: true})
	if got := marker(t2.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("a member without an identity got a marker: %+v", got)
	}
	w.change(state.MemberChange{Before: noMarker, SyncIdentity: true, After: next(noMarker, func(a *domain.Member) {
		a.Status, a.Sub, a.Invitation.State = domain.StatusEnabled, "sub-accepted", domain.InvitationAccepted
	})})
	w.change(state.MemberChange{Before: m, SyncIdentity: true, After: next(m, func(a *domain.Member) { a.Sub = "sub-relinked" })})
	other := w.create(w.enabled(sc, "other@acme.example", false))
	w.change(state.MemberChange{Before: other, SyncIdentity: true})
	subs := map[string]bool{}
	for _, d := range marker(t2.Add(time.Hour)) {
		subs[d.Sub] = true
	}
	if len(subs) != 3 || !subs["sub-accepted"] || !subs["sub-relinked"] || !subs[other.Sub] {
		t.Fatalf("markers of %v", subs)
	}
}

// A reconcile that gave up marks the identity again, whether or not a
// marker is left: a new marker, due after the grace, that only its own
// SyncDone clears.
func testSyncMarkedAgain(t *testing.T, w *world) {
	sc, m, t1, e1 := disabledWithMarker(w)
	markers := func(at time.Time) []string {
		t.Helper()
		var out []string
		for _, d := range w.due(state.DueIdentity, at) {
			out = append(out, d.Sub+" "+d.Marker)
		}
		return out
	}
	// Over the change's own marker: replaced, and due from the new time.
	t2 := t1.Add(time.Minute)
	noErr(t, w.s.MarkSync(w.ctx(), m.Sub, "sync_again", t2), "mark again over a marker")
	if got := markers(t2.Add(state.SyncGrace - time.Nanosecond)); len(got) != 0 {
		t.Fatalf("due before its grace: %v", got)
	}
	if got := markers(t2.Add(state.SyncGrace)); !slices.Equal(got, []string{m.Sub + " sync_again"}) {
		t.Fatalf("the markers: %v", got)
	}
	noErr(t, w.s.SyncDone(w.ctx(), m.Sub, e1.ID), "clear the replaced marker")
	if got := markers(t2.Add(time.Hour)); len(got) != 1 {
		t.Fatalf("the replaced marker's SyncDone cleared the new one: %v", got)
	}
	noErr(t, w.s.SyncDone(w.ctx(), m.Sub, "sync_again"), "clear the new marker")
	if got := markers(t2.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("cleared: %v", got)
	}
	// With no marker left (another cleared it): written.
	noErr(t, w.s.MarkSync(w.ctx(), m.Sub, "sync_late", t2), "mark again with none left")
	if got := markers(t2.Add(state.SyncGrace)); !slices.Equal(got, []string{m.Sub + " sync_late"}) {
		t.Fatalf("the markers: %v", got)
	}
	// The member is as it was.
	if got := w.member(sc, m.ID); got.Status != domain.StatusDisabled || got.Version != m.Version {
		t.Fatalf("the member changed: %+v", got)
	}
}

func testPendingMarkers(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	const email = "jane@acme.example"
	d1, d2 := w.now.Add(time.Minute), w.now.Add(2*time.Minute)
	noErr(t, w.s.PendingIdentity(w.ctx(), email, "claim-b", d2), "a marker")
	noErr(t, w.s.PendingIdentity(w.ctx(), email, "claim-a", d1), "a marker")
	noErr(t, w.s.PendingIdentity(w.ctx(), "other@acme.example", "claim-c", d1), "a marker")
	markers := func() []state.PendingMarker {
		t.Helper()
		ms, err := w.s.PendingIdentities(w.ctx(), email)
		noErr(t, err, "read markers")
		return ms
	}
	ms := markers()
	if len(ms) != 2 || ms[0].Claim != "claim-a" || !ms[0].Due.Equal(d1) || ms[1].Claim != "claim-b" || !ms[1].Due.Equal(d2) {
		t.Fatalf("markers %+v", ms)
	}
	// Written again, a marker moves.
	d3 := w.now.Add(3 * time.Minute)
	noErr(t, w.s.PendingIdentity(w.ctx(), email, "claim-b", d3), "rewrite a marker")
	if ms := markers(); len(ms) != 2 || !ms[1].Due.Equal(d3) {
		t.Fatalf("markers %+v", ms)
	}
	pending := func(at time.Time) map[string]string {
		t.Helper()
		out := map[string]string{}
		for _, d := range w.due(state.DuePending, at) {
			if d.Email == "" || d.Marker == "" || d.Sub != "" || d.MemberID != "" {
				t.Fatalf("a pending marker: %+v", d)
			}
			out[d.Marker] = d.Email
		}
		return out
	}
	if got := pending(d1.Add(-time.Nanosecond)); len(got) != 0 {
		t.Fatalf("due early: %v", got)
	}
	if got := pending(d1); len(got) != 2 || got["claim-a"] != email || got["claim-c"] != "other@acme.example" {
		t.Fatalf("due at d1: %v", got)
	}
	if got := pending(d3); len(got) != 3 || got["claim-b"] != email {
		t.Fatalf("due at d3: %v", got)
	}
	if got := w.due(state.DuePending, d3); len(got) != 3 || got[2].Marker != "claim-b" {
		t.Fatalf("oldest first: %+v", got)
	}
	// Cleared one by one.
	noErr(t, w.s.ClearPending(w.ctx(), email, "claim-a"), "clear")
	noErr(t, w.s.ClearPending(w.ctx(), email, "claim-x"), "clear no marker")
	if ms := markers(); len(ms) != 1 || ms[0].Claim != "claim-b" {
		t.Fatalf("markers %+v", ms)
	}
	// An accept's change clears its claim's marker of the member's e-mail,
	// and a refused one does not.
	m, _ := w.invited(sc, email)
	w.create(m)
	_, err := w.s.ClaimInvitation(w.ctx(), m.Invitation.TokenHash, "claim-b", w.now, w.now.Add(30*time.Second))
	noErr(t, err, "claim")
	accept := next(m, func(a *domain.Member) {
		a.Status, a.Sub, a.Invitation.State = domain.StatusEnabled, "sub-jane", domain.InvitationAccepted
	})
	wantErr(t, w.changeErr(state.MemberChange{Before: m, After: accept, UseToken: m.Invitation.TokenHash, ClaimID: "claim-z", ClearPending: "claim-b"}),
		state.ErrTokenInvalid, "an accept with another claim")
	if ms := markers(); len(ms) != 1 {
		t.Fatalf("a refused accept cleared the marker: %+v", ms)
	}
	w.change(state.MemberChange{Before: m, After: accept, UseToken: m.Invitation.TokenHash, ClaimID: "claim-b", ClearPending: "claim-b"})
	if ms := markers(); len(ms) != 0 {
		t.Fatalf("an accept left its marker: %+v", ms)
	}
	if ms, _ := w.s.PendingIdentities(w.ctx(), "nobody@acme.example"); len(ms) != 0 {
		t.Fatalf("markers of nobody: %+v", ms)
	}
}

// A member whose access ends is due under its reminder, then its end; the
// due index follows its changes in the member's own transactions and holds
// nothing once its access no longer ends by itself.
func testDueAccess(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	h := func(n int) time.Time { return w.now.Add(time.Duration(n) * time.Hour) }
	check := func(at time.Time, want ...string) {
		t.Helper()
		got := w.due(state.DueAccess, at)
		if ids := dueMembers(t, got); !slices.Equal(ids, want) {
			t.Fatalf("access due at %v: %v, want %v", at.Sub(w.now), ids, want)
		}
		for _, d := range got {
			if d.Scope != sc {
				t.Fatalf("due in scope %+v", d.Scope)
			}
		}
	}
	// m1: reminder at +1h, end at +4h; m2: end at +2h, no reminder;
	// m3: unconfirmed with an end (nothing to end yet); m4: none.
	m1 := w.enabled(sc, "m1@acme.example", false)
	m1.AccessUntil, m1.AccessRemindAt = ptr(h(4)), ptr(h(1))
	m2 := w.enabled(sc, "m2@acme.example", false)
	m2.AccessUntil = ptr(h(2))
	m3, _ := w.invited(sc, "m3@acme.example")
	m3.AccessUntil = ptr(h(1))
	m4 := w.enabled(sc, "m4@acme.example", false)
	for _, m := range []domain.Member{m1, m2, m3, m4} {
		w.create(m)
	}
	check(h(1).Add(-time.Nanosecond))
	check(h(1), m1.ID)
	check(h(99), m1.ID, m2.ID)
	// The reminder committed ("sending"): still due at its time.
	m1 = w.change(state.MemberChange{Before: m1, Now: h(1), After: next(m1, func(a *domain.Member) { a.AccessReminder = domain.AccessReminderSending })})
	check(h(1), m1.ID)
	// Sent: due at its end.
	m1 = w.change(state.MemberChange{Before: m1, Now: h(1), After: next(m1, func(a *domain.Member) { a.AccessReminder = domain.AccessReminderSent })})
	check(h(3), m2.ID)
	check(h(4), m2.ID, m1.ID)
	// A rename leaves it as it is; an extension moves it.
	m1 = w.change(state.MemberChange{Before: m1, Now: h(1), After: next(m1, func(a *domain.Member) { a.Name = "M1" })})
	check(h(4), m2.ID, m1.ID)
	m1 = w.change(state.MemberChange{Before: m1, Now: h(1), After: next(m1, func(a *domain.Member) { a.AccessUntil = ptr(h(10)) })})
	check(h(9), m2.ID)
	check(h(10), m2.ID, m1.ID)
	// Disabled, cleared or deleted: no longer due.
	m2 = w.change(state.MemberChange{Before: m2, Now: h(2), After: next(m2, func(a *domain.Member) { a.Status = domain.StatusDisabled })})
	check(h(99), m1.ID)
	// Enabled again with its end: due again.
	m2 = w.change(state.MemberChange{Before: m2, Now: h(2), After: next(m2, func(a *domain.Member) { a.Status = domain.StatusEnabled })})
	check(h(99), m2.ID, m1.ID)
	w.change(state.MemberChange{Before: m2, Now: h(2), After: next(m2, func(a *domain.Member) { a.AccessUntil = nil })})
	check(h(99), m1.ID)
	w.change(state.MemberChange{Before: m1, Now: h(2)})
	check(h(99))
	// Accepting makes an unconfirmed member's end due.
	m3 = w.change(state.MemberChange{Before: m3, RevokeToken: m3.Invitation.TokenHash, Now: h(0),
		After: next(m3, func(a *domain.Member) {
			a.Status, a.Sub, a.Invitation.State = domain.StatusEnabled, "sub-m3", domain.InvitationAccepted
		})})
	check(h(1), m3.ID)
	// Not any other kind's work.
	for _, k := range []state.DueKind{state.DueResend, state.DueReminder, state.DueExpiry} {
		if got := w.due(k, h(99)); len(got) != 0 {
			t.Fatalf("%s: %+v", k, got)
		}
	}
}

// A customer's policy is kept by its change, and read back as written.
func testCustomerPolicy(t *testing.T, w *world) {
	c := w.customer("Acme")
	after := c
	after.Version = c.Version + 1
	after.Policy = domain.Policy{AllowedDomains: []string{"acme.example"}, InvitationLifetime: 36 * time.Hour, SeatLimit: 7}
	noErr(t, w.s.ChangeCustomer(w.ctx(), state.CustomerChange{Before: c, After: after, Now: w.now}), "set a policy")
	got, err := w.s.Customer(w.ctx(), c.ID)
	noErr(t, err, "read")
	if !slices.Equal(got.Policy.AllowedDomains, []string{"acme.example"}) || got.Policy.InvitationLifetime != 36*time.Hour || got.Policy.SeatLimit != 7 {
		t.Fatalf("%+v", got.Policy)
	}
	cleared := got
	cleared.Version++
	cleared.Policy = domain.Policy{}
	noErr(t, w.s.ChangeCustomer(w.ctx(), state.CustomerChange{Before: got, After: cleared, Now: w.now}), "clear it")
	got, _, err = w.s.CustomerWithPortals(w.ctx(), c.ID)
	noErr(t, err, "read")
	if len(got.Policy.AllowedDomains) != 0 || got.Policy.InvitationLifetime != 0 || got.Policy.SeatLimit != 0 {
		t.Fatalf("%+v", got.Policy)
	}
}

// checkDue holds the due index of a kind at a moment to the members want,
// in that order, all of the scope sc.
func checkDue(t *testing.T, w *world, sc domain.Scope, kind state.DueKind, at time.Time, want ...string) {
	t.Helper()
	got := w.due(kind, at)
	if ids := dueMembers(t, got); !slices.Equal(ids, want) {
		t.Fatalf("%s due at %v: %v, want %v", kind, at.Sub(w.now), ids, want)
	}
	for _, d := range got {
		if d.Scope != sc {
			t.Fatalf("due in scope %+v", d.Scope)
		}
	}
}

// An identity being deleted is under its reconciles' leases: no change links
// a membership to it while one is held and runs; each holder gives back
// only its own, and a lapsed lease lets it be linked again.
func testRetiredIdentities(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	lease := w.now.Add(state.RetireLease)
	// accept links a new invitee of Acme to sub at the time at.
	accept := func(email, sub string, at time.Time) (domain.Member, error) {
		t.Helper()
		inv, _ := w.invited(sc, email)
		inv = w.create(inv)
		err := w.changeErr(state.MemberChange{Before: inv, Now: at, SyncIdentity: true, After: next(inv, func(a *domain.Member) {
			a.Status, a.Sub, a.Invitation.State = domain.StatusEnabled, sub, domain.InvitationAccepted
		})})
		return inv, err
	}
	held := func(sub string) int {
		t.Helper()
		ms, err := w.s.Memberships(w.ctx(), sub)
		noErr(t, err, "read memberships")
		return len(ms)
	}

	// Two reconciles hold leases at once; while they run, linking is
	// refused and writes nothing.
	noErr(t, w.s.RetireIdentity(w.ctx(), "sub-a", "tok-1", lease), "retire")
	noErr(t, w.s.RetireIdentity(w.ctx(), "sub-a", "tok-2", lease), "a second holder")
	noErr(t, w.s.RetireIdentity(w.ctx(), "sub-a", "tok-2", lease), "the same holder again")
	inv, err := accept("jane@acme.example", "sub-a", w.now.Add(time.Minute))
	wantErr(t, err, state.ErrConcurrent, "link while leased")
	if got := w.member(sc, inv.ID); got.Status != domain.StatusUnconfirmed || got.Version != inv.Version || got.Sub != "" {
		t.Fatalf("the refused link changed the member: %+v", got)
	}
	if n := held("sub-a"); n != 0 {
		t.Fatalf("the refused link left %d memberships", n)
	}
	if got := w.due(state.DueIdentity, w.now.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("the refused link left a marker: %+v", got)
	}
	// Each gives back its own: one left still refuses; none left, linking
	// goes at once.
	noErr(t, w.s.ReleaseIdentity(w.ctx(), "sub-a", "tok-2", w.now), "release one")
	noErr(t, w.s.ReleaseIdentity(w.ctx(), "sub-a", "tok-x", w.now), "release one never held")
	_, err = accept("john@acme.example", "sub-a", w.now.Add(time.Minute))
	wantErr(t, err, state.ErrConcurrent, "link while one lease is left")
	noErr(t, w.s.ReleaseIdentity(w.ctx(), "sub-a", "tok-1", w.now), "release the other")
	if _, err := accept("joan@acme.example", "sub-a", w.now.Add(time.Minute)); err != nil {
		t.Fatalf("link after the releases: %v", err)
	}
	if n := held("sub-a"); n != 1 {
		t.Fatalf("memberships after the link: %d", n)
	}
	noErr(t, w.s.ReleaseIdentity(w.ctx(), "sub-none", "tok-1", w.now), "release on an identity never leased")

	// A lease lapses (its holder died): at its very last moment linking is
	// still refused, after it not; a newer lease refuses again until it
	// lapses.
	noErr(t, w.s.RetireIdentity(w.ctx(), "sub-b", "tok-1", lease), "retire")
	_, err = accept("kim@acme.example", "sub-b", lease)
	wantErr(t, err, state.ErrConcurrent, "link at the lease's end")
	if _, err := accept("kit@acme.example", "sub-b", lease.Add(time.Millisecond)); err != nil {
		t.Fatalf("link after the lease lapsed: %v", err)
	}
	later := lease.Add(state.RetireLease)
	noErr(t, w.s.RetireIdentity(w.ctx(), "sub-b", "tok-2", later), "a newer lease")
	_, err = accept("kay@acme.example", "sub-b", later)
	wantErr(t, err, state.ErrConcurrent, "link under the newer lease")
	if _, err := accept("kai@acme.example", "sub-b", later.Add(time.Millisecond)); err != nil {
		t.Fatalf("link after the newer lease lapsed: %v", err)
	}
	// A lapsed lease left by a dead holder does not count again once a
	// newer one is given back: linking goes at once.
	noErr(t, w.s.RetireIdentity(w.ctx(), "sub-c", "dead", lease), "a lease whose holder dies")
	after := lease.Add(time.Second)
	noErr(t, w.s.RetireIdentity(w.ctx(), "sub-c", "tok-1", after.Add(state.RetireLease)), "a newer lease")
	noErr(t, w.s.ReleaseIdentity(w.ctx(), "sub-c", "tok-1", after), "give the newer back")
	if _, err := accept("lee@acme.example", "sub-c", after); err != nil {
		t.Fatalf("link after the newer lease was given back, the dead one lapsed: %v", err)
	}
	// A lease whose holder's clock is behind does not shorten a later one,
	// and giving it back leaves the later one running.
	noErr(t, w.s.RetireIdentity(w.ctx(), "sub-d", "tok-1", later), "a lease")
	noErr(t, w.s.RetireIdentity(w.ctx(), "sub-d", "tok-2", lease), "an earlier one")
	_, err = accept("lou@acme.example", "sub-d", lease.Add(time.Millisecond))
	wantErr(t, err, state.ErrConcurrent, "link after the earlier lease's end")
	noErr(t, w.s.ReleaseIdentity(w.ctx(), "sub-d", "tok-2", w.now), "give the earlier back")
	_, err = accept("lux@acme.example", "sub-d", lease.Add(time.Millisecond))
	wantErr(t, err, state.ErrConcurrent, "link after the earlier one was given back")
	if _, err := accept("lyn@acme.example", "sub-d", later.Add(time.Millisecond)); err != nil {
		t.Fatalf("link after the later lease lapsed: %v", err)
	}

	// A change that keeps the identity it has is not a link: a member of an
	// identity under the lease (linked before it) may be disabled, and
	// deleted.
	m := w.create(w.enabled(sc, "old@acme.example", false))
	noErr(t, w.s.RetireIdentity(w.ctx(), m.Sub, "tok-1", lease), "retire")
	m = w.change(state.MemberChange{Before: m, SyncIdentity: true, After: next(m, func(a *domain.Member) { a.Status = domain.StatusDisabled })})
	w.change(state.MemberChange{Before: m, SyncIdentity: true})
	w.gone(sc, m.ID)
}
