package memstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/store/memstore"
	"github.com/portalaccess/portalaccess/shared/store/storetest"
)

// The in-memory store keeps the conformance suite, as the DynamoDB store
// does (infra/local/dynamotest).
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return memstore.New() })
}

// What DynamoDB Local cannot show: a write refused by the hook, as a
// throttled table or a lost race would refuse it, leaves nothing.
func TestBeforeCommitFailsAWriteAndWritesNothing(t *testing.T) {
	s := memstore.New()
	ctx := context.Background()
	now := time.Now().UTC()
	var mu sync.Mutex
	var ops []string
	fail := map[string]error{"CreateMember": state.ErrUnavailable, "ChangeMember": state.ErrConcurrent}
	s.BeforeCommit = func(op string) error {
		mu.Lock()
		defer mu.Unlock()
		ops = append(ops, op)
		return fail[op]
	}
	reads := 0
	s.BeforeRead = func(op string) error {
		mu.Lock()
		defer mu.Unlock()
		reads++
		if op == "Customer" {
			return state.ErrUnavailable
		}
		return nil
	}
	c := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: "Acme", CreatedAt: now}
	ev := func() domain.AuditEvent {
		return domain.AuditEvent{ID: domain.NewID(domain.PrefixEvent), At: now, CustomerID: c.ID}
	}
	if err := s.CreateCustomer(ctx, c, ev(), state.Extras{}); err != nil {
		t.Fatal(err)
	}
	m := domain.Member{ID: domain.NewID(domain.PrefixUser), CustomerID: c.ID, Email: "a@acme.example", Status: domain.StatusEnabled, Sub: "sub-a", Version: 1}
	if err := s.CreateMember(ctx, state.NewMember{Member: m, Event: ev()}); !errors.Is(err, state.ErrUnavailable) {
		t.Fatalf("got %v", err)
	}
	if _, err := s.MemberByEmail(ctx, m.Scope(), m.Email); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("a failed write left its member: %v", err)
	}
	if _, err := s.Customer(ctx, c.ID); !errors.Is(err, state.ErrUnavailable) {
		t.Fatalf("a failed read: %v", err)
	}
	delete(fail, "CreateMember")
	if err := s.CreateMember(ctx, state.NewMember{Member: m, Event: ev()}); err != nil {
		t.Fatal(err)
	}
	after := m
	after.Version, after.Status = 2, domain.StatusDisabled
	if err := s.ChangeMember(ctx, state.MemberChange{Before: m, After: &after, Event: ev(), SyncIdentity: true, Now: now}); !errors.Is(err, state.ErrConcurrent) {
		t.Fatalf("got %v", err)
	}
	if ms, _ := s.Memberships(ctx, m.Sub); len(ms) != 1 || ms[0].Status != domain.StatusEnabled {
		t.Fatalf("a failed change landed: %+v", ms)
	}
	if due, _ := s.DueBy(ctx, state.DueIdentity, now.Add(time.Hour), 10, nil); len(due.Items) != 0 {
		t.Fatalf("a failed change left its marker: %+v", due.Items)
	}
	if a, _ := s.ListAudit(ctx, m.Scope(), 10, nil); len(a.Items) != 2 {
		t.Fatalf("%d audit events, want 2", len(a.Items))
	}
	want := []string{"CreateCustomer", "CreateMember", "CreateMember", "ChangeMember"}
	if len(ops) != len(want) {
		t.Fatalf("hooked writes %v, want %v", ops, want)
	}
	for i := range want {
		if ops[i] != want[i] {
			t.Fatalf("hooked writes %v, want %v", ops, want)
		}
	}
	if reads == 0 {
		t.Fatal("no read was hooked")
	}
}

// A hook may block a write until another call went through: here a change
// waits while the member is changed by someone else, and then finds it
// stale, as a race lost on DynamoDB would.
func TestBeforeCommitCanOrderARace(t *testing.T) {
	s := memstore.New()
	ctx := context.Background()
	now := time.Now().UTC()
	c := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: "Acme", CreatedAt: now}
	ev := func() domain.AuditEvent {
		return domain.AuditEvent{ID: domain.NewID(domain.PrefixEvent), At: now, CustomerID: c.ID}
	}
	if err := s.CreateCustomer(ctx, c, ev(), state.Extras{}); err != nil {
		t.Fatal(err)
	}
	m := domain.Member{ID: domain.NewID(domain.PrefixUser), CustomerID: c.ID, Email: "a@acme.example", Status: domain.StatusEnabled, Version: 1}
	if err := s.CreateMember(ctx, state.NewMember{Member: m, Event: ev()}); err != nil {
		t.Fatal(err)
	}
	first := true
	s.BeforeCommit = func(op string) error {
		if op == "ChangeMember" && first {
			first = false
			other := m
			other.Version, other.Name = 2, "Other"
			if err := s.ChangeMember(ctx, state.MemberChange{Before: m, After: &other, Event: ev(), Now: now}); err != nil {
				t.Errorf("the other change: %v", err)
			}
		}
		return nil
	}
	mine := m
	mine.Version, mine.Name = 2, "Mine"
	if err := s.ChangeMember(ctx, state.MemberChange{Before: m, After: &mine, Event: ev(), Now: now}); !errors.Is(err, state.ErrStale) {
		t.Fatalf("got %v, want stale", err)
	}
	if got, _ := s.Member(ctx, m.Scope(), m.ID); got.Name != "Other" {
		t.Fatalf("got %+v", got)
	}
}

// Where DynamoDB refuses a request as malformed, so does the in-memory
// store (an Internal error): the fast tier does not hide what would fail
// on the table.
func TestMalformedRequestsAreRefusedAsDynamoDBRefusesThem(t *testing.T) {
	s := memstore.New()
	ctx := context.Background()
	now := time.Now().UTC()
	if err := s.PendingIdentity(ctx, "a@acme.example", "", now); errs.KindOf(err) != errs.Internal || err == nil {
		t.Fatalf("an empty claim: %v", err)
	}
	if err := s.ClearPending(ctx, "a@acme.example", ""); errs.KindOf(err) != errs.Internal || err == nil {
		t.Fatalf("an empty claim: %v", err)
	}
	if _, _, err := s.Directory(ctx, []string{"cus_a", "cus_a"}, nil); err == nil {
		t.Fatal("a directory read naming one customer twice")
	}
	if _, err := s.ListMembers(ctx, domain.ProviderScope, "", "", 0, nil); err == nil {
		t.Fatal("a listing of limit 0")
	}
	if _, err := s.ListCustomers(ctx, 10, state.PageKey{"pk": "x"}); err == nil {
		t.Fatal("a page key of another listing")
	}
}
