package delivery_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/delivery"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/mail"
)

// sesEvent is an SES event record as SES documents it (the "detail" of its
// EventBridge event), for the message sent to m.
func sesEvent(t *testing.T, m domain.Member, typ string, body map[string]any) []byte {
	t.Helper()
	tags := map[string][]string{"ses:configuration-set": {"portal-access"}}
	for k, v := range delivery.Tags(&m) {
		tags[k] = []string{v}
	}
	ev := map[string]any{
		"eventType": typ,
		"mail": map[string]any{
			"timestamp": "2026-12-01T09:00:00.000Z", "source": "no-reply@provider.example",
			"messageId": "0100018c-example", "destination": []string{m.Email}, "tags": tags,
		},
	}
	for k, v := range body {
		ev[k] = v
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func delivered(t *testing.T, m domain.Member) []byte {
	return sesEvent(t, m, "Delivery", map[string]any{"delivery": map[string]any{
		"timestamp": "2026-12-01T09:00:02.000Z", "processingTimeMillis": 1900, "recipients": []string{m.Email},
		"smtpResponse": "250 2.6.0 Message received", "reportingMTA": "a8-70.smtp-out.amazonses.com",
	}})
}

func bounced(t *testing.T, m domain.Member, kind string) []byte {
	return sesEvent(t, m, "Bounce", map[string]any{"bounce": map[string]any{
		"bounceType": kind, "bounceSubType": "General", "timestamp": "2026-12-01T09:00:03.000Z", "feedbackId": "0100018c-fb",
		"bouncedRecipients": []map[string]any{{
			"emailAddress": m.Email, "action": "failed", "status": "5.1.1",
			"diagnosticCode": "smtp; 550 5.1.1 user unknown",
		}},
	}})
}

func complained(t *testing.T, m domain.Member) []byte {
	return sesEvent(t, m, "Complaint", map[string]any{"complaint": map[string]any{
		"timestamp": "2026-12-01T09:10:00.000Z", "feedbackId": "0100018c-c", "complaintFeedbackType": "abuse",
		"complainedRecipients": []map[string]any{{"emailAddress": m.Email}},
	}})
}

func setup(t *testing.T) (*apptest.World, *delivery.Feedback, domain.Customer) {
	w := apptest.New(t)
	return w, w.Env.Feedback(), w.NewCustomer("Acme", "en")
}

func inv(t *testing.T, w *apptest.World, m domain.Member) domain.Invitation {
	t.Helper()
	got, ok := w.Member(m)
	if !ok || got.Invitation == nil {
		t.Fatalf("member %s gone or not invited", m.Email)
	}
	return *got.Invitation
}

func TestInvitationEmailsAreTaggedWithTheirMember(t *testing.T) {
	w, _, cu := setup(t)
	m := w.Invite(w.Admin, cu.ID, "jane@acme.example", false)
	msgs := w.Mailbox.To("jane@acme.example")
	if len(msgs) != 1 || msgs[0].Tags[delivery.TagMember] != m.ID || msgs[0].Tags[delivery.TagScope] != cu.ID {
		t.Fatalf("tags %+v", msgs)
	}
	// Operators' invitations are tagged with the provider's scope.
	r := string(domain.RoleTechnician)
	op, err := w.Members.Invite(w.Ctx(), w.Admin, w.Scope(domain.ProviderScope), members.Invitee{Email: "tech@provider.example", Role: &r}, nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs = w.Mailbox.To(op.Email)
	if len(msgs) != 1 || msgs[0].Tags[delivery.TagMember] != op.ID || msgs[0].Tags[delivery.TagScope] != delivery.TagProvider {
		t.Fatalf("operator tags %+v", msgs)
	}
	// And their reports find them.
	if err := w.Env.Feedback().RecordJSON(w.Ctx(), bounced(t, op, "Permanent")); err != nil {
		t.Fatal(err)
	}
	if g := inv(t, w, op); !g.Undeliverable {
		t.Fatalf("operator after a hard bounce: %+v", g)
	}
}

func TestADeliveryShowsAsDelivered(t *testing.T) {
	w, fb, cu := setup(t)
	m := w.Invite(w.Admin, cu.ID, "jane@acme.example", false)
	if err := fb.RecordJSON(w.Ctx(), delivered(t, m)); err != nil {
		t.Fatal(err)
	}
	got := inv(t, w, m)
	if got.Delivery != domain.DeliveryDelivered || got.FeedbackAt == nil || !got.FeedbackAt.Equal(time.Date(2026, 12, 1, 9, 0, 2, 0, time.UTC)) ||
		got.FeedbackReason != "250 2.6.0 Message received" || got.Undeliverable {
		t.Fatalf("after delivery: %+v", got)
	}
	// Delivered is sent: the cooldown holds, then a re-invite goes out.
	if _, err := w.Members.Reinvite(w.Ctx(), w.Admin, members.Target{Scope: m.Scope(), ID: m.ID}); !errors.Is(err, members.ErrTooSoon) {
		t.Fatalf("re-invite inside the cooldown: %v", err)
	}
	w.Clock.Advance(2 * time.Minute)
	if _, err := w.Members.Reinvite(w.Ctx(), w.Admin, members.Target{Scope: m.Scope(), ID: m.ID}); err != nil {
		t.Fatalf("re-invite after delivery: %v", err)
	}
	if n := len(w.Mailbox.To(m.Email)); n != 2 {
		t.Fatalf("%d e-mails, want 2", n)
	}
}

func TestAHardBounceStopsRemindersAndReinvites(t *testing.T) {
	w, fb, cu := setup(t)
	m := w.Invite(w.Admin, cu.ID, "jnae@acme.example", false)
	other := w.Invite(w.Admin, cu.ID, "john@acme.example", false)
	if err := fb.RecordJSON(w.Ctx(), bounced(t, m, "Permanent")); err != nil {
		t.Fatal(err)
	}
	got := inv(t, w, m)
	if got.Delivery != domain.DeliveryBounced || !got.Undeliverable || got.RemindAt != nil || got.FeedbackReason != "smtp; 550 5.1.1 user unknown" {
		t.Fatalf("after a hard bounce: %+v", got)
	}
	w.Clock.Advance(2 * time.Minute)
	before := w.Mailbox.Count()
	audit := w.Audit(m.Scope())
	if _, err := w.Members.Reinvite(w.Ctx(), w.Admin, members.Target{Scope: m.Scope(), ID: m.ID}); !errors.Is(err, members.ErrUndeliverable) {
		t.Fatalf("re-invite of a bounced address: %v", err)
	}
	if w.Mailbox.Count() != before || w.Audit(m.Scope()) != audit || inv(t, w, m).TokenHash != got.TokenHash {
		t.Fatal("a refused re-invite changed something")
	}
	// A later "delivered" (of an earlier e-mail) does not undo it.
	if err := fb.RecordJSON(w.Ctx(), delivered(t, m)); err != nil {
		t.Fatal(err)
	}
	if g := inv(t, w, m); g.Delivery != domain.DeliveryBounced || !g.Undeliverable {
		t.Fatalf("delivered after a hard bounce: %+v", g)
	}
	// Reminder time: the other invitee is reminded, the bounced one is not;
	// at expiry both invitations expire.
	w.Clock.Advance(w.Env.Config.InvitationTTL - w.Env.Config.InvitationReminder)
	w.SweepNow()
	if n := len(w.Mailbox.To(m.Email)); n != 1 {
		t.Fatalf("the bounced address got %d e-mails, want the first only", n)
	}
	if n := len(w.Mailbox.To(other.Email)); n != 2 {
		t.Fatalf("the other invitee got %d e-mails, want the invitation and its reminder", n)
	}
	w.Clock.Advance(w.Env.Config.InvitationReminder + time.Minute)
	w.SweepNow()
	if g := inv(t, w, m); g.State != domain.InvitationExpired {
		t.Fatalf("the bounced invitation did not expire: %+v", g)
	}
	// Deleting the user and adding them again with the right address is the way on.
	if err := w.Members.Delete(w.Ctx(), w.Admin, members.Target{Scope: m.Scope(), ID: m.ID}); err != nil {
		t.Fatal(err)
	}
	again := w.Invite(w.Admin, cu.ID, "jane@acme.example", false)
	if g := inv(t, w, again); g.Undeliverable || g.Delivery != domain.DeliverySent {
		t.Fatalf("the corrected address: %+v", g)
	}
}

func TestASoftBounceIsShownButDoesNotStopReinvites(t *testing.T) {
	w, fb, cu := setup(t)
	m := w.Invite(w.Admin, cu.ID, "jane@acme.example", false)
	if err := fb.RecordJSON(w.Ctx(), bounced(t, m, "Transient")); err != nil {
		t.Fatal(err)
	}
	if g := inv(t, w, m); g.Delivery != domain.DeliveryBounced || g.Undeliverable || g.RemindAt == nil {
		t.Fatalf("after a soft bounce: %+v", g)
	}
	w.Clock.Advance(2 * time.Minute)
	if _, err := w.Members.Reinvite(w.Ctx(), w.Admin, members.Target{Scope: m.Scope(), ID: m.ID}); err != nil {
		t.Fatalf("re-invite after a soft bounce: %v", err)
	}
}

func TestAComplaintAfterDeliveryStands(t *testing.T) {
	w, fb, cu := setup(t)
	m := w.Invite(w.Admin, cu.ID, "jane@acme.example", false)
	for _, ev := range [][]byte{delivered(t, m), complained(t, m)} {
		if err := fb.RecordJSON(w.Ctx(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if g := inv(t, w, m); g.Delivery != domain.DeliveryComplained || !g.Undeliverable || g.FeedbackReason != "marked as spam (abuse)" {
		t.Fatalf("after a complaint: %+v", g)
	}
	w.Clock.Advance(2 * time.Minute)
	if _, err := w.Members.Reinvite(w.Ctx(), w.Admin, members.Target{Scope: m.Scope(), ID: m.ID}); !errors.Is(err, members.ErrUndeliverable) {
		t.Fatalf("re-invite after a complaint: %v", err)
	}
}

// Reports nobody can act on change nothing; a report that comes before the
// send was recorded asks to be delivered again; garbage is refused.
func TestReportsThatNameNothingChangeNothing(t *testing.T) {
	w, fb, cu := setup(t)
	m := w.Invite(w.Admin, cu.ID, "jane@acme.example", false)
	want := inv(t, w, m)
	gone := m
	gone.ID = domain.NewID(domain.PrefixUser)
	otherAddress := m
	otherAddress.Email = "someone@else.example"
	untagged := bounced(t, m, "Permanent")
	var ev map[string]any
	_ = json.Unmarshal(untagged, &ev)
	ev["mail"].(map[string]any)["tags"] = map[string][]string{"ses:configuration-set": {"portal-access"}}
	untagged, _ = json.Marshal(ev)
	for name, raw := range map[string][]byte{
		"no such member":     bounced(t, gone, "Permanent"),
		"another address":    bounced(t, otherAddress, "Permanent"),
		"not the product's":  untagged,
		"a send event":       sesEvent(t, m, "Send", map[string]any{"send": map[string]any{}}),
		"an open event":      sesEvent(t, m, "Open", map[string]any{"open": map[string]any{}}),
		"a bounce with none": sesEvent(t, m, "Bounce", nil),
	} {
		if err := fb.RecordJSON(w.Ctx(), raw); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got := inv(t, w, m); got.Delivery != want.Delivery || got.Undeliverable || got.FeedbackAt != nil {
		t.Fatalf("changed by reports about nothing: %+v", got)
	}
	for _, raw := range [][]byte{[]byte("not json"), []byte(`{}`), []byte(`[1]`)} {
		if err := fb.RecordJSON(w.Ctx(), raw); !errors.Is(err, delivery.ErrBadEvent) {
			t.Errorf("%q: %v", raw, err)
		}
	}
	// The send not yet recorded (a crash between send and record leaves
	// "pending"): the report is to come again.
	w.Mailbox.Fail = func(string) error { return fmt.Errorf("timeout: %w", mail.ErrOutcomeUnknown) }
	pending := w.Invite(w.Admin, cu.ID, "slow@acme.example", false)
	w.Mailbox.Fail = nil
	if g := inv(t, w, pending); g.Delivery != domain.DeliveryPending {
		t.Fatalf("setup: %+v", g)
	}
	if err := fb.RecordJSON(w.Ctx(), delivered(t, pending)); !errors.Is(err, delivery.ErrNotYet) {
		t.Fatalf("a report before its send was recorded: %v", err)
	}
	if g := inv(t, w, pending); g.Delivery != domain.DeliveryPending || g.FeedbackAt != nil {
		t.Fatalf("changed by an early report: %+v", g)
	}
}
