package store_test

import (
	"context"
	"fmt"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/store"
)

// seed writes n members spread over the customers, in every status.
func seed(t *testing.T, s *store.Store, customers []string, n int, prefix string) {
	t.Helper()
	statuses := []domain.Status{domain.StatusEnabled, domain.StatusDisabled, domain.StatusUnconfirmed}
	var g errgroup.Group
	g.SetLimit(8)
	const chunk = 250
	for start := 0; start < n; start += chunk {
		g.Go(func() error {
			var ms []domain.Member
			for i := start; i < min(start+chunk, n); i++ {
				m, _ := invited(customers[i%len(customers)], fmt.Sprintf("%s%06d@acme.example", prefix, i))
				m.Status = statuses[i%3]
				if m.Status != domain.StatusUnconfirmed {
					m.Invitation = nil
				}
				ms = append(ms, m)
			}
			return s.Seed(context.Background(), ms)
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

// Listing a customer's users by category is one index query whose cost does
// not grow with the customer's size or the table's: the capacity DynamoDB
// reports for one page is the same with 10 users as with 10,000 in the table.
func TestAPageOfACategoryCostsTheSameAt10And10000Users(t *testing.T) {
	var cc store.Meter
	s := newStore()
	s.Capacity = cc.Add
	small := newCustomer(t, s)
	sc := domain.CustomerScope(small.ID)
	seed(t, s, []string{small.ID}, 30, "few") // 10 of each status
	const limit = 5
	page := func(start store.Key) (float64, store.Key) {
		cc.Take()
		items, next, err := s.ListMembers(ctx(t), sc, domain.StatusUnconfirmed, "", limit, start)
		if err != nil || len(items) != limit {
			t.Fatalf("%d items, %v", len(items), err)
		}
		return cc.Take(), next
	}
	before, _ := page(nil)
	if before <= 0 {
		t.Fatal("DynamoDB Local reported no consumed capacity")
	}

	var others []string
	for range 19 {
		others = append(others, newCustomer(t, s).ID)
	}
	seed(t, s, append(others, small.ID), 10_000, "many")
	after, next := page(nil)
	middle, _ := page(next)
	t.Logf("one page of %d unconfirmed users: %.1f RCU with 10 in the category, %.1f with %d users in the table (%.1f for a later page)",
		limit, before, after, 10_030, middle)
	if after != before || middle != before {
		t.Fatalf("a page costs %.1f RCU at 10 users and %.1f / %.1f at 10,000", before, after, middle)
	}
}
