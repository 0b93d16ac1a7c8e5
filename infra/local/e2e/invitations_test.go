package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"
)

type inspection struct {
	Email           string    `json:"email"`
	CustomerName    *string   `json:"customerName"`
	ExpiresAt       time.Time `json:"expiresAt"`
	ExistingAccount bool      `json:"existingAccount"`
}

func inspect(t *testing.T, token string) inspection {
	t.Helper()
	var in inspection
	anonymous(t).post("/v1/invitations/inspect", map[string]any{"token": token}, 200).json(t, &in)
	return in
}

func gone(t *testing.T, path string, body map[string]any) {
	t.Helper()
	p := anonymous(t).expect(anonymous(t).call("POST", path, body), 410).problem(t)
	if p.Code != "invitation_invalid" {
		t.Fatalf("%+v", p)
	}
}

func madeUpToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func TestInviteeAcceptsFromTheEmailSignsInAndSeesTheirPortal(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	p := op.addPortal(cu.ID, "Service", "https://service.acme.example")
	addr := uniqueEmail("invitee")
	u := op.invite(cu.ID, map[string]any{"email": addr, "portalIds": []string{p.ID}})
	token := latestToken(t, addr)

	in := inspect(t, token)
	if in.Email != addr || in.CustomerName == nil || *in.CustomerName != cu.Name || in.ExistingAccount || !in.ExpiresAt.Equal(u.Invitation.ExpiresAt) {
		t.Fatalf("inspect: %+v", in)
	}
	var a accepted
	anonymous(t).post("/v1/invitations/accept", map[string]any{"token": token, "password": password, "name": "Ines Invitee"}, 200).json(t, &a)
	if a.Email != addr || a.Status != "enabled" || a.SignIn != "password_set" {
		t.Fatalf("accept: %+v", a)
	}
	access, _ := signIn(t, addr, password)
	var me struct {
		Name        string `json:"name"`
		Memberships []struct {
			Portals []struct {
				URL string `json:"url"`
			} `json:"portals"`
		} `json:"memberships"`
	}
	(&client{t: t, token: access}).get("/v1/me", 200).json(t, &me)
	if me.Name != "Ines Invitee" || len(me.Memberships) != 1 || me.Memberships[0].Portals[0].URL != p.URL {
		t.Fatalf("me: %+v", me)
	}
	var got user
	op.get("/v1/customers/"+cu.ID+"/users/"+u.ID, 200).json(t, &got)
	if got.Status != "enabled" || got.Invitation.State != "accepted" {
		t.Fatalf("%+v", got)
	}
	// A token works once.
	gone(t, "/v1/invitations/accept", map[string]any{"token": token, "password": password})
	gone(t, "/v1/invitations/inspect", map[string]any{"token": token})
}

func TestMadeUpAndMalformedTokensGetTheSameAnswer(t *testing.T) {
	for _, tok := range []string{madeUpToken(), "short", strings.Repeat("!", 43), ""} {
		gone(t, "/v1/invitations/inspect", map[string]any{"token": tok})
		gone(t, "/v1/invitations/accept", map[string]any{"token": tok, "password": password})
	}
	c := anonymous(t)
	p := c.expect(c.call("POST", "/v1/invitations/accept", map[string]any{"password": password}), 400).problem(t)
	if p.Errors[0].Field != "token" {
		t.Fatal(p)
	}
}

func TestAnExpiredTokenIsRefusedAndTheSweepMarksTheInvitation(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	addr, u, token := invitee(t, op, cu.ID, "late")
	clockOffset.Add(int64(169 * time.Hour)) // past INVITATION_TTL
	gone(t, "/v1/invitations/inspect", map[string]any{"token": token})
	gone(t, "/v1/invitations/accept", map[string]any{"token": token, "password": password})

	rep, err := st.Sweep(t.Context(), time.Minute)
	if err != nil || rep.Expired < 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	var got user
	op.get("/v1/customers/"+cu.ID+"/users/"+u.ID, 200).json(t, &got)
	if got.Status != "unconfirmed" || got.Invitation.State != "expired" {
		t.Fatalf("%+v", got.Invitation)
	}
	if n := len(op.listUsers(cu.ID, "?status=unconfirmed").Items); n != 1 {
		t.Fatalf("the expired user left the unconfirmed list: %d", n)
	}
	// Re-inviting recovers it: a fresh link, a fresh expiry.
	op.post("/v1/customers/"+cu.ID+"/users/"+u.ID+"/reinvite", nil, 200).json(t, &got)
	if got.Invitation.State != "pending" || !got.Invitation.ExpiresAt.After(now().Add(167*time.Hour)) || got.Invitation.SendCount != 2 {
		t.Fatalf("%+v", got.Invitation)
	}
	if a := accept(t, addr); a.Status != "enabled" {
		t.Fatal(a)
	}
}

