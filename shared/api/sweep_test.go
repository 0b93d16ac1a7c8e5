package api_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/store"
)

// pending seeds n unconfirmed members whose invitations expire at exp.
func pending(t testing.TB, s *store.Store, customerID string, n int, exp time.Time, prefix string) {
	t.Helper()
	var g errgroup.Group
	g.SetLimit(8)
	for start := 0; start < n; start += 250 {
		g.Go(func() error {
			var ms []domain.Member
			for i := start; i < min(start+250, n); i++ {
				_, hash := domain.NewToken()
				ms = append(ms, domain.Member{
					ID: domain.NewID(domain.PrefixUser), CustomerID: customerID, Email: fmt.Sprintf("%s%06d@acme.example", prefix, i),
					Name: "x", Status: domain.StatusUnconfirmed, Version: 1, CreatedAt: exp, UpdatedAt: exp,
					Invitation: &domain.Invitation{State: domain.InvitationPending, TokenHash: hash, ExpiresAt: exp, Delivery: domain.DeliverySent},
				})
			}
			return s.Seed(context.Background(), ms)
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

func newCustomer(t testing.TB, s *store.Store) string {
	t.Helper()
	c := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: "Acme", Locale: "en", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	ev := domain.AuditEvent{ID: domain.NewID(domain.PrefixEvent), At: time.Now(), Actor: domain.SystemActor, Action: "customer.created", CustomerID: c.ID}
	if err := s.CreateCustomer(context.Background(), c, ev, nil); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// The sweep marks only the invitations that are due, and what it reads
// depends on how many are due, not on how many users there are.
func TestTheSweepReadsOnlyWhatIsDue(t *testing.T) {
	s := newTable(t)
	var cc store.Meter
	s.Capacity = cc.Add
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	d, _, _ := newDeps(t, s, func() time.Time { return now })
	cid := newCustomer(t, s)

	pending(t, s, cid, 10, now.Add(72*time.Hour), "later")
	pending(t, s, cid, 10, now.Add(-time.Minute), "due")
	cc.Take()
	rep, err := d.Sweep(context.Background(), time.Minute)
	if err != nil || rep.Expired != 10 || rep.Failed != 0 || rep.Skipped != 0 {
		t.Fatalf("%+v %v", rep, err)
	}
	first := cc.Take()

	pending(t, s, cid, 10_000, now.Add(72*time.Hour), "more")
	pending(t, s, cid, 10, now.Add(-time.Second), "due2-")
	cc.Take()
	rep, err = d.Sweep(context.Background(), time.Minute)
	if err != nil || rep.Expired != 10 {
		t.Fatalf("%+v %v", rep, err)
	}
	second := cc.Take()
	t.Logf("sweeping 10 due invitations read %.1f RCU among 20 users and %.1f among 10,030", first, second)
	if first != second || first == 0 {
		t.Fatalf("the sweep's reads grew with the table: %.1f then %.1f RCU", first, second)
	}
	// Only the due ones changed.
	expired, _, err := s.ListMembers(context.Background(), domain.CustomerScope(cid), domain.StatusUnconfirmed, "due", 100, nil)
	if err != nil || len(expired) != 20 {
		t.Fatalf("%d %v", len(expired), err)
	}
	for _, m := range expired {
		if m.Invitation.State != domain.InvitationExpired {
			t.Fatalf("%s: %s", m.Email, m.Invitation.State)
		}
	}
	later, _, _ := s.ListMembers(context.Background(), domain.CustomerScope(cid), domain.StatusUnconfirmed, "later", 10, nil)
	for _, m := range later {
		if m.Invitation.State != domain.InvitationPending {
			t.Fatalf("%s expired before its time", m.Email)
		}
	}
	// Nothing more is due: a third run reads almost nothing and changes nothing.
	rep, _ = d.Sweep(context.Background(), time.Minute)
	if rep.Expired != 0 {
		t.Fatalf("%+v", rep)
	}
}

// Two sweeps at once expire each invitation exactly once.
func TestTwoSweepsAtOnceExpireEachInvitationOnce(t *testing.T) {
	s := newTable(t)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	d, _, _ := newDeps(t, s, func() time.Time { return now })
	cid := newCustomer(t, s)
	pending(t, s, cid, 50, now.Add(-time.Minute), "due")
	var wg sync.WaitGroup
	reps := make([]int, 2)
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := d.Sweep(context.Background(), time.Minute)
			if err != nil {
				t.Error(err)
			}
			reps[i] = rep.Expired
		}()
	}
	wg.Wait()
	if reps[0]+reps[1] != 50 {
		t.Fatalf("expired %d + %d, want 50 in all", reps[0], reps[1])
	}
	audit, _, _ := s.ListAudit(context.Background(), domain.CustomerScope(cid), 200, nil)
	n := 0
	for _, e := range audit {
		if e.Action == "user.invitation_expired" {
			n++
		}
	}
	if n != 50 {
		t.Fatalf("%d expiry events, want 50", n)
	}
}
