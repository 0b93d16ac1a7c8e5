package dynamotest

import (
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/store"
)

// Listing a customer's users by category is one index query whose cost does
// not grow with the customer's size or the table's: the capacity DynamoDB
// reports for one page is the same with 10 users in the category as with
// 10,000 in the table.
func TestAPageOfACategoryCostsTheSameAt10And10000Users(t *testing.T) {
	const limit = 5
	var cc meter
	page := func(s *store.Store, customerID string, start state.PageKey) (float64, state.PageKey) {
		t.Helper()
		cc.Take()
		p, err := metered(s, &cc).ListMembers(t.Context(), domain.CustomerScope(customerID), domain.StatusUnconfirmed, "", limit, start)
		if err != nil || len(p.Items) != limit || p.Next == nil {
			t.Fatalf("%d items, next %v, %v", len(p.Items), p.Next, err)
		}
		for _, m := range p.Items {
			if m.Status != domain.StatusUnconfirmed || m.CustomerID != customerID {
				t.Fatalf("listed %+v", m)
			}
		}
		return cc.Take(), p.Next
	}
	small := newTable(t)
	sid := customer(t, small, "Small")
	seed(t, small, users([]string{sid}, 30, seedNow.Add(72*time.Hour), "few")) // 10 of each status
	before, _ := page(small, sid, nil)
	if before <= 0 {
		t.Fatal("DynamoDB Local reported no consumed capacity")
	}

	big := largeTable(t)
	bid := large.customers[0]
	after, next := page(big, bid, nil)
	middle, _ := page(big, bid, next)
	t.Logf("one page of %d unconfirmed users: %.1f RCU with 10 in the category, %.1f with %d users in the table (%.1f for a later page)",
		limit, before, after, largeUsers, middle)
	if after != before || middle != before {
		t.Fatalf("a page costs %.1f RCU at 10 users and %.1f / %.1f at 10,000", before, after, middle)
	}
}
