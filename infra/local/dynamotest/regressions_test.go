package dynamotest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/store"
)

// Behaviours of the DynamoDB store that look like bugs, each shown by the
// smallest failing case. A test skips, saying what it found, while the bug
// is there, and passes once it is fixed; the conformance suite checks none
// of them (the in-memory store does the right thing where noted).
func TestBugsFoundInTheDynamoDBStoreStayFixed(t *testing.T) {
	// One member with a pending invitation that expires at a whole second.
	fixture := func(t *testing.T) (*store.Store, domain.Member) {
		s := newTable(t)
		cid := customer(t, s, "Acme")
		m := user(cid, "jane@acme.example", domain.StatusUnconfirmed, seedNow.Add(time.Hour))
		ev := domain.NewEvent(seedNow, domain.SystemActor, "test", domain.TargetOf(&m), m.Scope())
		if err := s.CreateMember(t.Context(), state.NewMember{Member: m, Event: ev}); err != nil {
			t.Fatal(err)
		}
		return s, m
	}

	// The conditions of ClaimInvitation (expiresAt > now, claimUntil < now)
	// and of RevokeToken (claimUntil < Now) compare times as the strings
	// attributevalue makes of them, RFC 3339 with the fraction's trailing
	// zeros cut: "…:00Z" sorts after "…:00.5Z". Within a second of an
	// expiry or a claim's end, they decide the wrong way. (The in-memory
	// store compares times.)
	t.Run("ClaimAfterAWholeSecondExpiry", func(t *testing.T) {
		s, m := fixture(t)
		at := m.Invitation.ExpiresAt.Add(500 * time.Millisecond)
		if _, err := s.Invitation(t.Context(), m.Invitation.TokenHash, at); !errors.Is(err, state.ErrTokenInvalid) {
			t.Fatalf("Invitation half a second after the expiry: %v", err)
		}
		if _, err := s.ClaimInvitation(t.Context(), m.Invitation.TokenHash, "c1", at, at.Add(30*time.Second)); err == nil {
			t.Fatalf("ClaimInvitation claims a token half a second after it expired at %s "+
				"(Invitation says it is invalid): expiresAt > now compares %q with %q",
				m.Invitation.ExpiresAt.Format(time.RFC3339Nano), m.Invitation.ExpiresAt.Format(time.RFC3339Nano), at.Format(time.RFC3339Nano))
		}
	})
	t.Run("RevokeUnderALiveClaim", func(t *testing.T) {
		s, m := fixture(t)
		until := seedNow.Add(30*time.Second + 123*time.Millisecond)
		if _, err := s.ClaimInvitation(t.Context(), m.Invitation.TokenHash, "c1", seedNow, until); err != nil {
			t.Fatal(err)
		}
		now := seedNow.Add(30*time.Second + 100*time.Millisecond) // the claim holds for 23ms more
		after := m
		inv := *m.Invitation
		inv.State = domain.InvitationRevoked
		after.Invitation, after.Version = &inv, 2
		err := s.ChangeMember(t.Context(), state.MemberChange{Before: m, After: &after, RevokeToken: m.Invitation.TokenHash, Now: now,
			Event: domain.NewEvent(now, domain.SystemActor, "test", domain.TargetOf(&m), m.Scope())})
		if err == nil {
			t.Fatalf("RevokeToken revoked a token whose claim holds until %s at %s: claimUntil < Now compares %q with %q",
				until.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano), until.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
		}
		if !errors.Is(err, state.ErrClaimHeld) {
			t.Fatalf("got %v, want accept_in_progress", err)
		}
	})

	// page() cuts items[:limit] and reads items[len-1]: with limit 0 and
	// one item it indexes -1. (The HTTP layer allows 1..200, so no request
	// reaches it; the in-memory store refuses a limit below 1.)
	t.Run("ListingOfLimitZero", func(t *testing.T) {
		s, m := fixture(t)
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("ListMembers with limit 0 panics: %v", r)
			}
		}()
		_, err := s.ListMembers(t.Context(), m.Scope(), "", "", 0, nil)
		t.Logf("limit 0: %v", err)
	})

	// A record expired by IdempotencyRecord's clock still blocks the key
	// until DynamoDB's TTL deletes it (up to days later): PutIdempotency's
	// and the extras' condition is attribute_not_exists(pk). A client that
	// reuses a key after 24 hours hears idempotency_key_reused (idem.LostRace
	// finds no record) instead of its request being served. (The in-memory
	// store behaves the same: it never deletes a record.)
	t.Run("ExpiredIdempotencyKeyStillTaken", func(t *testing.T) {
		s := newTable(t)
		created := time.Now().UTC()
		if err := s.PutIdempotency(t.Context(), state.Idempotency{ID: "k", Fingerprint: "first", CreatedAt: created}); err != nil {
			t.Fatal(err)
		}
		later := created.Add(state.IdempotencyTTL + time.Hour)
		if rec, err := s.IdempotencyRecord(t.Context(), "k", later); rec != nil || err != nil {
			t.Fatalf("the record 25 hours on: %+v %v", rec, err)
		}
		c := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: "Later", Locale: "en", CreatedAt: later, UpdatedAt: later}
		ev := domain.NewEvent(later, domain.SystemActor, domain.ActionCustomerCreated, domain.Target{Kind: "customer", ID: c.ID}, domain.CustomerScope(c.ID))
		err := s.CreateCustomer(t.Context(), c, ev, state.Extras{Idempotency: &state.Idempotency{ID: "k", Fingerprint: "second", Ref: c.ID, CreatedAt: later}})
		if errors.Is(err, state.ErrIdempotencyRace) {
			t.Fatalf("a key forgotten by IdempotencyRecord (created %s, asked %s) is still taken for a new request: %v",
				created.Format(time.RFC3339), later.Format(time.RFC3339), err)
		}
		if err != nil {
			t.Fatal(err)
		}
	})

	// The listing key of a customer is lower(name) + "#" + id, and ' ' (and
	// '!', '"') sort before '#': "Acme Corp" lists before "Acme". (The
	// in-memory store keeps the same order.)
	t.Run("CustomersByNameWithASpace", func(t *testing.T) {
		s := newTable(t)
		customer(t, s, "Acme Corp")
		customer(t, s, "Acme")
		p, err := s.ListCustomers(t.Context(), 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range p.Items {
			names = append(names, c.Name)
		}
		if !slices.Equal(names, []string{"Acme", "Acme Corp"}) {
			t.Fatalf("customers are listed %s, not by name", fmt.Sprint(names))
		}
	})
}
