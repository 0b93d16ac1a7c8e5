package dynamotest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/portalaccess/portalaccess/infra/local/testkit"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/store"
)

// seedNow is the business time of the cost tests: whole hours, a year
// ahead, so that nothing they write is garbage to a TTL.
var seedNow = time.Now().UTC().Add(365 * 24 * time.Hour).Truncate(time.Hour)

// batching is DynamoDB Local for seeding: it writes the new items of each
// transaction the store sends in batches of 25, without their conditions.
// DynamoDB Local commits about a hundred transactions a second on a small
// machine, so that 10,000 members would take minutes; in batches they take
// a fraction of that, and the items are still the store's own, made by its
// own CreateMember. Seeds are new and unique: conditions are not needed.
type batching struct {
	*dynamodb.Client
	table string
	// legacy writes the items as the store wrote them before it kept the
	// counts by category: members without "counted".
	legacy bool
	mu     sync.Mutex
	buf    []types.WriteRequest
}

func (b *batching) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	var puts []types.WriteRequest
	for _, it := range in.TransactItems {
		switch {
		case it.Put != nil:
			if b.legacy {
				delete(it.Put.Item, "counted")
			}
			puts = append(puts, types.WriteRequest{PutRequest: &types.PutRequest{Item: it.Put.Item}})
		case it.ConditionCheck != nil:
			// The customer exists: the seeder made it first.
		case it.Update != nil && it.Update.Key["sk"] != nil && it.Update.Key["sk"].(*types.AttributeValueMemberS).Value == "C":
			// The customer's counts: seed adds them up once at the end.
		default:
			return nil, errors.New("seeding writes new items only (no admins: they update a count)")
		}
	}
	b.mu.Lock()
	b.buf = append(b.buf, puts...)
	var full []types.WriteRequest
	if len(b.buf) >= 25 {
		full = append(full, b.buf[:25]...)
		b.buf = append([]types.WriteRequest(nil), b.buf[25:]...)
	}
	b.mu.Unlock()
	return &dynamodb.TransactWriteItemsOutput{}, b.write(ctx, full)
}

func (b *batching) write(ctx context.Context, reqs []types.WriteRequest) error {
	for len(reqs) > 0 {
		out, err := b.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{b.table: reqs}})
		if err != nil {
			return err
		}
		reqs = out.UnprocessedItems[b.table]
	}
	return nil
}

func (b *batching) flush(ctx context.Context) error {
	b.mu.Lock()
	rest := b.buf
	b.buf = nil
	b.mu.Unlock()
	for len(rest) > 0 {
		n := min(25, len(rest))
		if err := b.write(ctx, rest[:n]); err != nil {
			return err
		}
		rest = rest[n:]
	}
	return nil
}

// seed writes the members into the store's table with the store's own
// CreateMember, 16 at once, through the batching client.
func seed(t testing.TB, s *store.Store, ms []domain.Member) {
	t.Helper()
	seedAs(t, s, ms, false)
}

