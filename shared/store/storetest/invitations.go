package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// The times the suite compares in conditions are whole seconds apart.

func testInvitation(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	m, _ := w.invited(sc, "jane@acme.example")
	w.create(m)
	hash, exp := m.Invitation.TokenHash, m.Invitation.ExpiresAt
	for _, at := range []time.Time{w.now, exp.Add(-time.Second)} {
		ref, err := w.s.Invitation(w.ctx(), hash, at)
		noErr(t, err, "a live invitation")
		if ref.Scope != sc || ref.MemberID != m.ID || ref.Email != m.Email || !ref.ExpiresAt.Equal(exp) {
			t.Fatalf("invitation %+v", ref)
		}
	}
	for _, at := range []time.Time{exp, exp.Add(time.Second)} {
		_, err := w.s.Invitation(w.ctx(), hash, at)
		wantErr(t, err, state.ErrTokenInvalid, "an expired invitation")
	}
	_, err := w.s.Invitation(w.ctx(), domain.HashToken("unknown"), w.now)
	wantErr(t, err, state.ErrTokenInvalid, "an unknown token")
	// An operator's invitation names the provider's scope.
	op, _ := w.invited(domain.ProviderScope, "op@provider.example")
	w.create(op)
	ref, err := w.s.Invitation(w.ctx(), op.Invitation.TokenHash, w.now)
	if err != nil || !ref.Scope.IsProvider() || ref.MemberID != op.ID {
		t.Fatalf("an operator's invitation: %+v %v", ref, err)
	}
}

func testClaims(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	m, _ := w.invited(sc, "jane@acme.example")
	w.create(m)
	hash, t0 := m.Invitation.TokenHash, w.now
	claim := func(id string, now, until time.Time) error {
		ref, err := w.s.ClaimInvitation(w.ctx(), hash, id, now, until)
		if err == nil && (ref.Scope != sc || ref.MemberID != m.ID || ref.Email != m.Email || !ref.ExpiresAt.Equal(m.Invitation.ExpiresAt)) {
			t.Fatalf("claimed %+v", ref)
		}
		return err
	}
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	noErr(t, claim("c1", sec(0), sec(30)), "a first claim")
	wantErr(t, claim("c2", sec(10), sec(40)), state.ErrTokenInvalid, "a second claim while the first holds")
	noErr(t, claim("c1", sec(10), sec(40)), "the same claim again (a retry), extended")
	wantErr(t, claim("c2", sec(35), sec(65)), state.ErrTokenInvalid, "a claim within the extension")
	wantErr(t, claim("c2", sec(40), sec(70)), state.ErrTokenInvalid, "a claim at the instant the first lapses")
	noErr(t, claim("c2", sec(41), sec(71)), "a claim after the first lapsed")
	// The token's record still answers its invitation while claimed.
	_, err := w.s.Invitation(w.ctx(), hash, sec(42))
	noErr(t, err, "the invitation of a claimed token")
	// Only the holder releases a claim; a release of another is no error.
	noErr(t, w.s.ReleaseClaim(w.ctx(), hash, "c1"), "release another's claim")
	wantErr(t, claim("c3", sec(42), sec(72)), state.ErrTokenInvalid, "a claim after another's release")
	noErr(t, w.s.ReleaseClaim(w.ctx(), hash, "c2"), "release")
	noErr(t, claim("c3", sec(43), sec(73)), "a claim after the release")
	noErr(t, w.s.ReleaseClaim(w.ctx(), domain.HashToken("unknown"), "c3"), "release an unknown token")
	// Expired or unknown tokens cannot be claimed.
	exp := m.Invitation.ExpiresAt
	noErr(t, w.s.ReleaseClaim(w.ctx(), hash, "c3"), "release")
	wantErr(t, claim("c4", exp, exp.Add(time.Minute)), state.ErrTokenInvalid, "a claim at the expiry")
	wantErr(t, claim("c4", exp.Add(time.Second), exp.Add(time.Minute)), state.ErrTokenInvalid, "a claim after the expiry")
	noErr(t, claim("c4", exp.Add(-time.Second), exp.Add(time.Minute)), "a claim a second before the expiry")
	_, err = w.s.ClaimInvitation(w.ctx(), domain.HashToken("unknown"), "c5", sec(0), sec(30))
	wantErr(t, err, state.ErrTokenInvalid, "a claim of an unknown token")
	// Claiming writes nothing else.
	sameMember(t, w.member(sc, m.ID), m, "the member after claims")
}

