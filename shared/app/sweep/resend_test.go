package sweep_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/delivery"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/app/invitations"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/mail"
	"github.com/portalaccess/portalaccess/shared/mail/mailbox"
	"github.com/portalaccess/portalaccess/shared/state"
)

// crashOnce makes the next send to the address die as the Lambda would
// between the commit and the send: nothing goes out, nothing is recorded.
func crashOnce(w *apptest.World, to string) {
	crashed := false
	w.Mailbox.Fail = func(addr string) error {
		if addr == to && !crashed {
			crashed = true
			panic("the function dies before its e-mail goes")
		}
		return nil
	}
}

// survive runs f, which crashes.
func survive(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Fatal("the crash did not happen")
		}
	}()
	f()
}

func accept(w *apptest.World, token string) error {
	pw := apptest.Password
	_, err := w.Invitations.Accept(w.Ctx(), invitations.Acceptance{Request: invitations.Request{Token: &token, SourceIP: "192.0.2.1"}, Password: &pw})
	return err
}

// An invite committed and never e-mailed (the function died before its
// send) is sent by the sweep once the send lease has passed: one e-mail,
// whose link is the one the table holds; not before, and not twice.
func TestAnInvitationCommittedButNeverSentIsSentByTheSweepAfterTheLease(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	sc := w.Scope(cu.Scope())
	in := members.Invitee{Email: "jane@acme.example"}
	k := &idem.Key{ID: "k1", Fingerprint: "a"}
	crashOnce(w, in.Email)
	survive(t, func() { w.Members.Invite(w.Ctx(), w.Admin, sc, in, k) })
	w.Mailbox.Fail = nil
	p, err := w.Store.MemberByEmail(w.Ctx(), cu.Scope(), in.Email)
	if err != nil || p.Invitation.Delivery != domain.DeliveryPending || len(w.Mailbox.To(in.Email)) != 0 {
		t.Fatalf("setup: %+v %v", p.Invitation, err)
	}
	audit := w.Audit(cu.Scope())
	// A quick retry finds the send under way: it answers and sends nothing.
	again, err := w.Members.Invite(w.Ctx(), w.Admin, sc, in, &idem.Key{ID: "k1", Fingerprint: "a"})
	if err != nil || again.ID != p.ID || len(w.Mailbox.To(in.Email)) != 0 {
		t.Fatalf("a retry under the lease: %+v %v", again, err)
	}
	// A sweep inside the lease leaves it: the send may merely be slow.
	w.Clock.Advance(delivery.SendLease - 2*time.Second)
	sent := w.Mailbox.Count()
	if rep := w.SweepNow(); rep.Resent != 0 || rep.Failed != 0 || w.Mailbox.Count() != sent {
		t.Fatalf("inside the lease: %+v, %d e-mails", rep, w.Mailbox.Count()-sent)
	}
	if m, _ := w.Member(p); m.Version != p.Version || m.Invitation.TokenHash != p.Invitation.TokenHash {
		t.Fatalf("changed inside the lease: %+v", m.Invitation)
	}
	w.Clock.Advance(3 * time.Second)
	if rep := w.SweepNow(); rep.Resent != 1 || rep.Reminded+rep.Expired+rep.Failed+rep.Skipped != 0 {
		t.Fatalf("after the lease: %+v", rep)
	}
	mails := w.Mailbox.To(in.Email)
	if len(mails) != 1 || !strings.Contains(mails[0].Text, "has invited you") {
		t.Fatalf("%d e-mails: %+v", len(mails), mails)
	}
	m, _ := w.Member(p)
	inv := m.Invitation
	if inv.Delivery != domain.DeliverySent || inv.SendCount != 1 || inv.LastSentAt == nil || m.Status != domain.StatusUnconfirmed ||
		!inv.ExpiresAt.Equal(p.Invitation.ExpiresAt) || inv.RemindAt == nil || !inv.RemindAt.Equal(*p.Invitation.RemindAt) || inv.ReminderSentAt != nil {
		t.Fatalf("after the resend: %+v", inv)
	}
	if n := w.Audit(cu.Scope()); n != audit+1 || w.Actions(t, cu.ID)[0] != domain.Action(m.Kind(), domain.ActionReinvited) {
		t.Fatalf("audit: %d events (was %d), %v", n, audit, w.Actions(t, cu.ID))
	}
	// Nothing more to send: another sweep, or a retry of the request,
	// sends nothing.
	if rep := w.Sweep(); rep.Resent+rep.Reminded+rep.Failed != 0 {
		t.Fatalf("a second sweep: %+v", rep)
	}
	if _, err := w.Members.Invite(w.Ctx(), w.Admin, sc, in, &idem.Key{ID: "k1", Fingerprint: "a"}); err != nil || len(w.Mailbox.To(in.Email)) != 1 {
		t.Fatalf("a retry after the resend: %v, %d e-mails", err, len(w.Mailbox.To(in.Email)))
	}
	// The link works: Jane accepts and signs in.
	w.Accept(in.Email)
	w.SignIn(in.Email)
	// Her reminder, due later, is not sent: she accepted.
	w.Clock.Advance(200 * time.Hour)
	if rep := w.Sweep(); rep.Reminded+rep.Expired+rep.Resent != 0 || len(w.Mailbox.To(in.Email)) != 1 {
		t.Fatalf("after the accept: %+v", rep)
	}
}