// seedAs is seed, or with legacy, the members written as they were before
// the counts were kept: uncounted, and the customers' counts untouched.
func seedAs(t testing.TB, s *store.Store, ms []domain.Member, legacy bool) {
	t.Helper()
	ctx := context.Background()
	b := &batching{Client: db, table: s.Table(), legacy: legacy}
	bs := store.New(b, s.Table())
	var g errgroup.Group
	g.SetLimit(16)
	for _, m := range ms {
		g.Go(func() error {
			ev := domain.NewEvent(m.CreatedAt, domain.SystemActor, domain.Action(m.Kind(), domain.ActionInvited), domain.TargetOf(&m), m.Scope())
			return bs.CreateMember(ctx, state.NewMember{Member: m, Event: ev})
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := b.flush(ctx); err != nil {
		t.Fatal(err)
	}
	if legacy {
		return
	}
	// The counts by category that each CreateMember adds to, once per
	// customer (users only: no admins, whose count would be a fake).
	counts := map[string]domain.MemberCounts{}
	for _, m := range ms {
		if m.CountsAsAdmin() {
			t.Fatal("seeding writes no admins: they update a count")
		}
		c := counts[m.CustomerID]
		c.Add(m.Status, 1)
		counts[m.CustomerID] = c
	}
	for id, c := range counts {
		if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(s.Table()), Key: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: "C#" + id}, "sk": &types.AttributeValueMemberS{Value: "C"}},
			UpdateExpression: aws.String("ADD enabledCount :e, disabledCount :d, unconfirmedCount :u"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":e": &types.AttributeValueMemberN{Value: fmt.Sprint(c.Enabled)},
				":d": &types.AttributeValueMemberN{Value: fmt.Sprint(c.Disabled)},
				":u": &types.AttributeValueMemberN{Value: fmt.Sprint(c.Unconfirmed)}},
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// customer creates a customer through the store.
func customer(t testing.TB, s *store.Store, name string) string {
	t.Helper()
	c := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: name, Locale: "en", CreatedAt: seedNow, UpdatedAt: seedNow}
	ev := domain.NewEvent(seedNow, domain.SystemActor, domain.ActionCustomerCreated, domain.Target{Kind: "customer", ID: c.ID}, domain.CustomerScope(c.ID))
	if err := s.CreateCustomer(context.Background(), c, ev, state.Extras{}); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// users are n members of the customers (by turns), in every status by
// turns: enabled, disabled, and unconfirmed with an invitation (sent) that
// expires at exp. Their e-mails are prefix + six digits (prefixes of one
// length make items of one size).
func users(customers []string, n int, exp time.Time, prefix string) []domain.Member {
	statuses := []domain.Status{domain.StatusEnabled, domain.StatusDisabled, domain.StatusUnconfirmed}
	var out []domain.Member
	for i := range n {
		out = append(out, user(customers[i%len(customers)], fmt.Sprintf("%s%06d@acme.example", prefix, i), statuses[i%3], exp))
	}
	return out
}

// invitees are n unconfirmed members of the customer whose invitations
// expire at exp.
func invitees(customerID string, n int, exp time.Time, prefix string) []domain.Member {
	var out []domain.Member
	for i := range n {
		out = append(out, user(customerID, fmt.Sprintf("%s%06d@acme.example", prefix, i), domain.StatusUnconfirmed, exp))
	}
	return out
}

func user(customerID, email string, st domain.Status, exp time.Time) domain.Member {
	m := domain.Member{ID: domain.NewID(domain.PrefixUser), CustomerID: customerID, Email: email, Name: domain.LocalPart(email),
		Status: st, Version: 1, CreatedAt: seedNow, UpdatedAt: seedNow}
	if st == domain.StatusUnconfirmed {
		_, hash := domain.NewToken()
		m.Invitation = &domain.Invitation{State: domain.InvitationPending, TokenHash: hash, ExpiresAt: exp, Delivery: domain.DeliverySent}
	}
	return m
}

// The large table: 10,000 users of 20 customers in every status, a third
// of them invited (their invitations expire 72 hours after seedNow, so none
// is due). The cost tests share it: seeding takes most of their time.
var large struct {
	once      sync.Once
	s         *store.Store
	customers []string
	took      time.Duration
}

const largeUsers = 10_000

func largeTable(t *testing.T) *store.Store {
	t.Helper()
	large.once.Do(func() {
		start := time.Now()
		s := newTable(t)
		var cs []string
		for i := range 20 {
			cs = append(cs, customer(t, s, fmt.Sprint("Large ", i)))
		}
		seed(t, s, users(cs, largeUsers, seedNow.Add(72*time.Hour), "big"))
		large.s, large.customers, large.took = s, cs, time.Since(start)
		t.Logf("seeded %d users of 20 customers in %v", largeUsers, large.took.Round(time.Millisecond))
	})
	if large.s == nil {
		t.Fatal("the large table was not seeded")
	}
	return large.s
}

// The huge table (PA_COUNTS_100K=1 only, not in make test): one customer
// of 100,000 members in every status by turns, every one holding one role
// (hugeRole; the role tests make it in the catalogue, rename and delete
// it). It is loaded with the store's own items through BatchWriteItem
// (testkit.LoadMembers), its counts set on the customer's item, since
// 100,000 CreateMembers would take DynamoDB Local most of an hour. The
// counts and the role tests share it.
const (
	hugeEnv     = "PA_COUNTS_100K"
	hugeMembers = 100_000
)

var huge struct {
	once     sync.Once
	s        *store.Store
	customer string
	role     string
}

func hugeTable(t *testing.T) (*store.Store, string, string) {
	t.Helper()
	huge.once.Do(func() {
		start := time.Now()
		s := newTable(t)
		// Without its stream: DynamoDB Local writes a stream record with
		// every item and looks its stream up each time
		// (getStreamDescription, in a thread dump), which grew slow as the
		// emulator ran: this load fell from about 1,000 items a second in
		// a fresh one to 20 after 25 minutes. The capacity measured here
		// is the table's, not the stream's.
		if _, err := db.UpdateTable(t.Context(), &dynamodb.UpdateTableInput{TableName: aws.String(s.Table()),
			StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
			t.Fatal(err)
		}
		id := customer(t, s, "Hundred thousand")
		role := domain.NewID(domain.PrefixRole)
		ms := users([]string{id}, hugeMembers, seedNow.Add(72*time.Hour), "k")
		for i := range ms {
			ms[i].RoleIDs = []string{role}
		}
		if err := testkit.LoadMembers(t.Context(), db, s, ms, 8); err != nil {
			t.Fatal(err)
		}
		huge.s, huge.customer, huge.role = s, id, role
		t.Logf("loaded %d members of one customer, each holding one role, in %v", hugeMembers, time.Since(start).Round(time.Second))
	})
	if huge.s == nil {
		t.Fatal("the huge table was not loaded")
	}
	return huge.s, huge.customer, huge.role
}