func testRevokeToken(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	m, _ := w.invited(sc, "jane@acme.example")
	w.create(m)
	old := m.Invitation.TokenHash
	_, err := w.s.ClaimInvitation(w.ctx(), old, "c1", w.now, w.now.Add(30*time.Second))
	noErr(t, err, "claim")
	_, fresh := domain.NewToken()
	rotate := func(now time.Time) error {
		return w.changeErr(state.MemberChange{Before: m, Now: now, RevokeToken: old, NewToken: true,
			After: next(m, func(a *domain.Member) { a.Invitation.TokenHash = fresh })})
	}
	wantErr(t, rotate(w.now.Add(10*time.Second)), state.ErrClaimHeld, "a rotation while an accept holds the token")
	wantErr(t, rotate(w.now.Add(30*time.Second)), state.ErrClaimHeld, "a rotation at the instant the claim lapses")
	sameMember(t, w.member(sc, m.ID), m, "the member after refused rotations")
	_, err = w.s.Invitation(w.ctx(), fresh, w.now)
	wantErr(t, err, state.ErrTokenInvalid, "the token of a refused rotation")
	_, err = w.s.Invitation(w.ctx(), old, w.now)
	noErr(t, err, "the token a refused rotation kept")
	noErr(t, rotate(w.now.Add(31*time.Second)), "a rotation after the claim lapsed")
	_, err = w.s.Invitation(w.ctx(), old, w.now)
	wantErr(t, err, state.ErrTokenInvalid, "a rotated token")
	ref, err := w.s.Invitation(w.ctx(), fresh, w.now)
	if err != nil || ref.MemberID != m.ID || ref.Email != m.Email || ref.Scope != sc || !ref.ExpiresAt.Equal(m.Invitation.ExpiresAt) {
		t.Fatalf("the new token: %+v %v", ref, err)
	}
	// A released claim holds nothing.
	m2, _ := w.invited(sc, "joe@acme.example")
	w.create(m2)
	_, err = w.s.ClaimInvitation(w.ctx(), m2.Invitation.TokenHash, "c1", w.now, w.now.Add(30*time.Second))
	noErr(t, err, "claim")
	noErr(t, w.s.ReleaseClaim(w.ctx(), m2.Invitation.TokenHash, "c1"), "release")
	expired := w.change(state.MemberChange{Before: m2, RevokeToken: m2.Invitation.TokenHash, Now: w.now.Add(time.Second),
		After: next(m2, func(a *domain.Member) { a.Invitation.State = domain.InvitationExpired })})
	_, err = w.s.Invitation(w.ctx(), m2.Invitation.TokenHash, w.now)
	wantErr(t, err, state.ErrTokenInvalid, "a revoked token")
	if got := w.member(sc, m2.ID); got.Invitation.State != domain.InvitationExpired || got.Version != expired.Version {
		t.Fatalf("the expired member: %+v", got)
	}
	// Revoking a token that has no record is no error.
	w.change(state.MemberChange{Before: expired, After: next(expired, nil), RevokeToken: domain.HashToken("unknown")})
}

