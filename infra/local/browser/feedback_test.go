package browser

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

// bounce is SES's report of a hard bounce of u's invitation e-mail, as the
// function that SES's events reach receives it.
func bounce(t *testing.T, u user) {
	t.Helper()
	detail, _ := json.Marshal(map[string]any{
		"eventType": "Bounce",
		"mail": map[string]any{"messageId": "m-1", "destination": []string{u.Email},
			"tags": map[string][]string{"member": {u.ID}, "scope": {u.CustomerID}}},
		"bounce": map[string]any{"bounceType": "Permanent", "bounceSubType": "General", "timestamp": time.Now().UTC().Format(time.RFC3339),
			"bouncedRecipients": []map[string]any{{"emailAddress": u.Email, "diagnosticCode": "smtp; 550 5.1.1 user unknown"}}},
	})
	if err := lambdafn.MailFeedback(t.Context(), st.Env.Feedback(), events.EventBridgeEvent{Source: "aws.ses", DetailType: "Email Bounced", Detail: detail}); err != nil {
		t.Fatal(err)
	}
}

// The admin sees which invitation bounced, cannot re-invite it, and
// exports the category to one CSV file.
func TestABouncedInvitationShowsAndTheCategoryExports(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Export"))
	bad, good := uniqueEmail("jnae"), uniqueEmail("john")
	u := a.invite(cu.ID, map[string]any{"email": bad, "name": "=HYPERLINK(1)"})
	a.invite(cu.ID, map[string]any{"email": good})
	bounce(t, u)

	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/users?status=unconfirmed")
	op.waitText(row(bad), "bounced")
	op.waitText(row(bad), "Delete the user and add them again")
	op.checkA11y("users, a bounced invitation")
	if op.present(row(bad)+` button[data-action="reinvite"]`) || !op.present(row(good)+` button[data-action="reinvite"]`) {
		t.Fatal("the bounced invitation can be re-invited, or the other cannot")
	}

	// The file the console makes, read where the page hands it to the browser.
	op.eval(`(() => { const make = URL.createObjectURL; URL.createObjectURL = (b) => { b.text().then((s) => { window.__csv = s; }); return make(b); }; return ''; })()`)
	op.click("#export-csv")
	op.until("the export is made", `typeof window.__csv === 'string'`)
	op.waitText(".export", "2 rows exported.")
	op.checkA11y("users, exported")
	recs, err := csv.NewReader(strings.NewReader(op.eval(`window.__csv`))).ReadAll()
	if err != nil || len(recs) != 3 || recs[0][1] != "email" {
		t.Fatalf("the export: %v %v", recs, err)
	}
	emails := recs[1][1] + " " + recs[2][1]
	if !strings.Contains(emails, bad) || !strings.Contains(emails, good) {
		t.Fatalf("exported %q", emails)
	}
	for _, r := range recs[1:] {
		if r[1] == bad && (r[2] != "'=HYPERLINK(1)" || r[9] != "bounced") {
			t.Fatalf("the bounced row: %v", r)
		}
	}
}