// A retry of the request after the lease finishes the send itself; the
// sweep then has nothing to send: one e-mail in all.
func TestARetryAfterTheLeaseAndTheSweepSendOnce(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	sc := w.Scope(cu.Scope())
	in := members.Invitee{Email: "jane@acme.example"}
	crashOnce(w, in.Email)
	survive(t, func() { w.Members.Invite(w.Ctx(), w.Admin, sc, in, &idem.Key{ID: "k1", Fingerprint: "a"}) })
	w.Mailbox.Fail = nil
	w.Clock.Advance(delivery.SendLease + time.Second)
	m, err := w.Members.Invite(w.Ctx(), w.Admin, sc, in, &idem.Key{ID: "k1", Fingerprint: "a"})
	if err != nil || m.Invitation.Delivery != domain.DeliverySent {
		t.Fatalf("the retry: %+v %v", m.Invitation, err)
	}
	if rep := w.Sweep(); rep.Resent+rep.Failed != 0 || len(w.Mailbox.To(in.Email)) != 1 {
		t.Fatalf("%+v, %d e-mails", rep, len(w.Mailbox.To(in.Email)))
	}
	w.Accept(in.Email)
}

// A bulk row whose send had an unknown outcome and did not go is sent by
// the sweep after the lease: each row gets its one e-mail.
func TestBulkRowsCommittedBeforeACrashAreSentByTheSweep(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	sc := w.Scope(cu.Scope())
	emails := []string{"a@acme.example", "b@acme.example", "c@acme.example"}
	w.Mailbox.Fail = func(to string) error {
		if to == "b@acme.example" {
			return mailbox.ErrLost
		}
		return nil
	}
	res, err := w.Members.BulkInvite(w.Ctx(), w.Admin, sc, emails, members.Profile{}, nil)
	w.Mailbox.Fail = nil
	if err != nil || len(res) != 3 || len(w.Mailbox.To("a@acme.example")) != 1 || len(w.Mailbox.To("b@acme.example")) != 0 {
		t.Fatalf("setup: %+v %v", res, err)
	}
	if rep := w.SweepNow(); rep.Resent != 0 {
		t.Fatalf("inside the lease: %+v", rep)
	}
	if rep := w.Sweep(); rep.Resent != 1 || rep.Failed != 0 {
		t.Fatalf("%+v", rep)
	}
	for _, e := range emails {
		if n := len(w.Mailbox.To(e)); n != 1 {
			t.Fatalf("%s: %d e-mails", e, n)
		}
		w.Accept(e)
	}
}