func testUseToken(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	accept := func(m domain.Member, claim string, now time.Time) error {
		return w.changeErr(state.MemberChange{Before: m, Now: now, UseToken: m.Invitation.TokenHash, ClaimID: claim,
			After: next(m, func(a *domain.Member) {
				a.Status, a.Sub, a.Invitation.State = domain.StatusEnabled, "sub-"+m.ID, domain.InvitationAccepted
			})})
	}
	m, _ := w.invited(sc, "jane@acme.example")
	w.create(m)
	hash := m.Invitation.TokenHash
	wantErr(t, accept(m, "c1", w.now), state.ErrTokenInvalid, "an accept of a token never claimed")
	_, err := w.s.ClaimInvitation(w.ctx(), hash, "c1", w.now, w.now.Add(30*time.Second))
	noErr(t, err, "claim")
	wantErr(t, accept(m, "c2", w.now), state.ErrTokenInvalid, "an accept with another's claim")
	wantErr(t, accept(m, "", w.now), state.ErrTokenInvalid, "an accept with no claim")
	sameMember(t, w.member(sc, m.ID), m, "the member after refused accepts")
	if ms := w.memberships("sub-" + m.ID); len(ms) != 0 {
		t.Fatalf("a refused accept linked %d memberships", len(ms))
	}
	noErr(t, accept(m, "c1", w.now.Add(time.Second)), "an accept with its claim")
	_, err = w.s.Invitation(w.ctx(), hash, w.now)
	wantErr(t, err, state.ErrTokenInvalid, "a used token")
	_, err = w.s.ClaimInvitation(w.ctx(), hash, "c1", w.now, w.now.Add(time.Minute))
	wantErr(t, err, state.ErrTokenInvalid, "a claim of a used token")
	if got := w.member(sc, m.ID); got.Status != domain.StatusEnabled || got.Invitation.State != domain.InvitationAccepted {
		t.Fatalf("accepted: %+v", got)
	}
	// What counts is that the claim is still the accept's: one that lapsed
	// and that no other accept took may still be used.
	m2, _ := w.invited(sc, "joe@acme.example")
	w.create(m2)
	_, err = w.s.ClaimInvitation(w.ctx(), m2.Invitation.TokenHash, "c1", w.now, w.now.Add(30*time.Second))
	noErr(t, err, "claim")
	noErr(t, accept(m2, "c1", w.now.Add(time.Minute)), "an accept after its claim lapsed, untaken")
	// And one that another accept took may not.
	m3, _ := w.invited(sc, "jim@acme.example")
	w.create(m3)
	_, err = w.s.ClaimInvitation(w.ctx(), m3.Invitation.TokenHash, "c1", w.now, w.now.Add(30*time.Second))
	noErr(t, err, "claim")
	_, err = w.s.ClaimInvitation(w.ctx(), m3.Invitation.TokenHash, "c2", w.now.Add(31*time.Second), w.now.Add(61*time.Second))
	noErr(t, err, "claim after the first lapsed")
	wantErr(t, accept(m3, "c1", w.now.Add(32*time.Second)), state.ErrTokenInvalid, "an accept whose lapsed claim was taken")
	noErr(t, accept(m3, "c2", w.now.Add(32*time.Second)), "the accept that holds the claim")
}

func testNewToken(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	m, _ := w.invited(sc, "jane@acme.example")
	other, _ := w.invited(sc, "joe@acme.example")
	w.create(m)
	w.create(other)
	// A re-invite: a new token and expiry, the old token revoked.
	_, h2 := domain.NewToken()
	exp2 := w.now.Add(14 * 24 * time.Hour)
	m2 := w.change(state.MemberChange{Before: m, RevokeToken: m.Invitation.TokenHash, NewToken: true,
		After: next(m, func(a *domain.Member) { a.Invitation.TokenHash, a.Invitation.ExpiresAt = h2, exp2 })})
	ref, err := w.s.Invitation(w.ctx(), h2, exp2.Add(-time.Second))
	if err != nil || ref.MemberID != m.ID || !ref.ExpiresAt.Equal(exp2) {
		t.Fatalf("the new token: %+v %v", ref, err)
	}
	_, err = w.s.Invitation(w.ctx(), m.Invitation.TokenHash, w.now)
	wantErr(t, err, state.ErrTokenInvalid, "the old token")
	// A token record that exists already is not overwritten.
	taken := other.Invitation.TokenHash
	wantErr(t, w.changeErr(state.MemberChange{Before: m2, NewToken: true,
		After: next(m2, func(a *domain.Member) { a.Invitation.TokenHash = taken })}), state.ErrConcurrent, "a new token whose record exists")
	ref, _ = w.s.Invitation(w.ctx(), taken, w.now)
	if ref.MemberID != other.ID {
		t.Fatalf("the taken token now names %s", ref.MemberID)
	}
	sameMember(t, w.member(sc, m.ID), m2, "the member after a refused new token")
	// One change may not name one token record twice.
	if err := w.changeErr(state.MemberChange{Before: m2, RevokeToken: h2, NewToken: true, After: next(m2, nil)}); err == nil {
		t.Fatal("a change that revokes and writes one token landed")
	}
	if err := w.changeErr(state.MemberChange{Before: m2, RevokeToken: h2, UseToken: h2, After: next(m2, nil)}); err == nil {
		t.Fatal("a change that revokes and uses one token landed")
	}
	sameMember(t, w.member(sc, m.ID), m2, "the member after refused changes")
	_, err = w.s.Invitation(w.ctx(), h2, w.now)
	noErr(t, err, "the token that refused changes named")
	// NewToken without an invitation writes none.
	e := w.create(w.enabled(sc, "e@acme.example", false))
	w.change(state.MemberChange{Before: e, NewToken: true, After: next(e, nil)})
}

