package e2e

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
)

// Each race runs many times; its invariant must hold every time.
const raceRounds = 20

// at runs f and g at once; one of them, chosen at random, starts up to
// 40 ms late, so that across the rounds each side gets to go first.
func at(f func(), g func()) {
	var wg sync.WaitGroup
	delay := time.Duration(rand.IntN(40)) * time.Millisecond
	late := rand.IntN(2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		if late == 0 {
			time.Sleep(delay)
		}
		f()
	}()
	go func() {
		defer wg.Done()
		if late == 1 {
			time.Sleep(delay)
		}
		g()
	}()
	wg.Wait()
}

// Invariant: an invitation is either accepted (the user enabled, with an
// identity) or expired (the user unconfirmed, no identity), never both and
// never neither.
func TestRaceAcceptAgainstTheSweep(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	wins := map[string]int{}
	defer func() { t.Logf("%d rounds: accepted %d, expired %d", raceRounds, wins["accepted"], wins["expired"]) }()
	for round := range raceRounds {
		addr, u, token := invitee(t, op, cu.ID, "edge")
		// The sweep sees the invitation a second past its expiry, the accept
		// a moment before it: both may act, only one may win.
		late := *st.Sweeper
		exp := u.Invitation.ExpiresAt
		late.Now = func() time.Time { return exp.Add(time.Second) }
		clockOffset.Store(int64(exp.Add(-500 * time.Millisecond).Sub(time.Now())))
		var status int
		at(func() {
			status = anonymous(t).call("POST", "/v1/invitations/accept", map[string]any{"token": token, "password": password}).Status
		}, func() {
			if _, err := late.Run(context.Background(), time.Minute); err != nil {
				t.Error(err)
			}
		})
		m, _ := st.Store.Member(context.Background(), domain.CustomerScope(cu.ID), u.ID)
		_, hasIdentity := identity(t, addr)
		accepted := m.Status == domain.StatusEnabled && m.Invitation.State == domain.InvitationAccepted && hasIdentity && status == 200
		expired := m.Status == domain.StatusUnconfirmed && m.Invitation.State == domain.InvitationExpired && !hasIdentity && status == 410
		if accepted == expired {
			t.Fatalf("round %d: accept answered %d; member %s/%s; identity %v", round, status, m.Status, m.Invitation.State, hasIdentity)
		}
		if accepted {
			wins["accepted"]++
		} else {
			wins["expired"]++
		}
	}
}

// Invariant: whatever order enable and disable land in, Cognito ends in
// line with the table.
func TestRaceEnableAgainstDisable(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	u, _ := portalUser(t, op, cu.ID, false)
	path := "/v1/customers/" + cu.ID + "/users/" + u.ID
	for round := range raceRounds {
		var s1, s2 int
		at(func() { s1 = op.call("POST", path+"/enable", nil).Status },
			func() { s2 = op.call("POST", path+"/disable", nil).Status })
		if s1 != 200 || s2 != 200 {
			t.Fatalf("round %d: %d %d", round, s1, s2)
		}
		var got user
		op.get(path, 200).json(t, &got)
		enabled, _ := identity(t, u.Email)
		if enabled != (got.Status == "enabled") {
			t.Fatalf("round %d: the table says %s, Cognito enabled=%v", round, got.Status, enabled)
		}
	}
}

// Invariant: a re-invite and an accept of the old link never both take
// effect: either the user is enabled (and the re-invite was refused), or
// the old link is dead, a new one was sent, and no identity exists.
func TestRaceReinviteAgainstAccept(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	wins := map[string]int{}
	defer func() {
		t.Logf("%d rounds: accept won %d, re-invite won %d", raceRounds, wins["accept"], wins["reinvite"])
	}()
	for round := range raceRounds {
		addr, u, token := invitee(t, op, cu.ID, "rr")
		clockOffset.Add(int64(3 * time.Second)) // past the cooldown
		var accept, reinvite int
		at(func() {
			accept = anonymous(t).call("POST", "/v1/invitations/accept", map[string]any{"token": token, "password": password}).Status
		}, func() {
			reinvite = op.call("POST", "/v1/customers/"+cu.ID+"/users/"+u.ID+"/reinvite", nil).Status
		})
		var got user
		op.get("/v1/customers/"+cu.ID+"/users/"+u.ID, 200).json(t, &got)
		_, hasIdentity := identity(t, addr)
		switch {
		case accept == 200 && reinvite == 409:
			wins["accept"]++
			if got.Status != "enabled" || !hasIdentity || len(emailsTo(t, addr)) != 1 {
				t.Fatalf("round %d: accepted, but %s, identity %v", round, got.Status, hasIdentity)
			}
		case accept == 410 && reinvite == 200:
			wins["reinvite"]++
			if got.Status != "unconfirmed" || got.Invitation.State != "pending" || hasIdentity || len(emailsTo(t, addr)) != 2 {
				t.Fatalf("round %d: re-invited, but %s/%s, identity %v", round, got.Status, got.Invitation.State, hasIdentity)
			}
			inspect(t, latestToken(t, addr)) // the new link works
		default:
			t.Fatalf("round %d: accept %d, re-invite %d", round, accept, reinvite)
		}
	}
}

// Invariant: one e-mail makes one user and one e-mail sent, every round.
func TestRaceConcurrentInvitesOfOneEmail(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	for round := range raceRounds {
		addr := uniqueEmail("dup")
		var wg sync.WaitGroup
		created := make(chan int, 10)
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if op.call("POST", "/v1/customers/"+cu.ID+"/users", map[string]any{"email": addr}).Status == 201 {
					created <- 1
				}
			}()
		}
		wg.Wait()
		close(created)
		if n := len(created); n != 1 {
			t.Fatalf("round %d: %d created", round, n)
		}
		if n := len(emailsTo(t, addr)); n != 1 {
			t.Fatalf("round %d: %d e-mails", round, n)
		}
	}
}
