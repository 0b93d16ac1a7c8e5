package delivery_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/mail"
	"github.com/portalaccess/portalaccess/shared/state"
)

// The record of a send moves no version. An admin's edit read just before
// it lands still lands, and leaves the invitation shown as sent: it does
// not write back the "pending" it read.
func TestAnEditReadBeforeTheSendWasRecordedLeavesItSent(t *testing.T) {
	w, _, cu := setup(t)
	// The invitation's e-mail is on its way: handed over, not yet recorded.
	w.Mailbox.Fail = func(string) error { return fmt.Errorf("timeout: %w", mail.ErrOutcomeUnknown) }
	m := w.Invite(w.Admin, cu.ID, "jane@acme.example", false)
	w.Mailbox.Fail = nil
	if g := inv(t, w, m); g.Delivery != domain.DeliveryPending {
		t.Fatalf("setup: %+v", g)
	}
	sentAt := w.Clock.Now().Add(time.Second)
	w.Meanwhile("ChangeMember", 1, func(int32) error { // the send's record, while the edit runs
		return w.Store.RecordDelivery(w.Ctx(), state.Delivery{Scope: m.Scope(), MemberID: m.ID, TokenHash: m.Invitation.TokenHash,
			Outcome: domain.DeliverySent, At: sentAt, SendCount: 1})
	})
	audit, mails := w.Audit(m.Scope()), w.Mailbox.Count()
	name := "Jane Doe"
	if _, err := w.Members.UpdateUser(w.Ctx(), w.Admin, members.Target{Scope: m.Scope(), ID: m.ID}, members.Profile{Name: &name}, m.Version); err != nil {
		t.Fatalf("the edit, pinned to the version read: %v", err)
	}
	got, _ := w.Member(m)
	g := got.Invitation
	if got.Name != name || got.Version != m.Version+1 || got.Status != domain.StatusUnconfirmed {
		t.Fatalf("the edit did not land: %+v", got)
	}
	if g.Delivery != domain.DeliverySent || g.LastSentAt == nil || !g.LastSentAt.Equal(sentAt) || g.SendCount != 1 ||
		g.TokenHash != m.Invitation.TokenHash || g.RemindAt == nil {
		t.Fatalf("the send's record was undone by the edit: %+v", g)
	}
	if w.Audit(m.Scope()) != audit+1 || w.Mailbox.Count() != mails {
		t.Fatal("more than the edit happened")
	}
	// Shown so in the listing too.
	p, err := w.Store.ListMembers(w.Ctx(), m.Scope(), domain.StatusUnconfirmed, "", 10, nil)
	if err != nil || len(p.Items) != 1 || p.Items[0].Invitation.Delivery != domain.DeliverySent {
		t.Fatalf("listed: %+v %v", p.Items, err)
	}
}

// A hard bounce that lands while an admin's edit runs stays: the address
// is still undeliverable, the re-invite is refused, and no reminder goes to
// it; the other invitee is reminded as usual.
func TestAHardBounceDuringAnEditStaysAndNoReminderGoes(t *testing.T) {
	w, fb, cu := setup(t)
	m := w.Invite(w.Admin, cu.ID, "jnae@acme.example", false)
	other := w.Invite(w.Admin, cu.ID, "john@acme.example", false)
	w.Meanwhile("ChangeMember", 1, func(int32) error { return fb.RecordJSON(w.Ctx(), bounced(t, m, "Permanent")) })
	name := "Jane Doe"
	if _, err := w.Members.UpdateUser(w.Ctx(), w.Admin, members.Target{Scope: m.Scope(), ID: m.ID}, members.Profile{Name: &name}, 0); err != nil {
		t.Fatal(err)
	}
	got, _ := w.Member(m)
	if g := got.Invitation; got.Name != name || g.Delivery != domain.DeliveryBounced || !g.Undeliverable || g.RemindAt != nil ||
		g.FeedbackReason != "smtp; 550 5.1.1 user unknown" {
		t.Fatalf("after a bounce during the edit: %s %+v", got.Name, g)
	}
	w.Clock.Advance(2 * time.Minute)
	if _, err := w.Members.Reinvite(w.Ctx(), w.Admin, members.Target{Scope: m.Scope(), ID: m.ID}); err != members.ErrUndeliverable {
		t.Fatalf("re-invite of the bounced address: %v", err)
	}
	w.Clock.Advance(w.Env.Config.InvitationTTL - w.Env.Config.InvitationReminder)
	w.SweepNow()
	w.SweepNow()
	if n := len(w.Mailbox.To(m.Email)); n != 1 {
		t.Fatalf("the bounced address got %d e-mails, want the first only", n)
	}
	if n := len(w.Mailbox.To(other.Email)); n != 2 {
		t.Fatalf("the other invitee got %d e-mails, want the invitation and its reminder", n)
	}
	w.Clock.Advance(w.Env.Config.InvitationReminder + time.Minute)
	w.SweepNow()
	if g := inv(t, w, m); g.State != domain.InvitationExpired || !g.Undeliverable {
		t.Fatalf("the bounced invitation at its expiry: %+v", g)
	}
}

// The sweep's reminder, decided on an invitation read before a hard bounce
// landed, does not go: the bounce stands and no later run reminds.
func TestAReminderDecidedBeforeAHardBounceDoesNotGo(t *testing.T) {
	w, fb, cu := setup(t)
	m := w.Invite(w.Admin, cu.ID, "jnae@acme.example", false)
	w.Clock.Advance(w.Env.Config.InvitationTTL - w.Env.Config.InvitationReminder)
	w.Meanwhile("ChangeMember", 1, func(int32) error { return fb.RecordJSON(w.Ctx(), bounced(t, m, "Permanent")) })
	audit := w.Audit(m.Scope())
	w.SweepNow()
	w.SweepNow()
	if n := len(w.Mailbox.To(m.Email)); n != 1 {
		t.Fatalf("the bounced address got %d e-mails, want the first only", n)
	}
	g := inv(t, w, m)
	if !g.Undeliverable || g.RemindAt != nil || g.ReminderSentAt != nil || g.TokenHash != m.Invitation.TokenHash || g.State != domain.InvitationPending {
		t.Fatalf("after the reminder's run: %+v", g)
	}
	if w.Audit(m.Scope()) != audit {
		t.Fatal("a reminder was audited")
	}
}