func TestReinviteRotatesTheTokenAndHonoursTheCooldown(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	addr, u, first := invitee(t, op, cu.ID, "again")
	path := "/v1/customers/" + cu.ID + "/users/" + u.ID + "/reinvite"
	res := op.expect(op.call("POST", path, nil), 429)
	if res.problem(t).Code != "reinvite_too_soon" || res.Header.Get("Retry-After") == "" {
		t.Fatalf("%s %v", res.Body, res.Header)
	}
	clockOffset.Add(int64(3 * time.Second)) // past REINVITE_COOLDOWN (2s in these tests)
	var got user
	op.post(path, nil, 200).json(t, &got)
	if got.Invitation.SendCount != 2 || got.Version != u.Version+1 {
		t.Fatalf("%+v", got)
	}
	second := latestToken(t, addr)
	if second == first || len(emailsTo(t, addr)) != 2 {
		t.Fatal("no new link was sent")
	}
	gone(t, "/v1/invitations/inspect", map[string]any{"token": first})
	inspect(t, second)
	// Only unconfirmed users can be re-invited.
	accept(t, addr)
	clockOffset.Add(int64(3 * time.Second))
	if p := op.expect(op.call("POST", path, nil), 409).problem(t); p.Code != "invalid_state" {
		t.Fatal(p)
	}
}

func TestDeletingAnUnconfirmedUserRevokesTheInvitation(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	addr, u, token := invitee(t, op, cu.ID, "revoked")
	op.expect(op.call("DELETE", "/v1/customers/"+cu.ID+"/users/"+u.ID, nil), 204)
	gone(t, "/v1/invitations/accept", map[string]any{"token": token, "password": password})
	if _, found := identity(t, addr); found {
		t.Fatal("an identity was made for a revoked invitation")
	}
}

func TestAnExistingAccountIsLinkedWithoutTouchingItsPassword(t *testing.T) {
	op := operatorAdmin(t)
	a, b := op.newCustomer("en"), op.newCustomer("en")
	ua, _ := portalUser(t, op, a.ID, false)
	op.invite(b.ID, map[string]any{"email": ua.Email})
	token := latestToken(t, ua.Email)
	if in := inspect(t, token); !in.ExistingAccount {
		t.Fatalf("%+v", in)
	}
	var got accepted
	anonymous(t).post("/v1/invitations/accept", map[string]any{"token": token, "password": "another password entirely"}, 200).json(t, &got)
	if got.SignIn != "existing_account" {
		t.Fatalf("%+v", got)
	}
	signIn(t, ua.Email, password) // the old password still works
}

func TestAWeakPasswordIsRefusedAndTheTokenStaysGood(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	addr, _, token := invitee(t, op, cu.ID, "weak")
	c := anonymous(t)
	for _, pw := range []string{"short", strings.Repeat("x", 257)} {
		p := c.expect(c.call("POST", "/v1/invitations/accept", map[string]any{"token": token, "password": pw}), 400).problem(t)
		if len(p.Errors) != 1 || p.Errors[0].Field != "password" {
			t.Fatalf("%+v", p)
		}
	}
	p := c.expect(c.call("POST", "/v1/invitations/accept", map[string]any{"token": token}), 400).problem(t)
	if p.Errors[0].Field != "password" {
		t.Fatalf("a new account needs a password: %+v", p)
	}
	if _, found := identity(t, addr); found {
		t.Fatal("a refused password left an identity")
	}
	if a := accept(t, addr); a.SignIn != "password_set" {
		t.Fatal(a)
	}
}

func TestConcurrentAcceptsOfOneTokenHaveOneWinner(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	for round := range 3 {
		addr, _, token := invitee(t, op, cu.ID, "race")
		const n = 8
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := anonymous(t).call("POST", "/v1/invitations/accept", map[string]any{"token": token, "password": password + string(rune('a'+i))})
				statuses[i] = res.Status
			}()
		}
		wg.Wait()
		winner := -1
		for i, s := range statuses {
			switch s {
			case 200:
				if winner >= 0 {
					t.Fatalf("round %d: two accepts won: %v", round, statuses)
				}
				winner = i
			case 410:
			default:
				t.Fatalf("round %d: %v", round, statuses)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no accept won: %v", round, statuses)
		}
		// The winner's password is the one that signs in.
		signIn(t, addr, password+string(rune('a'+winner)))
	}
}

