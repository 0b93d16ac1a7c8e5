package sweep_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/domain"
)

func TestTheReminderGoesOutOnceWithAFreshLinkThenTheInvitationExpires(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "nl")
	u := w.Invite(w.Admin, cu.ID, "jane@acme.example", false)
	first := w.Token("jane@acme.example")
	w.Clock.Advance(119 * time.Hour)
	if rep := w.Sweep(); rep.Reminded != 0 {
		t.Fatalf("early: %+v", rep)
	}
	w.Clock.Advance(2 * time.Hour)
	if rep := w.Sweep(); rep.Reminded != 1 {
		t.Fatalf("%+v", rep)
	}
	mails := w.Mailbox.To("jane@acme.example")
	if len(mails) != 2 || !strings.HasPrefix(mails[1].Subject, "Herinnering") || w.Token("jane@acme.example") == first {
		t.Fatalf("%d e-mails, subject %q", len(mails), mails[len(mails)-1].Subject)
	}
	if rep := w.Sweep(); rep.Reminded != 0 {
		t.Fatalf("a second reminder: %+v", rep)
	}
	w.Clock.Advance(48 * time.Hour)
	if rep := w.Sweep(); rep.Expired != 1 {
		t.Fatalf("%+v", rep)
	}
	m, _ := w.Member(u)
	if m.Status != domain.StatusUnconfirmed || m.Invitation.State != domain.InvitationExpired {
		t.Fatalf("%+v", m.Invitation)
	}
}

// A reminder that could not be sent is due again at the next run.
func TestAFailedReminderIsTriedAgain(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	w.Invite(w.Admin, cu.ID, "jane@acme.example", false)
	w.Clock.Advance(121 * time.Hour)
	w.Mailbox.Fail = func(string) error { return errors.New("ses refused") }
	if rep := w.Sweep(); rep.Failed != 1 {
		t.Fatalf("%+v", rep)
	}
	w.Mailbox.Fail = nil
	if rep := w.Sweep(); rep.Reminded != 1 {
		t.Fatalf("%+v", rep)
	}
	if n := len(w.Mailbox.To("jane@acme.example")); n != 2 {
		t.Fatalf("%d e-mails", n)
	}
}

func TestTheSweepReadsOnlyWhatIsDue(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	for _, e := range []string{"a@acme.example", "b@acme.example", "c@acme.example"} {
		w.Invite(w.Admin, cu.ID, e, false)
	}
	if rep := w.Sweep(); rep.Reminded+rep.Expired+rep.Synced+rep.Skipped+rep.Failed != 0 {
		t.Fatalf("nothing is due, yet: %+v", rep)
	}
}
