package e2e

import (
	"encoding/json"
	"testing"
	"time"
)

// Seed 002, "You can close the prompt and send the invitations later": an
// admin adds people now with "sendInvitation": false — they are unconfirmed
// with an invitation not sent (no e-mail, no expiry, no reminder) — and
// sends the invitations later with a re-invite, which has no cooldown for
// that first send and then works as any invitation does.
func TestAddNowInviteLater(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	_, admin := portalUser(t, op, cu.ID, true)
	users := "/v1/customers/" + cu.ID + "/users"
	addr := uniqueEmail("later")
	var u user
	admin.post(users, map[string]any{"email": addr, "sendInvitation": false}, 201).json(t, &u)
	var raw struct {
		Invitation struct {
			State     string  `json:"state"`
			Delivery  string  `json:"delivery"`
			ExpiresAt *string `json:"expiresAt"`
			SendCount int     `json:"sendCount"`
		} `json:"invitation"`
	}
	shown := admin.get(users+"/"+u.ID, 200)
	if err := json.Unmarshal(shown.Body, &raw); err != nil {
		t.Fatal(err)
	}
	if u.Status != "unconfirmed" || raw.Invitation.State != "not_sent" || raw.Invitation.Delivery != "not_sent" ||
		raw.Invitation.ExpiresAt != nil || raw.Invitation.SendCount != 0 {
		t.Fatalf("added for later: %s", shown.Body)
	}
	if got := emailsTo(t, addr); len(got) != 0 {
		t.Fatalf("%d e-mails went to someone added for later", len(got))
	}
	if got := admin.counts(users); got.Unconfirmed != 1 {
		t.Fatalf("counts %+v: the user added for later is unconfirmed", got)
	}
	// A bulk add for later: nobody is e-mailed either.
	b1, b2 := uniqueEmail("bl"), uniqueEmail("bl")
	var bulk struct {
		Results []struct {
			Outcome string `json:"outcome"`
			User    *struct {
				Invitation struct{ State string } `json:"invitation"`
			} `json:"user"`
		} `json:"results"`
	}
	admin.post(users+"/bulk", map[string]any{"emails": []string{b1, b2}, "sendInvitation": false}, 200).json(t, &bulk)
	for _, r := range bulk.Results {
		if r.Outcome != "invited" || r.User == nil || r.User.Invitation.State != "not_sent" {
			t.Fatalf("bulk add for later: %+v", bulk)
		}
	}
	if n := len(emailsTo(t, b1)) + len(emailsTo(t, b2)); n != 0 {
		t.Fatalf("%d e-mails went to a bulk added for later", n)
	}
	// The sweep has nothing of theirs to expire or remind, even a month on.
	clockOffset.Add(int64(30 * 24 * time.Hour))
	settle(t)
	clockOffset.Add(-int64(30 * 24 * time.Hour))
	if got := admin.counts(users); got.Unconfirmed != 3 {
		t.Fatalf("counts %+v after the sweep", got)
	}
	var still user
	admin.get(users+"/"+u.ID, 200).json(t, &still)
	if still.Invitation == nil || still.Invitation.State != "not_sent" {
		t.Fatalf("after a month of sweeps: %+v", still.Invitation)
	}

	// Sending it later: at once, no cooldown; the invitee accepts.
	var sent user
	admin.post(users+"/"+u.ID+"/reinvite", nil, 200).json(t, &sent)
	if sent.Invitation.State != "pending" || sent.Invitation.SendCount != 1 || len(emailsTo(t, addr)) != 1 {
		t.Fatalf("sent later: %+v, %d e-mails", sent.Invitation, len(emailsTo(t, addr)))
	}
	// From then on it is an invitation like any other: the cooldown holds.
	admin.expect(admin.call("POST", users+"/"+u.ID+"/reinvite", nil), 429)
	if a := accept(t, addr); a.Status != "enabled" {
		t.Fatalf("accepted: %+v", a)
	}
	if got := admin.counts(users); got.Unconfirmed != 2 || got.Enabled != 2 {
		t.Fatalf("counts %+v after the accept", got)
	}
}