func TestTheReminderGoesOutOnceWithAFreshLink(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("nl")
	addr, u, first := invitee(t, op, cu.ID, "remind")
	// Not yet: the reminder is due 48h before expiry.
	rep, _ := st.Sweep(t.Context(), time.Minute)
	if n := len(emailsTo(t, addr)); n != 1 {
		t.Fatalf("%d e-mails before the reminder is due (%+v)", n, rep)
	}
	clockOffset.Add(int64(121 * time.Hour)) // 47h before expiry
	if _, err := st.Sweep(t.Context(), time.Minute); err != nil {
		t.Fatal(err)
	}
	mails := emailsTo(t, addr)
	if len(mails) != 2 || !strings.HasPrefix(mails[1].Subject, "Herinnering") {
		t.Fatalf("%d e-mails; last subject %q", len(mails), mails[len(mails)-1].Subject)
	}
	second := tokenOf(t, mails[1])
	gone(t, "/v1/invitations/inspect", map[string]any{"token": first})
	in := inspect(t, second)
	if !in.ExpiresAt.Equal(u.Invitation.ExpiresAt) {
		t.Fatalf("the reminder moved the expiry: %v → %v", u.Invitation.ExpiresAt, in.ExpiresAt)
	}
	// Once only.
	st.Sweep(t.Context(), time.Minute)
	clockOffset.Add(int64(time.Hour))
	st.Sweep(t.Context(), time.Minute)
	if n := len(emailsTo(t, addr)); n != 2 {
		t.Fatalf("%d e-mails: the reminder went out more than once", n)
	}
	var got struct {
		Invitation struct {
			ReminderSentAt *time.Time `json:"reminderSentAt"`
		} `json:"invitation"`
	}
	op.get("/v1/customers/"+cu.ID+"/users/"+u.ID, 200).json(t, &got)
	if got.Invitation.ReminderSentAt == nil {
		t.Fatal("reminderSentAt is not shown")
	}
	accept(t, addr)
}

func TestAnOperatorInvitationNamesNoCustomer(t *testing.T) {
	op := operatorAdmin(t)
	addr := uniqueEmail("staff")
	op.post("/v1/operators", map[string]any{"email": addr, "role": "technician"}, 201)
	in := inspect(t, latestToken(t, addr))
	if in.CustomerName != nil || in.Email != addr {
		t.Fatalf("%+v", in)
	}
	if mails := emailsTo(t, addr); !strings.Contains(mails[0].Subject, "admin console") {
		t.Fatalf("subject %q", mails[0].Subject)
	}
}

// An accept that died after it made the identity and before the table linked
// it (a crash: no clean-up ran) left its pending-identity marker, written
// before Cognito was touched. The sweep finds it once the accept can no
// longer be running, and deletes the identity that no membership holds;
// the invitation still works, and an identity that a membership holds is
// never touched.
func TestTheSweepDeletesTheIdentityOfAnAcceptThatDied(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	ctx := context.Background()
	addr := uniqueEmail("died")
	op.invite(cu.ID, map[string]any{"email": addr})
	// What the accept did before it died: the marker, then the identity.
	if err := st.Store.PendingIdentity(ctx, addr, "claim_died", now().Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Identity.Create(ctx, addr, password); err != nil {
		t.Fatal(err)
	}
	// A member of another customer whose accept died after the link: kept.
	kept, _ := portalUser(t, op, op.newCustomer("en").ID, false)
	if err := st.Store.PendingIdentity(ctx, kept.Email, "claim_kept", now().Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Not yet: the accept might still be running.
	if _, err := st.Sweep(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, found := identity(t, addr); !found {
		t.Fatal("the sweep deleted an identity while its accept could still be running")
	}
	clockOffset.Add(int64(4 * time.Minute))
	if _, err := st.Sweep(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, found := identity(t, addr); found {
		t.Fatal("the identity of the accept that died is still there")
	}
	if enabled, found := identity(t, kept.Email); !found || !enabled {
		t.Fatal("the sweep touched an identity that a membership holds")
	}
	for _, e := range []string{addr, kept.Email} {
		if ms, err := st.Store.PendingIdentities(ctx, e); err != nil || len(ms) != 0 {
			t.Fatalf("markers of %s left: %v %v", e, ms, err)
		}
	}
	// The invitation is good: accepting it now makes a fresh identity.
	if a := accept(t, addr); a.SignIn != "password_set" {
		t.Fatalf("%+v", a)
	}
	signIn(t, addr, password)
}
