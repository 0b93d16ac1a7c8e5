package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// testChangeKeepsBookkeeping: the delivery records (RecordDelivery,
// RecordFeedback, ReminderFailed) move no version, so a change computed
// from a read before one of them still lands; it must not write the
// invitation back as it read it. A change that keeps the invitation leaves
// the record as it is; one that replaces it (a reminder, a re-invite)
// decided on what it read, and is stale.
func testChangeKeepsBookkeeping(t *testing.T, w *world) {
	_, sc := w.customerScope("Acme")
	h := func(n int) time.Time { return w.now.Add(time.Duration(n) * time.Hour) }
	rename := func(m domain.Member, name string) *domain.Member {
		return next(m, func(a *domain.Member) { a.Name = name })
	}
	m, _ := w.invited(sc, "jane@acme.example")
	m.Invitation.RemindAt, m.Invitation.ExpiresAt = ptr(h(1)), h(3)
	w.create(m)

	// A delivery lands between a rename's read and its commit: it stays.
	read := w.member(sc, m.ID)
	sentAt := w.now.Add(5 * time.Second)
	noErr(t, w.s.RecordDelivery(w.ctx(), state.Delivery{Scope: sc, MemberID: m.ID, TokenHash: m.Invitation.TokenHash,
		Outcome: domain.DeliverySent, At: sentAt, SendCount: 1}), "record a delivery")
	renamed := w.change(state.MemberChange{Before: read, After: rename(read, "Jane Doe")})
	want := copyMember(renamed)
	want.Invitation.Delivery, want.Invitation.LastSentAt, want.Invitation.SendCount = domain.DeliverySent, &sentAt, 1
	sameMember(t, w.member(sc, m.ID), want, "renamed after a delivery it did not read")

	// A hard bounce lands after the next read: a reminder with a fresh link
	// computed from that read is stale and changes nothing...
	read = w.member(sc, m.ID)
	bouncedAt := w.now.Add(time.Minute)
	noErr(t, w.s.RecordFeedback(w.ctx(), state.Feedback{Scope: sc, MemberID: m.ID, Email: m.Email, Outcome: domain.DeliveryBounced,
		At: bouncedAt, Reason: "550 user unknown", Undeliverable: true, TokenHash: m.Invitation.TokenHash, Prior: domain.DeliverySent,
		ExpiresAt: m.Invitation.ExpiresAt}), "record a hard bounce")
	want.Invitation.Delivery, want.Invitation.FeedbackAt, want.Invitation.FeedbackReason = domain.DeliveryBounced, &bouncedAt, "550 user unknown"
	want.Invitation.Undeliverable, want.Invitation.RemindAt = true, nil
	_, fresh := domain.NewToken()
	err := w.changeErr(state.MemberChange{Before: read, RevokeToken: read.Invitation.TokenHash, NewToken: true, Now: h(1),
		After: next(read, func(a *domain.Member) {
			a.Invitation.TokenHash, a.Invitation.ReminderSentAt, a.Invitation.Delivery, a.Invitation.AttemptedAt = fresh, ptr(h(1)), domain.DeliveryPending, ptr(h(1))
		})})
	wantErr(t, err, state.ErrStale, "a reminder decided before the bounce")
	sameMember(t, w.member(sc, m.ID), want, "after the stale reminder")
	if _, err := w.s.Invitation(w.ctx(), m.Invitation.TokenHash, w.now); err != nil {
		t.Fatalf("the stale reminder revoked the link: %v", err)
	}
	// ...and a rename from it lands, leaving the bounce: no reminder is due,
	// the expiry still is.
	renamed = w.change(state.MemberChange{Before: read, After: rename(read, "Jane D.")})
	want.Name, want.Version, want.UpdatedAt = renamed.Name, renamed.Version, renamed.UpdatedAt
	sameMember(t, w.member(sc, m.ID), want, "renamed after a bounce it did not read")
	if ids := dueMembers(t, w.due(state.DueReminder, h(99))); len(ids) != 0 {
		t.Fatalf("a reminder due again after the bounce: %v", ids)
	}
	if ids := dueMembers(t, w.due(state.DueExpiry, h(3))); !slices.Equal(ids, []string{m.ID}) {
		t.Fatalf("the bounced invitation is not due to expire: %v", ids)
	}
	// The expiry, read before a report: expired, the report kept, due no more.
	read = w.member(sc, m.ID)
	againAt := w.now.Add(2 * time.Minute)
	noErr(t, w.s.RecordFeedback(w.ctx(), state.Feedback{Scope: sc, MemberID: m.ID, Email: m.Email, Outcome: domain.DeliveryComplained,
		At: againAt, Reason: "marked as spam", Undeliverable: true, TokenHash: m.Invitation.TokenHash, Prior: domain.DeliveryBounced,
		ExpiresAt: m.Invitation.ExpiresAt}), "record a complaint")
	expired := w.change(state.MemberChange{Before: read, RevokeToken: read.Invitation.TokenHash, Now: h(3),
		After: next(read, func(a *domain.Member) { a.Invitation.State = domain.InvitationExpired })})
	want.Version, want.UpdatedAt, want.Invitation.State = expired.Version, expired.UpdatedAt, domain.InvitationExpired
	want.Invitation.Delivery, want.Invitation.FeedbackAt, want.Invitation.FeedbackReason = domain.DeliveryComplained, &againAt, "marked as spam"
	sameMember(t, w.member(sc, m.ID), want, "expired after a report it did not read")
	if got := w.due(state.DueExpiry, h(99)); len(got) != 0 {
		t.Fatalf("an expired invitation still due: %+v", got)
	}

	// A reminder that failed is put back among the reminders due; a change
	// read before that leaves it there.
	j, _ := w.invited(sc, "joe@acme.example")
	j.Invitation.RemindAt, j.Invitation.ExpiresAt = ptr(h(1)), h(3)
	w.create(j)
	_, hash := domain.NewToken()
	reminded := w.change(state.MemberChange{Before: j, RevokeToken: j.Invitation.TokenHash, NewToken: true, Now: h(1),
		After: next(j, func(a *domain.Member) {
			a.Invitation.TokenHash, a.Invitation.ReminderSentAt, a.Invitation.Delivery, a.Invitation.AttemptedAt = hash, ptr(h(1)), domain.DeliveryPending, ptr(h(1))
		})})
	read = w.member(sc, j.ID)
	retryAt := h(1).Add(10 * time.Minute)
	noErr(t, w.s.ReminderFailed(w.ctx(), sc, j.ID, hash, retryAt), "a failed reminder")
	renamed = w.change(state.MemberChange{Before: read, After: rename(read, "Joe Bloggs")})
	wantJ := copyMember(renamed)
	wantJ.Invitation.Delivery, wantJ.Invitation.ReminderSentAt = domain.DeliveryFailed, nil
	sameMember(t, w.member(sc, j.ID), wantJ, "renamed after a failed reminder it did not read")
	if reminded.Version+1 != renamed.Version {
		t.Fatalf("versions %d then %d", reminded.Version, renamed.Version)
	}
	if ids := dueMembers(t, w.due(state.DueReminder, retryAt)); !slices.Equal(ids, []string{j.ID}) {
		t.Fatalf("the failed reminder is not due again: %v", ids)
	}
	if got := w.due(state.DueExpiry, h(99)); len(got) != 0 {
		t.Fatalf("due for expiry while a reminder is: %+v", got)
	}
	// What a change itself changes of the bookkeeping is written: a re-invite
	// from a fresh read gives a new invitation, pending.
	read = w.member(sc, j.ID)
	inv := domain.Invitation{State: domain.InvitationPending, TokenHash: fresh, ExpiresAt: h(50), Delivery: domain.DeliveryPending,
		AttemptedAt: ptr(h(2)), RemindAt: ptr(h(40)), InvitedBy: "Tester"}
	reinvited := w.change(state.MemberChange{Before: read, RevokeToken: hash, NewToken: true, Now: h(2),
		After: next(read, func(a *domain.Member) { a.Invitation = &inv })})
	sameMember(t, w.member(sc, j.ID), reinvited, "re-invited from a fresh read")
	// Its send not yet recorded, it is due to be sent again after the
	// lease; once recorded, its reminder is due.
	if ids := dueMembers(t, w.due(state.DueResend, h(2).Add(state.SendLease))); !slices.Equal(ids, []string{j.ID}) {
		t.Fatalf("the re-invite's send is not due after its lease: %v", ids)
	}
	noErr(t, w.s.RecordDelivery(w.ctx(), state.Delivery{Scope: sc, MemberID: j.ID, TokenHash: fresh, Outcome: domain.DeliverySent,
		At: h(2), SendCount: 1, RemindAt: inv.RemindAt, ExpiresAt: inv.ExpiresAt}), "the re-invite's send")
	if ids := dueMembers(t, w.due(state.DueReminder, h(40))); !slices.Equal(ids, []string{j.ID}) {
		t.Fatalf("the re-invite's reminder is not due: %v", ids)
	}
}
