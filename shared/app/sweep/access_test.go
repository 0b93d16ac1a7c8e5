package sweep_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

func accessWorld(t *testing.T) *apptest.World {
	cfg := apptest.Config()
	cfg.AccessReminder = 72 * time.Hour
	cfg.TechnicianAccess = 720 * time.Hour
	return apptest.NewWith(t, cfg)
}

func rfc(t time.Time) *string { s := t.UTC().Format(time.RFC3339Nano); return &s }

// A user given accessUntil: their admins are reminded once, 72h before;
// at the moment the sweep disables them, audited as expired access, their
// identity disabled, and they are refused from then on.
func TestAccessEndsByItselfAfterOneReminderToTheAdmins(t *testing.T) {
	w := accessWorld(t)
	cu := w.NewCustomer("Acme", "en")
	_, boss := w.User(cu.ID, "boss@acme.example", true)
	_ = boss
	jane, _ := w.User(cu.ID, "jane@acme.example", false)
	until := w.Clock.Now().Add(5 * 24 * time.Hour)
	jane, err := w.Members.UpdateUser(w.Ctx(), w.Admin, members.User(cu.ID, jane.ID), members.Profile{AccessUntil: rfc(until)}, jane.Version)
	if err != nil || jane.AccessUntil == nil || !jane.AccessUntil.Equal(until.Truncate(time.Millisecond)) {
		t.Fatalf("%+v %v", jane.AccessUntil, err)
	}
	if rep := w.Sweep(); rep.AccessReminded != 0 || rep.AccessEnded != 0 {
		t.Fatalf("early: %+v", rep)
	}
	w.Clock.Advance(49 * time.Hour) // 71h before the end
	if rep := w.Sweep(); rep.AccessReminded != 1 {
		t.Fatalf("%+v", rep)
	}
	mails := w.Mailbox.To("boss@acme.example")
	last := mails[len(mails)-1]
	if !strings.Contains(last.Subject, "jane") || !strings.Contains(last.Text, "jane@acme.example") {
		t.Fatalf("%q %q", last.Subject, last.Text)
	}
	if n := len(w.Mailbox.To("jane@acme.example")); n != 1 { // only her invitation
		t.Fatalf("jane got %d e-mails", n)
	}
	for range 3 {
		if rep := w.Sweep(); rep.AccessReminded != 0 || rep.AccessEnded != 0 {
			t.Fatalf("again: %+v", rep)
		}
	}
	if n := len(w.Mailbox.To("boss@acme.example")); n != len(mails) {
		t.Fatalf("reminded twice: %d", n)
	}
	if _, err := w.Resolve("jane@acme.example"); err != nil {
		t.Fatalf("refused before the end: %v", err)
	}
	w.Clock.Advance(72 * time.Hour)
	// Refused at the moment, before any sweep has run.
	if _, err := w.Resolve("jane@acme.example"); !errors.Is(err, access.ErrUnauthenticated) {
		t.Fatalf("signs in past the end, before the sweep: %v", err)
	}
	if rep := w.Sweep(); rep.AccessEnded != 1 {
		t.Fatalf("%+v", rep)
	}
	got, _ := w.Member(jane)
	if got.Status != domain.StatusDisabled {
		t.Fatalf("%s", got.Status)
	}
	if _, err := w.Resolve("jane@acme.example"); !errors.Is(err, access.ErrUnauthenticated) {
		t.Fatalf("still signs in: %v", err)
	}
	if id, _ := w.Identities.Get("jane@acme.example"); id.Enabled {
		t.Fatal("identity still enabled")
	}
	acts := w.Actions(t, cu.ID)
	if acts[0] != "user.access_expired" || !slices.Contains(acts, "user.access_reminder_sent") {
		t.Fatalf("%v", acts)
	}
	if rep := w.Sweep(); rep.AccessEnded != 0 || rep.Skipped != 0 {
		t.Fatalf("finished work read again: %+v", rep)
	}
	// Enabling her again gives access back for good.
	got, err = w.Members.Enable(w.Ctx(), w.Admin, members.User(cu.ID, jane.ID))
	if err != nil || got.AccessUntil != nil || got.Status != domain.StatusEnabled {
		t.Fatalf("%+v %v", got, err)
	}
	if rep := w.Sweep(); rep.AccessEnded != 0 {
		t.Fatalf("%+v", rep)
	}
	w.SignIn("jane@acme.example")
}

