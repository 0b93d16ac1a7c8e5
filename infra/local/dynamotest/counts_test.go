package dynamotest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/store"
)

// legacyCustomer is a customer as the store wrote it before the counts
// were kept: no counts and no countsExact on its item.
func legacyCustomer(t *testing.T, s *store.Store, name string) string {
	t.Helper()
	id := customer(t, s, name)
	if _, err := db.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table()), Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "C#" + id}, "sk": &types.AttributeValueMemberS{Value: "C"}},
		UpdateExpression: aws.String("REMOVE enabledCount, disabledCount, unconfirmedCount, countsExact"),
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// tallyOf counts a customer's members by category through the listings.
func tallyOf(t *testing.T, s *store.Store, id string) domain.MemberCounts {
	t.Helper()
	out := domain.MemberCounts{Exact: true}
	for _, st := range []domain.Status{domain.StatusEnabled, domain.StatusDisabled, domain.StatusUnconfirmed} {
		var start state.PageKey
		for {
			p, err := s.ListMembers(t.Context(), domain.CustomerScope(id), st, "", 500, start)
			if err != nil {
				t.Fatal(err)
			}
			out.Add(st, len(p.Items))
			if p.Next == nil {
				break
			}
			start = p.Next
		}
	}
	return out
}

// Customers older than the counts are counted once by the backfill, in
// bounded steps that resume from a marker, exactly even while their
// members are invited, disabled and deleted in between and at the same
// time; a customer made since is exact from the start and passed over; a
// finished backfill stays done.
func TestTheBackfillCountsOlderCustomersExactlyOnce(t *testing.T) {
	s := newTable(t)
	ctx := t.Context()
	var old []string
	for i := range 3 {
		id := legacyCustomer(t, s, fmt.Sprint("Old ", i))
		seedAs(t, s, users([]string{id}, 90+i*7, seedNow.Add(72*time.Hour), fmt.Sprintf("o%d", i)), true)
		old = append(old, id)
	}
	fresh := customer(t, s, "New")
	seed(t, s, users([]string{fresh}, 12, seedNow.Add(72*time.Hour), "n"))

	for _, id := range old {
		if c, err := s.MemberCounts(ctx, domain.CustomerScope(id)); err != nil || c.Exact {
			t.Fatalf("an old customer's counts are %+v before the backfill (%v)", c, err)
		}
	}
	if c, _ := s.MemberCounts(ctx, domain.CustomerScope(fresh)); c != tallyOf(t, s, fresh) {
		t.Fatalf("the new customer's counts are %+v, its listings %+v", c, tallyOf(t, s, fresh))
	}

	// Changes of old members between and during the steps: each counts the
	// member it touches itself, once.
	change := func(i int) error {
		sc := domain.CustomerScope(old[i%3])
		p, err := s.ListMembers(ctx, sc, domain.StatusEnabled, "", 10, nil)
		if err != nil || len(p.Items) <= i/3 {
			return err
		}
		m := p.Items[i/3]
		after := m
		after.Version++
		ev := domain.NewEvent(seedNow, domain.SystemActor, "test", domain.TargetOf(&m), sc)
		if i%2 == 0 {
			after.Status = domain.StatusDisabled
			err = s.ChangeMember(ctx, state.MemberChange{Before: m, After: &after, Event: ev, Now: seedNow})
		} else {
			err = s.ChangeMember(ctx, state.MemberChange{Before: m, Event: ev, Now: seedNow})
		}
		if err == state.ErrStale || err == state.ErrConcurrent {
			return nil // lost to another change or to the backfill: nothing written
		}
		return err
	}
	steps := 0
	for {
		var g errgroup.Group
		var more bool
		g.Go(func() error {
			var err error
			more, err = s.BackfillCounts(ctx, 40)
			return err
		})
		for i := range 3 {
			g.Go(func() error { return change(steps*3 + i) })
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		steps++
		if !more {
			break
		}
		if steps > 100 {
			t.Fatal("the backfill does not finish")
		}
	}
	if steps < 5 {
		t.Fatalf("the backfill of ~300 members took %d steps of 40", steps)
	}
	for _, id := range append(old, fresh) {
		got, err := s.MemberCounts(ctx, domain.CustomerScope(id))
		if want := tallyOf(t, s, id); err != nil || got != want {
			t.Fatalf("customer %s: counts %+v, listings %+v (%v)", id, got, want, err)
		}
	}
	// Done: a run reads the marker and writes nothing; the counts go on
	// following changes.
	more, err := s.BackfillCounts(ctx, 40)
	if err != nil || more {
		t.Fatalf("a finished backfill: more %v, %v", more, err)
	}
	if err := change(1); err != nil {
		t.Fatal(err)
	}
	for _, id := range old {
		if got, want := mustCounts(t, s, id), tallyOf(t, s, id); got != want {
			t.Fatalf("after the backfill, customer %s: counts %+v, listings %+v", id, got, want)
		}
	}
}

func mustCounts(t *testing.T, s *store.Store, id string) domain.MemberCounts {
	t.Helper()
	c, err := s.MemberCounts(context.Background(), domain.CustomerScope(id))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Reading a scope's counts is one GetItem of its meta item: the same
// capacity with 100 members as with 10,000 in the table (and, with
// PA_COUNTS_100K=1, with 100,000 members in the one customer).
func TestReadingTheCountsCostsTheSameAt100AndManyMembers(t *testing.T) {
	var cc meter
	read := func(s *store.Store, id string) float64 {
		t.Helper()
		cc.Take()
		c, err := metered(s, &cc).MemberCounts(t.Context(), domain.CustomerScope(id))
		if err != nil || !c.Exact || c != tallyOf(t, s, id) {
			t.Fatalf("counts %+v, listings %+v (%v)", c, tallyOf(t, s, id), err)
		}
		return cc.Take()
	}
	small := newTable(t)
	sid := customer(t, small, "Hundred")
	seed(t, small, users([]string{sid}, 100, seedNow.Add(72*time.Hour), "h"))
	at100 := read(small, sid)
	if at100 <= 0 {
		t.Fatal("DynamoDB Local reported no consumed capacity")
	}
	big := largeTable(t)
	atLarge := read(big, large.customers[0])
	t.Logf("reading the counts: %.1f RCU with 100 members, %.1f with %d in the table", at100, atLarge, largeUsers)
	if atLarge != at100 {
		t.Fatalf("the counts cost %.1f RCU at 100 members and %.1f at %d", at100, atLarge, largeUsers)
	}
	if os.Getenv(hugeEnv) == "" {
		return
	}
	huge, hid, _ := hugeTable(t)
	at100k := read(huge, hid)
	t.Logf("reading the counts: %.1f RCU with 100,000 members in the customer", at100k)
	if at100k != at100 {
		t.Fatalf("the counts cost %.1f RCU at 100 members and %.1f at 100,000", at100, at100k)
	}
}

// Renaming and deleting a role write the role, its name records, the
// count and the audit event: the same capacity whether the customer has
// 100 members holding the role or 10,000 users are in the table (and, with
// PA_COUNTS_100K=1, 100,000 members of the one customer holding it),
// because members hold role ids and no member item is written.
func TestRenamingAndDeletingARoleCostTheSameAt100AndManyMembers(t *testing.T) {
	var cc meter
	holding := func(ms []domain.Member, roleID string) []domain.Member {
		for i := range ms {
			ms[i].RoleIDs = []string{roleID}
		}
		return ms
	}
	measure := func(s *store.Store, id, roleID string) (rename, del, list float64) {
		t.Helper()
		// Reads and writes alike: a transaction's capacity counts here.
		ms := store.New(db, s.Table())
		ms.Capacity = cc.Add
		ctx := t.Context()
		sc := domain.CustomerScope(id)
		r := domain.Role{ID: roleID, CustomerID: id, Name: "Purchasing", CreatedAt: seedNow, UpdatedAt: seedNow, Version: 1}
		ev := func() domain.AuditEvent {
			return domain.NewEvent(seedNow, domain.SystemActor, "test", domain.RoleTargetOf(r), sc)
		}
		if err := ms.ChangeRole(ctx, state.RoleChange{After: &r, Event: ev()}); err != nil {
			t.Fatal(err)
		}
		cc.Take()
		if _, err := ms.Roles(ctx, id); err != nil {
			t.Fatal(err)
		}
		list = cc.Take()
		after := r
		after.Name, after.Version = "Procurement", 2
		if err := ms.ChangeRole(ctx, state.RoleChange{Before: &r, After: &after, Event: ev()}); err != nil {
			t.Fatal(err)
		}
		rename = cc.Take()
		if p, err := s.ListMembers(ctx, sc, "", "", 1, nil); err != nil || len(p.Items) != 1 {
			t.Fatalf("%v %v", p, err)
		} else if rs, _ := s.Roles(ctx, id); slices.Contains(p.Items[0].RoleIDs, roleID) && slices.Compare(domain.IndexRoles(rs).Names(&p.Items[0]), []string{"Procurement"}) != 0 {
			t.Fatalf("a member holds %v after the rename", domain.IndexRoles(rs).Names(&p.Items[0]))
		}
		cc.Take()
		if err := ms.ChangeRole(ctx, state.RoleChange{Before: &after, Event: ev()}); err != nil {
			t.Fatal(err)
		}
		return rename, cc.Take(), list
	}
	small := newTable(t)
	sid := customer(t, small, "Hundred")
	srole := domain.NewID(domain.PrefixRole)
	seed(t, small, holding(users([]string{sid}, 100, seedNow.Add(72*time.Hour), "h"), srole))
	r100, d100, l100 := measure(small, sid, srole)
	if r100 <= 0 || d100 <= 0 {
		t.Fatal("DynamoDB Local reported no consumed capacity")
	}
	big := largeTable(t)
	rBig, dBig, lBig := measure(big, large.customers[0], domain.NewID(domain.PrefixRole))
	t.Logf("a role: rename %.1f WCU, delete %.1f WCU, the catalogue %.1f RCU with 100 members holding it; %.1f, %.1f and %.1f with %d in the table",
		r100, d100, l100, rBig, dBig, lBig, largeUsers)
	if rBig != r100 || dBig != d100 || lBig != l100 {
		t.Fatalf("a role's rename / delete / catalogue cost %.1f / %.1f / %.1f at 100 members and %.1f / %.1f / %.1f at %d",
			r100, d100, l100, rBig, dBig, lBig, largeUsers)
	}
	if os.Getenv(hugeEnv) == "" {
		return
	}
	huge, hid, hrole := hugeTable(t)
	rHuge, dHuge, lHuge := measure(huge, hid, hrole)
	t.Logf("a role: rename %.1f WCU, delete %.1f WCU, the catalogue %.1f RCU with 100,000 members holding it", rHuge, dHuge, lHuge)
	if rHuge != r100 || dHuge != d100 || lHuge != l100 {
		t.Fatalf("a role's rename / delete / catalogue cost %.1f / %.1f / %.1f at 100 members and %.1f / %.1f / %.1f at 100,000",
			r100, d100, l100, rHuge, dHuge, lHuge)
	}
}