func testRecordDelivery(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	m, _ := w.invited(sc, "jane@acme.example")
	w.create(m)
	at := w.now.Add(5 * time.Second)
	rec := state.Delivery{Scope: sc, MemberID: m.ID, TokenHash: m.Invitation.TokenHash, Outcome: domain.DeliverySent, At: at, SendCount: 1}
	noErr(t, w.s.RecordDelivery(w.ctx(), rec), "record a delivery")
	want := copyMember(m)
	want.Invitation.Delivery, want.Invitation.LastSentAt, want.Invitation.SendCount = domain.DeliverySent, &at, 1
	sameMember(t, w.member(sc, m.ID), want, "the member after a delivery") // its version stays
	// Recorded already: a retry changes nothing.
	again := rec
	again.SendCount, again.At, again.Outcome = 5, at.Add(time.Minute), domain.DeliveryFailed
	noErr(t, w.s.RecordDelivery(w.ctx(), again), "record again")
	sameMember(t, w.member(sc, m.ID), want, "the member after a second record")
	p, _ := w.s.ListMembers(w.ctx(), sc, domain.StatusUnconfirmed, "", 5, nil)
	sameMember(t, p.Items[0], want, "the listed member after a delivery")

	// The token rotated meanwhile: nothing is recorded.
	m2, _ := w.invited(sc, "joe@acme.example")
	w.create(m2)
	stale := state.Delivery{Scope: sc, MemberID: m2.ID, TokenHash: domain.HashToken("rotated"), Outcome: domain.DeliverySent, At: at, SendCount: 1}
	noErr(t, w.s.RecordDelivery(w.ctx(), stale), "record for an old token")
	sameMember(t, w.member(sc, m2.ID), m2, "the member after a record for an old token")
	// A failed send records the failure only.
	failed := state.Delivery{Scope: sc, MemberID: m2.ID, TokenHash: m2.Invitation.TokenHash, Outcome: domain.DeliveryFailed, At: at, SendCount: 1}
	noErr(t, w.s.RecordDelivery(w.ctx(), failed), "record a failure")
	want2 := copyMember(m2)
	want2.Invitation.Delivery = domain.DeliveryFailed
	sameMember(t, w.member(sc, m2.ID), want2, "the member after a failure")
	// Nothing to record on: no error.
	e := w.create(w.enabled(sc, "e@acme.example", false))
	noErr(t, w.s.RecordDelivery(w.ctx(), state.Delivery{Scope: sc, MemberID: e.ID, TokenHash: "x", Outcome: domain.DeliverySent, At: at}), "a member with no invitation")
	sameMember(t, w.member(sc, e.ID), e, "a member with no invitation")
	noErr(t, w.s.RecordDelivery(w.ctx(), state.Delivery{Scope: sc, MemberID: domain.NewID(domain.PrefixUser), TokenHash: "x", Outcome: domain.DeliverySent, At: at}), "no member")
	w.gone(sc, domain.NewID(domain.PrefixUser))
}

