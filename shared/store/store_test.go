package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/store"
)

func newCustomer(t *testing.T, s *store.Store) domain.Customer {
	t.Helper()
	now := time.Now().UTC()
	c := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: "Acme " + t.Name(), Locale: "en", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateCustomer(ctx(t), c, event(c.ID), nil); err != nil {
		t.Fatal(err)
	}
	return c
}

func event(customerID string) domain.AuditEvent {
	return domain.AuditEvent{ID: domain.NewID(domain.PrefixEvent), At: time.Now().UTC(), Actor: domain.SystemActor,
		Action: "test", Target: domain.Target{Kind: "user", ID: "x"}, CustomerID: customerID}
}

func invited(customerID, email string) (domain.Member, string) {
	now := time.Now().UTC()
	token, hash := domain.NewToken()
	return domain.Member{
		ID: domain.NewID(domain.PrefixUser), CustomerID: customerID, Email: email, Name: domain.LocalPart(email),
		Status: domain.StatusUnconfirmed, Version: 1, CreatedAt: now, UpdatedAt: now,
		Invitation: &domain.Invitation{State: domain.InvitationPending, TokenHash: hash, ExpiresAt: now.Add(time.Hour), Delivery: domain.DeliveryPending},
	}, token
}

func enabled(customerID, email string, admin bool) domain.Member {
	m, _ := invited(customerID, email)
	m.Status, m.Admin, m.Sub, m.Invitation = domain.StatusEnabled, admin, "sub-"+domain.NewID("s"), nil
	return m
}

func TestConcurrentInvitesOfOneEmailCreateOneMember(t *testing.T) {
	s := newStore()
	c := newCustomer(t, s)
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, _ := invited(c.ID, "same@acme.example")
			errs[i] = s.CreateMember(ctx(t), m, event(c.ID), nil)
		}()
	}
	wg.Wait()
	created, already := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			created++
		case errors.Is(err, apperr.ErrAlreadyMember):
			already++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if created != 1 || already != n-1 {
		t.Fatalf("created %d, already_member %d; want 1 and %d", created, already, n-1)
	}
	items, _, err := s.ListMembers(ctx(t), domain.CustomerScope(c.ID), "", "", 50, nil)
	if err != nil || len(items) != 1 {
		t.Fatalf("%d members listed (%v)", len(items), err)
	}
	audit, _, err := s.ListAudit(ctx(t), domain.CustomerScope(c.ID), 50, nil)
	if err != nil || len(audit) != 2 { // customer created + one invite
		t.Fatalf("%d audit events, want 2 (%v)", len(audit), err)
	}
}

func TestTheAuditEventSharesTheTransactionsFate(t *testing.T) {
	s := newStore()
	c := newCustomer(t, s)
	m, _ := invited(c.ID, "jane@acme.example")
	if err := s.CreateMember(ctx(t), m, event(c.ID), nil); err != nil {
		t.Fatal(err)
	}
	dup, _ := invited(c.ID, "jane@acme.example")
	if err := s.CreateMember(ctx(t), dup, event(c.ID), nil); !errors.Is(err, apperr.ErrAlreadyMember) {
		t.Fatalf("got %v", err)
	}
	// A member of a customer that does not exist is refused, and leaves nothing.
	ghost, _ := invited(domain.NewID(domain.PrefixCustomer), "x@acme.example")
	if err := s.CreateMember(ctx(t), ghost, event(ghost.CustomerID), nil); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("got %v", err)
	}
	audit, _, _ := s.ListAudit(ctx(t), domain.CustomerScope(c.ID), 50, nil)
	if len(audit) != 2 {
		t.Fatalf("%d audit events, want 2", len(audit))
	}
	if a, _, _ := s.ListAudit(ctx(t), domain.CustomerScope(ghost.CustomerID), 50, nil); len(a) != 0 {
		t.Fatal("a failed transaction left an audit event")
	}
}

func TestOnlyTheHashOfATokenIsStored(t *testing.T) {
	s := newStore()
	c := newCustomer(t, s)
	m, token := invited(c.ID, "hash@acme.example")
	if err := s.CreateMember(ctx(t), m, event(c.ID), nil); err != nil {
		t.Fatal(err)
	}
	found := false
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
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
				t.Fatalf("the token is stored in %v", item["pk"])
			}
			if strings.Contains(dump, domain.HashToken(token)) {
				found = true
			}
		}
	}
	if !found {
		t.Fatal("the token's hash is not stored")
	}
}

