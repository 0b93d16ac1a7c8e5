package dynamotest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// No item of the table holds an invitation's token; its hash is what is
// kept (and found).
func TestOnlyTheHashOfATokenIsStored(t *testing.T) {
	s := newTable(t)
	now := time.Now().UTC()
	c := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: "Acme", Locale: "en", CreatedAt: now, UpdatedAt: now}
	ev := func() domain.AuditEvent {
		return domain.AuditEvent{ID: domain.NewID(domain.PrefixEvent), At: now, Actor: domain.SystemActor, Action: "test", CustomerID: c.ID}
	}
	if err := s.CreateCustomer(t.Context(), c, ev(), state.Extras{}); err != nil {
		t.Fatal(err)
	}
	token, hash := domain.NewToken()
	m := domain.Member{ID: domain.NewID(domain.PrefixUser), CustomerID: c.ID, Email: "hash@acme.example", Name: "hash",
		Status: domain.StatusUnconfirmed, Version: 1, CreatedAt: now, UpdatedAt: now,
		Invitation: &domain.Invitation{State: domain.InvitationPending, TokenHash: hash, ExpiresAt: now.Add(time.Hour), Delivery: domain.DeliveryPending}}
	if err := s.CreateMember(t.Context(), state.NewMember{Member: m, Event: ev()}); err != nil {
		t.Fatal(err)
	}
	table := s.Table()
	found := 0
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			var m map[string]any
			if err := attributevalue.UnmarshalMap(item, &m); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(m)
			dump := string(b)
			if strings.Contains(dump, token) {
				t.Fatalf("the token is stored in %v", m["pk"])
			}
			if strings.Contains(dump, hash) {
				found++
			}
		}
	}
	if found < 2 { // the member's invitation, and the token's own record
		t.Fatalf("the token's hash is stored in %d items, want 2", found)
	}
}