func testRecordFeedback(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	h := func(n int) time.Time { return w.now.Add(time.Duration(n) * time.Hour) }
	m, _ := w.invited(sc, "jane@acme.example")
	m.Invitation.Delivery, m.Invitation.RemindAt, m.Invitation.ExpiresAt = domain.DeliverySent, ptr(h(1)), h(3)
	w.create(m)
	at := w.now.Add(2 * time.Second)
	f := state.Feedback{Scope: sc, MemberID: m.ID, Email: m.Email, Outcome: domain.DeliveryDelivered, At: at, Reason: "250 ok",
		TokenHash: m.Invitation.TokenHash, Prior: domain.DeliverySent, ExpiresAt: m.Invitation.ExpiresAt}
	noErr(t, w.s.RecordFeedback(w.ctx(), f), "record a delivery report")
	want := copyMember(m)
	want.Invitation.Delivery, want.Invitation.FeedbackAt, want.Invitation.FeedbackReason = domain.DeliveryDelivered, &at, "250 ok"
	sameMember(t, w.member(sc, m.ID), want, "the member after a delivery report") // its version stays
	if ids := dueMembers(t, w.due(state.DueReminder, h(1))); !slices.Equal(ids, []string{m.ID}) {
		t.Fatalf("a delivered invitation lost its reminder: %v", ids)
	}
	// Each condition refuses, and changes nothing.
	for name, bad := range map[string]func(*state.Feedback){
		"another prior delivery": func(f *state.Feedback) { f.Prior = domain.DeliverySent },
		"another token":          func(f *state.Feedback) { f.TokenHash, f.Prior = "rotated", domain.DeliveryDelivered },
		"another address":        func(f *state.Feedback) { f.Email, f.Prior = "x@acme.example", domain.DeliveryDelivered },
		"no such member": func(f *state.Feedback) {
			f.MemberID, f.Prior = domain.NewID(domain.PrefixUser), domain.DeliveryDelivered
		},
	} {
		g := f
		g.Outcome, g.Undeliverable = domain.DeliveryBounced, true
		bad(&g)
		if err := w.s.RecordFeedback(w.ctx(), g); !errors.Is(err, state.ErrConcurrent) {
			t.Fatalf("%s: %v, want ErrConcurrent", name, err)
		}
		sameMember(t, w.member(sc, m.ID), want, "the member after a refused report: "+name)
	}
	// A hard bounce: undeliverable, no reminder; the expiry still comes.
	bounce := f
	bounce.Prior, bounce.Outcome, bounce.Undeliverable, bounce.Reason = domain.DeliveryDelivered, domain.DeliveryBounced, true, "550 user unknown"
	noErr(t, w.s.RecordFeedback(w.ctx(), bounce), "record a hard bounce")
	want.Invitation.Delivery, want.Invitation.FeedbackReason, want.Invitation.Undeliverable, want.Invitation.RemindAt = domain.DeliveryBounced, "550 user unknown", true, nil
	sameMember(t, w.member(sc, m.ID), want, "the member after a hard bounce")
	if ids := dueMembers(t, w.due(state.DueReminder, h(99))); len(ids) != 0 {
		t.Fatalf("reminders due after a hard bounce: %v", ids)
	}
	if ids := dueMembers(t, w.due(state.DueExpiry, h(3))); !slices.Equal(ids, []string{m.ID}) {
		t.Fatalf("the bounced invitation is not due to expire: %v", ids)
	}
	p, _ := w.s.ListMembers(w.ctx(), sc, domain.StatusUnconfirmed, "", 5, nil)
	sameMember(t, p.Items[0], want, "the listed member after a hard bounce")
	// An enabled member is reported on no more.
	e := w.create(w.enabled(sc, "e@acme.example", false))
	if err := w.s.RecordFeedback(w.ctx(), state.Feedback{Scope: sc, MemberID: e.ID, Email: e.Email, Outcome: domain.DeliveryBounced, TokenHash: "x", Prior: domain.DeliverySent, At: at}); !errors.Is(err, state.ErrConcurrent) {
		t.Fatalf("a report on an enabled member: %v", err)
	}
	sameMember(t, w.member(sc, e.ID), e, "an enabled member after a report")
}