// A reminder committed but not sent (the mail service refused) is sent by
// the next run, and then never again.
func TestAHalfDoneAccessReminderIsFinished(t *testing.T) {
	w := accessWorld(t)
	cu := w.NewCustomer("Acme", "nl")
	w.User(cu.ID, "boss@acme.example", true)
	jane, _ := w.User(cu.ID, "jane@acme.example", false)
	if _, err := w.Members.UpdateUser(w.Ctx(), w.Admin, members.User(cu.ID, jane.ID), members.Profile{AccessUntil: rfc(w.Clock.Now().Add(73 * time.Hour))}, 0); err != nil {
		t.Fatal(err)
	}
	before := len(w.Mailbox.To("boss@acme.example"))
	w.Clock.Advance(time.Hour)
	w.Mailbox.Fail = func(string) error { return errors.New("ses refused") }
	if rep := w.Sweep(); rep.Failed != 1 {
		t.Fatalf("%+v", rep)
	}
	got, _ := w.Member(jane)
	if got.AccessReminder != domain.AccessReminderSending {
		t.Fatalf("%q", got.AccessReminder)
	}
	w.Mailbox.Fail = nil
	if rep := w.Sweep(); rep.AccessReminded != 1 {
		t.Fatalf("%+v", rep)
	}
	mails := w.Mailbox.To("boss@acme.example")
	if len(mails) != before+1 || !strings.HasPrefix(mails[len(mails)-1].Subject, "Toegang") {
		t.Fatalf("%d", len(mails))
	}
	if rep := w.Sweep(); rep.AccessReminded != 0 {
		t.Fatalf("%+v", rep)
	}
	// One audit event of the reminder, however many runs it took.
	n := 0
	for _, a := range w.Actions(t, cu.ID) {
		if a == "user.access_reminder_sent" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d reminder events", n)
	}
}

