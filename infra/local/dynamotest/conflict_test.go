package dynamotest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/store"
)

// conflicting is DynamoDB Local with what it never does itself: it cancels
// the first `times` transactions with TransactionConflict, as DynamoDB does
// when another transaction holds one of the items, and lets the rest through.
type conflicting struct {
	*dynamodb.Client
	mu     sync.Mutex
	times  int
	tokens []string
}

func (c *conflicting) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.mu.Lock()
	c.tokens = append(c.tokens, aws.ToString(in.ClientRequestToken))
	conflict := len(c.tokens) <= c.times
	c.mu.Unlock()
	if conflict {
		reasons := make([]types.CancellationReason, len(in.TransactItems))
		for i := range reasons {
			reasons[i] = types.CancellationReason{Code: aws.String("None")}
		}
		reasons[len(reasons)-1] = types.CancellationReason{Code: aws.String("TransactionConflict"), Message: aws.String("Transaction is ongoing for the item")}
		return nil, &types.TransactionCanceledException{Message: aws.String("Transaction cancelled"), CancellationReasons: reasons}
	}
	return c.Client.TransactWriteItems(ctx, in, opts...)
}

func conflictCustomer() (domain.Customer, domain.AuditEvent) {
	now := time.Now().UTC()
	c := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: "Conflict", Locale: "en", CreatedAt: now, UpdatedAt: now}
	return c, domain.AuditEvent{ID: domain.NewID(domain.PrefixEvent), At: now, Actor: domain.SystemActor, Action: domain.ActionCustomerCreated,
		Target: domain.Target{Kind: "customer", ID: c.ID}, CustomerID: c.ID}
}

// A transaction cancelled by a conflict is tried again, each attempt with a
// token of its own, until the conditions decide; it then lands once.
func TestACommitRetriesTransactionConflicts(t *testing.T) {
	plain := newTable(t)
	cl := &conflicting{Client: db, times: 3}
	s := store.New(cl, plain.Table())
	c, ev := conflictCustomer()
	if err := s.CreateCustomer(t.Context(), c, ev, state.Extras{}); err != nil {
		t.Fatalf("after 3 conflicts the fourth attempt must land: %v", err)
	}
	if len(cl.tokens) != 4 {
		t.Fatalf("%d attempts, want 4", len(cl.tokens))
	}
	seen := map[string]bool{}
	for _, tok := range cl.tokens {
		if tok == "" || seen[tok] {
			t.Fatalf("the attempts must carry distinct ClientRequestTokens: %q", cl.tokens)
		}
		seen[tok] = true
	}
	got, err := plain.Customer(t.Context(), c.ID)
	if err != nil || got.Name != "Conflict" {
		t.Fatalf("the customer is not there: %+v %v", got, err)
	}
	events, err := plain.ListAudit(t.Context(), domain.CustomerScope(c.ID), 10, nil)
	if err != nil || len(events.Items) != 1 {
		t.Fatalf("%d audit events, want exactly 1: %v", len(events.Items), err)
	}
}

// Past five attempts the commit gives up with concurrent_change (409),
// and nothing was written.
func TestACommitGivesUpOnEndlessConflicts(t *testing.T) {
	plain := newTable(t)
	cl := &conflicting{Client: db, times: 1000}
	s := store.New(cl, plain.Table())
	c, ev := conflictCustomer()
	err := s.CreateCustomer(t.Context(), c, ev, state.Extras{})
	if !errors.Is(err, state.ErrConcurrent) || errs.KindOf(err) != errs.Conflict {
		t.Fatalf("got %v, want concurrent_change", err)
	}
	// Marked as retried already, so that a use case does not try it again.
	if !errors.Is(err, state.ErrContended) || state.Unpinned(0, func() error { return err }) != err {
		t.Fatalf("got %v, want it caused by ErrContended and not retried", err)
	}
	if len(cl.tokens) != 5 {
		t.Fatalf("%d attempts, want 5", len(cl.tokens))
	}
	if _, err := plain.Customer(t.Context(), c.ID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("a refused commit left the customer: %v", err)
	}
	if events, _ := plain.ListAudit(t.Context(), domain.CustomerScope(c.ID), 10, nil); len(events.Items) != 0 {
		t.Fatalf("a refused commit left %d audit events", len(events.Items))
	}
}

// A conflict does not hide a failed condition: when the conditions decide
// (here, the customer exists already), the answer is the condition's.
func TestAConflictThenAFailedConditionAnswersTheCondition(t *testing.T) {
	plain := newTable(t)
	c, ev := conflictCustomer()
	if err := plain.CreateCustomer(t.Context(), c, ev, state.Extras{}); err != nil {
		t.Fatal(err)
	}
	cl := &conflicting{Client: db, times: 1}
	ev.ID = domain.NewID(domain.PrefixEvent)
	err := store.New(cl, plain.Table()).CreateCustomer(t.Context(), c, ev, state.Extras{})
	if !errors.Is(err, state.ErrConcurrent) || len(cl.tokens) != 2 {
		t.Fatalf("got %v after %d attempts, want the condition's answer on the second", err, len(cl.tokens))
	}
	events, _ := plain.ListAudit(t.Context(), domain.CustomerScope(c.ID), 10, nil)
	if len(events.Items) != 1 {
		t.Fatalf("%d audit events, want 1", len(events.Items))
	}
}

// batchReads records whether each BatchGetItem asked for consistent reads.
type batchReads struct {
	*dynamodb.Client
	mu         sync.Mutex
	consistent []bool
}

func (b *batchReads) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	b.mu.Lock()
	for _, ka := range in.RequestItems {
		b.consistent = append(b.consistent, aws.ToBool(ka.ConsistentRead))
	}
	b.mu.Unlock()
	return b.Client.BatchGetItem(ctx, in, opts...)
}

// The directory that GET /v1/me answers from reads strongly consistently:
// a customer offboarded or a setup deleted a moment ago is not shown from
// a replica that has not heard of it yet (DynamoDB Local is always
// consistent, so the request itself is what can be checked here).
func TestTheDirectoryReadsConsistently(t *testing.T) {
	plain := newTable(t)
	c, ev := conflictCustomer()
	if err := plain.CreateCustomer(t.Context(), c, ev, state.Extras{}); err != nil {
		t.Fatal(err)
	}
	reads := &batchReads{Client: db}
	cs, _, err := store.New(reads, plain.Table()).Directory(t.Context(), []string{c.ID}, nil)
	if err != nil || cs[c.ID].Name != "Conflict" {
		t.Fatalf("%+v %v", cs, err)
	}
	if len(reads.consistent) == 0 || slices.Contains(reads.consistent, false) {
		t.Fatalf("consistent reads: %v", reads.consistent)
	}
}