// A sweep that died between a reminder's commit and its send (the old link
// revoked, no reminder gone) sends the reminder, with a link that works,
// once the send lease has passed; the expiry stays.
func TestAReminderCommittedButNeverSentIsSentAgainAfterTheLease(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "nl")
	u := w.Invite(w.Admin, cu.ID, "jane@acme.example", false)
	first := w.Token("jane@acme.example")
	w.Clock.Advance(121 * time.Hour)
	crashOnce(w, "jane@acme.example")
	survive(t, func() { w.SweepNow() })
	w.Mailbox.Fail = nil
	m, _ := w.Member(u)
	if m.Invitation.Delivery != domain.DeliveryPending || m.Invitation.ReminderSentAt == nil || len(w.Mailbox.To("jane@acme.example")) != 1 {
		t.Fatalf("setup: %+v", m.Invitation)
	}
	if err := accept(w, first); !errors.Is(err, invitations.ErrInvalid) {
		t.Fatalf("the revoked link: %v", err)
	}
	w.Clock.Advance(30 * time.Second)
	if rep := w.SweepNow(); rep.Resent+rep.Reminded+rep.Expired+rep.Failed != 0 || len(w.Mailbox.To("jane@acme.example")) != 1 {
		t.Fatalf("inside the lease: %+v", rep)
	}
	w.Clock.Advance(31 * time.Second)
	if rep := w.SweepNow(); rep.Resent != 1 || rep.Reminded+rep.Expired+rep.Failed != 0 {
		t.Fatalf("after the lease: %+v", rep)
	}
	mails := w.Mailbox.To("jane@acme.example")
	if len(mails) != 2 || !strings.HasPrefix(mails[1].Subject, "Herinnering") {
		t.Fatalf("%d e-mails: %+v", len(mails), mails)
	}
	after, _ := w.Member(u)
	if inv := after.Invitation; inv.Delivery != domain.DeliverySent || !inv.ExpiresAt.Equal(m.Invitation.ExpiresAt) ||
		inv.ReminderSentAt == nil || !inv.ReminderSentAt.Equal(*m.Invitation.ReminderSentAt) || inv.SendCount != 2 {
		t.Fatalf("after the resend: %+v", inv)
	}
	if rep := w.Sweep(); rep.Resent+rep.Reminded != 0 || len(w.Mailbox.To("jane@acme.example")) != 2 {
		t.Fatalf("a second sweep: %+v", rep)
	}
	// Not accepted, it expires when it would have.
	w.Clock.Advance(m.Invitation.ExpiresAt.Sub(w.Clock.Now()) - time.Minute)
	if rep := w.SweepNow(); rep.Expired != 0 {
		t.Fatalf("early: %+v", rep)
	}
	w.Clock.Advance(2 * time.Minute)
	if rep := w.SweepNow(); rep.Expired != 1 || len(w.Mailbox.To("jane@acme.example")) != 2 {
		t.Fatalf("at its expiry: %+v", rep)
	}
}

// The reminder's resend, accepted.
func TestAReminderSentAgainAfterACrashCanBeAccepted(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	w.Invite(w.Admin, cu.ID, "jane@acme.example", false)
	w.Clock.Advance(121 * time.Hour)
	crashOnce(w, "jane@acme.example")
	survive(t, func() { w.SweepNow() })
	w.Mailbox.Fail = nil
	if rep := w.Sweep(); rep.Resent != 1 {
		t.Fatalf("%+v", rep)
	}
	w.Accept("jane@acme.example")
	w.SignIn("jane@acme.example")
}

// A send whose outcome stayed unknown and that did not go is sent again
// by the sweep once the lease has passed; a reminder due meanwhile goes
// instead of it (one e-mail, not two).
func TestAnUnknownSendIsFinishedByTheSweepAndAReminderDueGoesInstead(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	w.Mailbox.Fail = func(string) error { return mailbox.ErrLost }
	u := w.Invite(w.Admin, cu.ID, "jane@acme.example", false)
	w.Mailbox.Fail = nil
	// The sweep was down until the reminder was due.
	w.Clock.Advance(121 * time.Hour)
	if rep := w.SweepNow(); rep.Reminded != 1 || rep.Resent+rep.Failed != 0 {
		t.Fatalf("%+v", rep)
	}
	mails := w.Mailbox.To("jane@acme.example")
	if len(mails) != 1 || !strings.HasPrefix(mails[0].Subject, "Reminder") {
		t.Fatalf("%d e-mails: %+v", len(mails), mails)
	}
	m, _ := w.Member(u)
	if m.Invitation.Delivery != domain.DeliverySent || m.Invitation.ReminderSentAt == nil {
		t.Fatalf("%+v", m.Invitation)
	}
	if rep := w.Sweep(); rep.Resent+rep.Reminded != 0 {
		t.Fatalf("%+v", rep)
	}
	w.Accept("jane@acme.example")
}

// A mail service that keeps losing its answers (each e-mail may well have
// gone) gets the e-mail sent again MaxResends times, not every run; the
// reminder still goes when it is due.
func TestTheSweepSendsAnUnknownSendAgainAFewTimesOnly(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	w.Mailbox.Fail = func(to string) error {
		if to == "jane@acme.example" {
			return fmt.Errorf("timeout: %w", mail.ErrOutcomeUnknown)
		}
		return nil
	}
	u := w.Invite(w.Admin, cu.ID, "jane@acme.example", false)
	resent := 0
	for range 10 {
		resent += w.Sweep().Resent
	}
	if n := len(w.Mailbox.To("jane@acme.example")); resent != state.MaxResends || n != 1+state.MaxResends {
		t.Fatalf("%d resent, %d e-mails", resent, n)
	}
	w.Mailbox.Fail = nil
	m, _ := w.Member(u)
	if m.Invitation.Delivery != domain.DeliveryPending || m.Invitation.State != domain.InvitationPending {
		t.Fatalf("%+v", m.Invitation)
	}
	w.Accept("jane@acme.example") // the newest link works
}