// Extending or clearing the end moves or removes it; a cleared one never
// ends, an extended one ends at its new moment.
func TestExtendingAndClearingTheAccessEnd(t *testing.T) {
	w := accessWorld(t)
	cu := w.NewCustomer("Acme", "en")
	jane, _ := w.User(cu.ID, "jane@acme.example", false)
	tgt := members.User(cu.ID, jane.ID)
	m, err := w.Members.UpdateUser(w.Ctx(), w.Admin, tgt, members.Profile{AccessUntil: rfc(w.Clock.Now().Add(time.Hour))}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.AccessRemindAt != nil {
		t.Fatal("a reminder for an end closer than ACCESS_REMINDER")
	}
	if _, err := w.Members.UpdateUser(w.Ctx(), w.Admin, tgt, members.Profile{AccessUntil: rfc(w.Clock.Now().Add(10 * 24 * time.Hour))}, m.Version-1); !errors.Is(err, state.ErrStale) {
		t.Fatalf("If-Match: %v", err)
	}
	m, err = w.Members.UpdateUser(w.Ctx(), w.Admin, tgt, members.Profile{AccessUntil: rfc(w.Clock.Now().Add(10 * 24 * time.Hour))}, m.Version)
	if err != nil {
		t.Fatal(err)
	}
	w.Clock.Advance(2 * time.Hour)
	if rep := w.Sweep(); rep.AccessEnded != 0 {
		t.Fatalf("ended at the old moment: %+v", rep)
	}
	empty := ""
	if m, err = w.Members.UpdateUser(w.Ctx(), w.Admin, tgt, members.Profile{AccessUntil: &empty}, 0); err != nil || m.AccessUntil != nil {
		t.Fatalf("%+v %v", m.AccessUntil, err)
	}
	w.Clock.Advance(30 * 24 * time.Hour)
	if rep := w.Sweep(); rep.AccessEnded != 0 || rep.AccessReminded != 0 {
		t.Fatalf("%+v", rep)
	}
	w.SignIn("jane@acme.example")
	past := w.Clock.Now().Add(-time.Minute)
	if _, err := w.Members.UpdateUser(w.Ctx(), w.Admin, tgt, members.Profile{AccessUntil: rfc(past)}, 0); !slices.Equal(apptest.Fields(err), []string{"accessUntil:not_future"}) {
		t.Fatalf("%v", err)
	}
	bad := "next tuesday"
	if _, err := w.Members.UpdateUser(w.Ctx(), w.Admin, tgt, members.Profile{AccessUntil: &bad}, 0); !slices.Equal(apptest.Fields(err), []string{"accessUntil:invalid_time"}) {
		t.Fatalf("%v", err)
	}
}

// Technicians get the provider's default length; the provider's last
// operator admin's access does not end while no other admin could enable
// them again.
func TestOperatorsAccess(t *testing.T) {
	w := accessWorld(t)
	tech, _ := w.Operator("tech@provider.example", domain.RoleTechnician)
	if tech.AccessUntil == nil || tech.AccessUntil.Sub(tech.CreatedAt) < 719*time.Hour {
		t.Fatalf("%v", tech.AccessUntil)
	}
	boss, err := w.Store.MemberByEmail(w.Ctx(), domain.ProviderScope, "admin@provider.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Members.UpdateOperator(w.Ctx(), w.Admin, members.Operator(boss.ID), nil, nil, rfc(w.Clock.Now().Add(time.Hour)), 0); err != nil {
		t.Fatal(err)
	}
	w.Clock.Advance(2 * time.Hour)
	if rep := w.Sweep(); rep.AccessEnded != 0 {
		t.Fatalf("%+v", rep)
	}
	w.SignIn("admin@provider.example") // the last operator admin: their end waits
	w.Clock.Advance(720 * time.Hour)
	if _, err := w.Resolve("tech@provider.example"); !errors.Is(err, access.ErrUnauthenticated) {
		t.Fatalf("the technician past their end, before the sweep: %v", err)
	}
	w.SignIn("admin@provider.example")
	if rep := w.Sweep(); rep.AccessEnded != 1 { // the technician
		t.Fatalf("%+v", rep)
	}
	if _, err := w.Resolve("tech@provider.example"); !errors.Is(err, access.ErrUnauthenticated) {
		t.Fatalf("%v", err)
	}
}

// An unconfirmed member whose access has ended cannot accept, nor be
// re-invited until the end is extended.
func TestAnInvitationOutlivedByItsAccess(t *testing.T) {
	w := accessWorld(t)
	cu := w.NewCustomer("Acme", "en")
	m, err := w.Members.Invite(w.Ctx(), w.Admin, w.Scope(cu.Scope()), members.Invitee{Email: "jane@acme.example", AccessUntil: rfc(w.Clock.Now().Add(time.Hour))}, nil)
	if err != nil || m.AccessUntil == nil {
		t.Fatalf("%+v %v", m, err)
	}
	w.Clock.Advance(2 * time.Hour)
	if _, err := w.Members.Reinvite(w.Ctx(), w.Admin, members.User(cu.ID, m.ID)); !errors.Is(err, members.ErrAccessEnded) {
		t.Fatalf("%v", err)
	}
	if rep := w.Sweep(); rep.AccessEnded != 0 {
		t.Fatalf("%+v", rep)
	}
	if _, found := w.Identities.Get("jane@acme.example"); found {
		t.Fatal("an identity")
	}
}
