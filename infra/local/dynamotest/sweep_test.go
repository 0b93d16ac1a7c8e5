package dynamotest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app"
	"github.com/portalaccess/portalaccess/shared/app/sweep"
	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/mail"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/store"
)

// fakeIdentity records what it is asked and knows no identity.
type fakeIdentity struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeIdentity) record(s string) { f.mu.Lock(); f.calls = append(f.calls, s); f.mu.Unlock() }
func (f *fakeIdentity) Lookup(ctx context.Context, email string) (identity.Identity, bool, error) {
	f.record("lookup " + email)
	return identity.Identity{}, false, nil
}
func (f *fakeIdentity) Create(ctx context.Context, email, password string) (identity.Identity, error) {
	f.record("create " + email)
	return identity.Identity{Sub: "sub-" + email, Email: email, Enabled: true}, nil
}
func (f *fakeIdentity) SetPassword(ctx context.Context, sub, password string) error {
	f.record("password " + sub)
	return nil
}
func (f *fakeIdentity) Enable(ctx context.Context, sub string) error {
	f.record("enable " + sub)
	return nil
}
func (f *fakeIdentity) Disable(ctx context.Context, sub string) error {
	f.record("disable " + sub)
	return nil
}
func (f *fakeIdentity) Delete(ctx context.Context, sub string) error {
	f.record("delete " + sub)
	return nil
}

// fakeMail keeps what was sent.
type fakeMail struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (f *fakeMail) Send(ctx context.Context, m mail.Message) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, m)
	return fmt.Sprint(len(f.sent)), nil
}

// sweeper is the sweep over the store, at the business time now.
func sweeper(s *store.Store, now time.Time) *sweep.Sweeper {
	cfg := config.Config{
		TableName: s.Table(), UserPoolID: "pool", AppClientID: "client", PortalURL: "https://portal.example",
		SenderEmail: "no-reply@example.com", CursorSecret: make([]byte, 32),
		InvitationTTL: config.DefaultInvitationTTL, InvitationReminder: config.DefaultInvitationReminder,
		ReinviteCooldown: config.DefaultReinviteCooldown, InviteRateLimit: 1_000_000, PublicRateLimit: 1_000_000,
	}
	return app.Env{Config: cfg, Store: s, Identity: &fakeIdentity{}, Mail: &fakeMail{},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }}.Sweeper()
}

// The sweep marks only the invitations that are due, and what it reads
// depends on how many are due, not on how many users there are.
func TestTheSweepReadsOnlyWhatIsDue(t *testing.T) {
	now := seedNow
	// sweepOn adds a customer with 10 invitations due and 10 not yet, and
	// sweeps; it returns the read capacity of the sweep.
	sweepOn := func(s *store.Store) (float64, string) {
		t.Helper()
		cid := customer(t, s, "Sweep")
		// The migrations (the counts' backfill) run once, on a table's
		// first sweeps: finish them, so that what is measured is the
		// sweep's own work, as on every run after them.
		for range 100 {
			rep, err := sweeper(s, now).Run(t.Context(), time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.More {
				break
			}
		}
		seed(t, s, invitees(cid, 10, now.Add(72*time.Hour), "later"))
		seed(t, s, invitees(cid, 10, now.Add(-time.Minute), "due"))
		var cc meter
		rep, err := sweeper(metered(s, &cc), now).Run(t.Context(), time.Minute)
		if err != nil || rep.Expired != 10 || rep.Failed != 0 || rep.Skipped != 0 || rep.Reminded != 0 || rep.More {
			t.Fatalf("%+v %v", rep, err)
		}
		return cc.Take(), cid
	}
	first, _ := sweepOn(newTable(t))
	big := largeTable(t)
	second, cid := sweepOn(big)
	t.Logf("sweeping 10 due invitations read %.1f RCU among 20 users and %.1f among %d", first, second, largeUsers+20)
	if first != second || first == 0 {
		t.Fatalf("the sweep's reads grew with the table: %.1f then %.1f RCU", first, second)
	}
	// Only the due ones changed.
	sc := domain.CustomerScope(cid)
	expired, err := big.ListMembers(t.Context(), sc, domain.StatusUnconfirmed, "due", 100, nil)
	if err != nil || len(expired.Items) != 10 {
		t.Fatalf("%d %v", len(expired.Items), err)
	}
	for _, m := range expired.Items {
		if m.Invitation.State != domain.InvitationExpired || m.Version != 2 {
			t.Fatalf("%s: %s (version %d)", m.Email, m.Invitation.State, m.Version)
		}
	}
	later, _ := big.ListMembers(t.Context(), sc, domain.StatusUnconfirmed, "later", 100, nil)
	for _, m := range later.Items {
		if m.Invitation.State != domain.InvitationPending {
			t.Fatalf("%s expired before its time", m.Email)
		}
	}
	if len(later.Items) != 10 {
		t.Fatalf("%d later invitations", len(later.Items))
	}
	// Nothing more is due: another run changes nothing.
	rep, err := sweeper(big, now).Run(t.Context(), time.Minute)
	if err != nil || rep.Expired != 0 || rep.Failed != 0 {
		t.Fatalf("%+v %v", rep, err)
	}
}

// Two sweeps at once expire each invitation exactly once.
func TestTwoSweepsAtOnceExpireEachInvitationOnce(t *testing.T) {
	s := newTable(t)
	now := seedNow
	cid := customer(t, s, "Twice")
	for _, m := range invitees(cid, 50, now.Add(-time.Minute), "due") {
		ev := domain.NewEvent(now, domain.SystemActor, domain.Action(m.Kind(), domain.ActionInvited), domain.TargetOf(&m), m.Scope())
		if err := s.CreateMember(t.Context(), state.NewMember{Member: m, Event: ev}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	reps := make([]sweep.Report, 2)
	for i := range reps {
		wg.Go(func() {
			rep, err := sweeper(s, now).Run(context.Background(), time.Minute)
			if err != nil {
				t.Error(err)
			}
			reps[i] = rep
		})
	}
	wg.Wait()
	if reps[0].Expired+reps[1].Expired != 50 || reps[0].Failed+reps[1].Failed != 0 {
		t.Fatalf("expired %d + %d, want 50 in all (%+v, %+v)", reps[0].Expired, reps[1].Expired, reps[0], reps[1])
	}
	n, pages := 0, 0
	var start state.PageKey
	for {
		p, err := s.ListAudit(t.Context(), domain.CustomerScope(cid), 100, start)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Items {
			if e.Action == domain.Action(domain.KindUser, domain.ActionExpired) {
				n++
			}
		}
		if pages++; p.Next == nil {
			break
		}
		start = p.Next
	}
	if n != 50 {
		t.Fatalf("%d expiry events, want 50", n)
	}
}
