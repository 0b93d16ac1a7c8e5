package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

// sesReport is SES's EventBridge event (the documented sample in events/)
// of an e-mail to addr, tagged as the product tags invitations to u.
func sesReport(t *testing.T, u user, addr, eventType string) events.EventBridgeEvent {
	t.Helper()
	root, err := emulators.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "events", "record-mail-feedback.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	_ = json.Unmarshal(ev.Detail, &d)
	mail := d["mail"].(map[string]any)
	mail["destination"] = []string{addr}
	mail["tags"] = map[string][]string{"ses:configuration-set": {"portal-access"}, "member": {u.ID}, "scope": {u.CustomerID}}
	switch eventType {
	case "Delivery":
		ev.DetailType = "Email Delivered"
		delete(d, "bounce")
		d["eventType"] = "Delivery"
		d["delivery"] = map[string]any{"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "recipients": []string{addr},
			"smtpResponse": "250 2.0.0 OK", "processingTimeMillis": 812, "reportingMTA": "a8-70.smtp-out.amazonses.com"}
	default:
		d["bounce"].(map[string]any)["bouncedRecipients"].([]any)[0].(map[string]any)["emailAddress"] = addr
	}
	ev.Detail, _ = json.Marshal(d)
	return ev
}

// The function SES's events reach (lambdafn.MailFeedback, the same code as
// the Lambda's main) records them; the API, the sweep and the mailbox show
// what a user notices.
func TestABouncedInvitationShowsStopsItsReminderAndRefusesItsReinvite(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	bad, good := uniqueEmail("jnae"), uniqueEmail("john")
	u := op.invite(cu.ID, map[string]any{"email": bad})
	v := op.invite(cu.ID, map[string]any{"email": good})
	fb := st.Env.Feedback()

	if err := lambdafn.MailFeedback(t.Context(), fb, sesReport(t, v, good, "Delivery")); err != nil {
		t.Fatal(err)
	}
	var got user
	op.get("/v1/customers/"+cu.ID+"/users/"+v.ID, 200).json(t, &got)
	if got.Invitation.Delivery != "delivered" || got.Invitation.DeliveryAt == nil || got.Invitation.DeliveryReason != "250 2.0.0 OK" {
		t.Fatalf("after a delivery event: %+v", got.Invitation)
	}

	if err := lambdafn.MailFeedback(t.Context(), fb, sesReport(t, u, bad, "Bounce")); err != nil {
		t.Fatal(err)
	}
	list := op.listUsers(cu.ID, "?status=unconfirmed")
	var shown *user
	for i := range list.Items {
		if list.Items[i].ID == u.ID {
			shown = &list.Items[i]
		}
	}
	if shown == nil || shown.Invitation.Delivery != "bounced" || !shown.Invitation.Undeliverable || shown.Invitation.DeliveryReason != "smtp; 550 5.1.1 user unknown" {
		t.Fatalf("the list after a hard bounce: %+v", shown)
	}

	clockOffset.Add(int64(2 * time.Minute))
	mails := len(emailsTo(t, bad))
	p := op.post("/v1/customers/"+cu.ID+"/users/"+u.ID+"/reinvite", nil, 409).problem(t)
	if p.Code != "undeliverable" {
		t.Fatalf("re-invite of a bounced address: %+v", p)
	}
	var after user
	op.get("/v1/customers/"+cu.ID+"/users/"+u.ID, 200).json(t, &after)
	if n := len(emailsTo(t, bad)); n != mails || after.Version != shown.Version || after.Invitation.SendCount != shown.Invitation.SendCount {
		t.Fatalf("a refused re-invite changed something: %d e-mails (was %d), %+v", n, mails, after)
	}

	// Reminder time: the delivered invitee is reminded, the bounced one not.
	clockOffset.Add(int64(121 * time.Hour))
	if _, err := st.Sweep(t.Context(), time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := len(emailsTo(t, bad)); n != 1 {
		t.Fatalf("the bounced address got %d e-mails, want the invitation only", n)
	}
	if n := len(emailsTo(t, good)); n != 2 {
		t.Fatalf("the delivered invitee got %d e-mails, want the invitation and its reminder", n)
	}

	// A redelivered event changes nothing; a garbled one is dropped.
	if err := lambdafn.MailFeedback(t.Context(), fb, sesReport(t, u, bad, "Bounce")); err != nil {
		t.Fatal(err)
	}
	if err := lambdafn.MailFeedback(t.Context(), fb, events.EventBridgeEvent{Source: "aws.ses", Detail: json.RawMessage(`"garbled"`)}); err != nil {
		t.Fatalf("a garbled event: %v", err)
	}
	op.get("/v1/customers/"+cu.ID+"/users/"+u.ID, 200).json(t, &after)
	if after.Invitation.Delivery != "bounced" || !after.Invitation.Undeliverable {
		t.Fatalf("after a redelivered event: %+v", after.Invitation)
	}
}