func TestListingPagesByCategoryAndSearch(t *testing.T) {
	s := newStore()
	c := newCustomer(t, s)
	sc := domain.CustomerScope(c.ID)
	for i := range 7 {
		m, _ := invited(c.ID, fmt.Sprintf("user%d@acme.example", i))
		if err := s.CreateMember(ctx(t), m, event(c.ID), nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range []string{"anna@acme.example", "bob@acme.example"} {
		if err := s.CreateMember(ctx(t), enabled(c.ID, e, false), event(c.ID), nil); err != nil {
			t.Fatal(err)
		}
	}
	var all []string
	var start store.Key
	pages := 0
	for {
		items, next, err := s.ListMembers(ctx(t), sc, domain.StatusUnconfirmed, "", 3, start)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, m := range items {
			all = append(all, m.Email)
		}
		if next == nil {
			break
		}
		start = next
	}
	if pages != 3 || len(all) != 7 || all[0] != "user0@acme.example" || all[6] != "user6@acme.example" {
		t.Fatalf("%d pages: %v", pages, all)
	}
	// A page that ends exactly at the last item has no next page.
	items, next, _ := s.ListMembers(ctx(t), sc, domain.StatusEnabled, "", 2, nil)
	if len(items) != 2 || next != nil {
		t.Fatalf("%d items, next %v", len(items), next)
	}
	items, _, _ = s.ListMembers(ctx(t), sc, "", "b", 50, nil)
	if len(items) != 1 || items[0].Email != "bob@acme.example" {
		t.Fatalf("search: %v", items)
	}
	items, _, _ = s.ListMembers(ctx(t), sc, "", "", 50, nil)
	if len(items) != 9 || items[0].Email != "anna@acme.example" {
		t.Fatalf("all: %d", len(items))
	}
}

func TestACallerSeesAChangeAtOnce(t *testing.T) {
	s := newStore()
	c := newCustomer(t, s)
	m := enabled(c.ID, "eve@acme.example", false)
	if err := s.CreateMember(ctx(t), m, event(c.ID), nil); err != nil {
		t.Fatal(err)
	}
	ms, err := s.Memberships(ctx(t), m.Sub)
	if err != nil || len(ms) != 1 || ms[0].Status != domain.StatusEnabled {
		t.Fatalf("%v %v", ms, err)
	}
	after := m
	after.Status, after.Version = domain.StatusDisabled, 2
	if err := s.ChangeMember(ctx(t), store.MemberChange{Before: m, After: &after, Event: event(c.ID), Now: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	ms, _ = s.Memberships(ctx(t), m.Sub)
	if len(ms) != 1 || ms[0].Status != domain.StatusDisabled {
		t.Fatalf("the next read does not see the change: %v", ms)
	}
	// A stale version is refused.
	stale := m
	stale.Name, stale.Version = "Stale", 2
	if err := s.ChangeMember(ctx(t), store.MemberChange{Before: m, After: &stale, Event: event(c.ID), Now: time.Now()}, nil); !errors.Is(err, store.ErrVersion) {
		t.Fatalf("got %v", err)
	}
}

func TestTwoAdminsDemotingEachOtherCannotBothSucceed(t *testing.T) {
	s := newStore()
	for round := range 10 {
		c := newCustomer(t, s)
		a := enabled(c.ID, fmt.Sprintf("a%d@acme.example", round), true)
		b := enabled(c.ID, fmt.Sprintf("b%d@acme.example", round), true)
		for _, m := range []domain.Member{a, b} {
			if err := s.CreateMember(ctx(t), m, event(c.ID), nil); err != nil {
				t.Fatal(err)
			}
		}
		demote := func(target domain.Member, actor string) error {
			after := target
			after.Admin, after.Version = false, target.Version+1
			return s.ChangeMember(ctx(t), store.MemberChange{Before: target, After: &after, Event: event(c.ID),
				GuardLastAdmin: true, ActorSub: actor, Now: time.Now()}, nil)
		}
		var wg sync.WaitGroup
		var e1, e2 error
		wg.Add(2)
		go func() { defer wg.Done(); e1 = demote(b, a.Sub) }()
		go func() { defer wg.Done(); e2 = demote(a, b.Sub) }()
		wg.Wait()
		ok := 0
		for _, err := range []error{e1, e2} {
			if err == nil {
				ok++
			} else if !errors.Is(err, apperr.ErrLastAdmin) && !errors.Is(err, apperr.ErrForbidden) && !errors.Is(err, store.ErrConflict) {
				t.Fatalf("unexpected: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d demotions succeeded (%v, %v); exactly one must", round, ok, e1, e2)
		}
		got, _ := s.Customer(ctx(t), c.ID)
		if got.EnabledAdmins != 1 {
			t.Fatalf("round %d: %d enabled admins counted", round, got.EnabledAdmins)
		}
	}
}

func TestCustomerWithPortals(t *testing.T) {
	s := newStore()
	c := newCustomer(t, s)
	for i := range 3 {
		p := domain.Portal{ID: domain.NewID(domain.PrefixPortal), CustomerID: c.ID, Name: fmt.Sprint("P", i), URL: "https://p.example", CreatedAt: time.Now()}
		if err := s.CreatePortal(ctx(t), p, event(c.ID), nil); err != nil {
			t.Fatal(err)
		}
	}
	// Members share the partition and must not be read as portals.
	if err := s.CreateMember(ctx(t), enabled(c.ID, "z@acme.example", false), event(c.ID), nil); err != nil {
		t.Fatal(err)
	}
	got, portals, err := s.CustomerWithPortals(ctx(t), c.ID)
	if err != nil || got.ID != c.ID || len(portals) != 3 {
		t.Fatalf("%v %d %v", got, len(portals), err)
	}
	p := domain.Portal{ID: domain.NewID(domain.PrefixPortal), CustomerID: domain.NewID(domain.PrefixCustomer), Name: "x", URL: "https://x.example"}
	if err := s.CreatePortal(ctx(t), p, event(p.CustomerID), nil); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("a portal of no customer: %v", err)
	}
}
