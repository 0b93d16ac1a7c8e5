package storetest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

func testCreateCustomer(t *testing.T, w *world) {
	c := w.customer("Acme")
	got, err := w.s.Customer(w.ctx(), c.ID)
	noErr(t, err, "read the customer")
	if got.ID != c.ID || got.Name != "Acme" || got.Locale != "en" || !got.CreatedAt.Equal(c.CreatedAt) ||
		!got.UpdatedAt.Equal(c.UpdatedAt) || got.EnabledAdmins != 0 {
		t.Fatalf("got %+v, want %+v", got, c)
	}
	_, err = w.s.Customer(w.ctx(), domain.NewID(domain.PrefixCustomer))
	wantErr(t, err, state.ErrNotFound, "an unknown customer")

	// A second customer with the id is refused, and writes no event.
	again := c
	again.Name = "Other"
	err = w.s.CreateCustomer(w.ctx(), again, w.event(domain.CustomerScope(c.ID)), state.Extras{})
	wantErr(t, err, state.ErrConcurrent, "a customer with a taken id")
	if got, _ := w.s.Customer(w.ctx(), c.ID); got.Name != "Acme" {
		t.Fatalf("the refused customer replaced the first: %+v", got)
	}
	if n := len(w.audit(domain.CustomerScope(c.ID))); n != 1 {
		t.Fatalf("%d audit events, want 1", n)
	}
	// Customers are created by operators: acting as a portal admin is not
	// checked in the provider's scope.
	other := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: "Initech", Locale: "de", CreatedAt: w.now, UpdatedAt: w.now}
	err = w.s.CreateCustomer(w.ctx(), other, w.event(domain.CustomerScope(other.ID)), state.Extras{ActingAdmin: "sub-nobody"})
	noErr(t, err, "a customer created with an acting admin")
}

func testListCustomers(t *testing.T, w *world) {
	p, err := w.s.ListCustomers(w.ctx(), 10, nil)
	noErr(t, err, "list no customers")
	if len(p.Items) != 0 || p.Next != nil {
		t.Fatalf("an empty store lists %d customers, next %v", len(p.Items), p.Next)
	}
	var all []domain.Customer
	for _, name := range []string{"beta", "Alpha", "alpha", "Gamma", "delta"} {
		all = append(all, w.customer(name))
	}
	// By lower-cased name, then id.
	sort.Slice(all, func(i, j int) bool {
		a, b := strings.ToLower(all[i].Name), strings.ToLower(all[j].Name)
		if a != b {
			return a < b
		}
		return all[i].ID < all[j].ID
	})
	var want []string
	for _, c := range all {
		want = append(want, c.ID)
	}
	for _, limit := range []int32{1, 2, 3, 4, 5, 6, 50} {
		var got []string
		pages := everyPage(t, "list customers", limit, func(start state.PageKey) (state.Page[domain.Customer], error) {
			return w.s.ListCustomers(w.ctx(), limit, start)
		}, func(items []domain.Customer) {
			for _, c := range items {
				got = append(got, c.ID)
			}
		})
		if !slices.Equal(got, want) {
			t.Fatalf("limit %d: listed %v, want %v", limit, got, want)
		}
		// The last page has no next key, also when it is full.
		if wantPages := (len(want) + int(limit) - 1) / int(limit); pages != wantPages {
			t.Fatalf("limit %d: %d pages, want %d", limit, pages, wantPages)
		}
	}
	p, _ = w.s.ListCustomers(w.ctx(), 1, nil)
	if c := p.Items[0]; c.Name != all[0].Name || c.Locale != "en" || !c.CreatedAt.Equal(w.now) {
		t.Fatalf("listed %+v", c)
	}
}

func testCreatePortal(t *testing.T, w *world) {
	c := w.customer("Acme")
	p := w.portal(c.ID, "shop")
	// A portal of no customer is refused, and leaves nothing.
	ghost := domain.NewID(domain.PrefixCustomer)
	gp := domain.Portal{ID: domain.NewID(domain.PrefixPortal), CustomerID: ghost, Name: "x", URL: "https://x.example", CreatedAt: w.now}
	err := w.createPortal(gp, w.event(domain.CustomerScope(ghost)), state.Extras{})
	wantErr(t, err, state.ErrNotFound, "a portal of no customer")
	if n := len(w.audit(domain.CustomerScope(ghost))); n != 0 {
		t.Fatalf("a refused portal wrote %d audit events", n)
	}
	_, _, err = w.s.CustomerWithPortals(w.ctx(), ghost)
	wantErr(t, err, state.ErrNotFound, "the customer of a refused portal")
	// A second portal with the id is refused.
	dup := p
	dup.Name = "other"
	err = w.createPortal(dup, w.event(domain.CustomerScope(c.ID)), state.Extras{})
	wantErr(t, err, state.ErrConcurrent, "a portal with a taken id")
	_, portals, err := w.s.CustomerWithPortals(w.ctx(), c.ID)
	noErr(t, err, "read the customer")
	if len(portals) != 1 || portals[0].Name != "shop" {
		t.Fatalf("portals %+v", portals)
	}
	if n := len(w.audit(domain.CustomerScope(c.ID))); n != 2 {
		t.Fatalf("%d audit events, want 2", n)
	}
}

func testCustomerWithPortals(t *testing.T, w *world) {
	c := w.customer("Acme")
	got, portals, err := w.s.CustomerWithPortals(w.ctx(), c.ID)
	noErr(t, err, "read a customer without portals")
	if got.ID != c.ID || got.Name != "Acme" || len(portals) != 0 {
		t.Fatalf("got %+v and %d portals", got, len(portals))
	}
	// Members and their e-mail records share the customer's partition in
	// DynamoDB: they are not portals.
	w.create(w.enabled(domain.CustomerScope(c.ID), "a@acme.example", true))
	w.create(w.enabled(domain.CustomerScope(c.ID), "z@acme.example", false))
	var want []domain.Portal
	for i := range 3 {
		want = append(want, w.portal(c.ID, fmt.Sprint("portal", i)))
	}
	// Another customer's portals are not this one's.
	w.portal(w.customer("Other").ID, "elsewhere")
	sort.Slice(want, func(i, j int) bool { return want[i].ID < want[j].ID })
	got, portals, err = w.s.CustomerWithPortals(w.ctx(), c.ID)
	noErr(t, err, "read the customer")
	if got.ID != c.ID || got.EnabledAdmins != 1 {
		t.Fatalf("got %+v", got)
	}
	if len(portals) != len(want) {
		t.Fatalf("%d portals, want %d", len(portals), len(want))
	}
	for i, p := range portals { // by id
		if p.ID != want[i].ID || p.CustomerID != c.ID || p.Name != want[i].Name || p.URL != want[i].URL || !p.CreatedAt.Equal(w.now) {
			t.Fatalf("portal %d: got %+v, want %+v", i, p, want[i])
		}
	}
	_, _, err = w.s.CustomerWithPortals(w.ctx(), domain.NewID(domain.PrefixCustomer))
	wantErr(t, err, state.ErrNotFound, "an unknown customer")
}

func testDirectory(t *testing.T, w *world) {
	c1, c2 := w.customer("One"), w.customer("Two")
	p1, p2, p3 := w.portal(c1.ID, "p1"), w.portal(c1.ID, "p2"), w.portal(c2.ID, "p3")
	ghost, ghostPortal := domain.NewID(domain.PrefixCustomer), domain.NewID(domain.PrefixPortal)
	cs, ps, err := w.s.Directory(w.ctx(), []string{c1.ID, c2.ID, ghost},
		map[string][]string{c1.ID: {p1.ID, p2.ID, ghostPortal}, c2.ID: {p3.ID}, ghost: {ghostPortal}})
	noErr(t, err, "read the directory")
	if len(cs) != 2 || cs[c1.ID].Name != "One" || cs[c2.ID].Name != "Two" || cs[c2.ID].ID != c2.ID {
		t.Fatalf("customers %+v", cs)
	}
	if len(ps) != 3 || ps[p1.ID].Name != "p1" || ps[p2.ID].CustomerID != c1.ID || ps[p3.ID].URL != p3.URL {
		t.Fatalf("portals %+v", ps)
	}
	// A portal is found under its own customer only.
	_, ps, err = w.s.Directory(w.ctx(), nil, map[string][]string{c2.ID: {p1.ID}})
	noErr(t, err, "read the directory")
	if len(ps) != 0 {
		t.Fatalf("a portal found under another customer: %+v", ps)
	}
	cs, ps, err = w.s.Directory(w.ctx(), nil, nil)
	noErr(t, err, "read nothing")
	if len(cs) != 0 || len(ps) != 0 {
		t.Fatalf("nothing asked, %d and %d found", len(cs), len(ps))
	}
	// More keys than one batch of DynamoDB's (100).
	var ids []string
	portals := map[string][]string{}
	for i := range 55 {
		c := w.customer(fmt.Sprint("Many ", i))
		ids = append(ids, c.ID)
		portals[c.ID] = []string{w.portal(c.ID, fmt.Sprint("m", i)).ID}
	}
	cs, ps, err = w.s.Directory(w.ctx(), ids, portals)
	noErr(t, err, "read 110 keys")
	if len(cs) != 55 || len(ps) != 55 {
		t.Fatalf("%d customers and %d portals of 55 each", len(cs), len(ps))
	}
}

func testListAudit(t *testing.T, w *world) {
	c, sc := w.customerScope("Acme") // its event is at w.now
	var want []domain.AuditEvent
	for i := 1; i <= 6; i++ {
		p := domain.Portal{ID: domain.NewID(domain.PrefixPortal), CustomerID: c.ID, Name: fmt.Sprint("p", i), URL: "https://p.example", CreatedAt: w.now}
		email := fmt.Sprintf("e%d@acme.example", i)
		ev := domain.AuditEvent{ID: domain.NewID(domain.PrefixEvent), At: w.now.Add(time.Duration(i) * time.Minute),
			Actor:  domain.Actor{ID: "usr_x", Email: "admin@acme.example", Kind: domain.ActorPortalUser, Name: "Admin"},
			Action: domain.ActionPortalCreated, Target: domain.Target{Kind: "portal", ID: p.ID, Email: &email}, CustomerID: c.ID}
		noErr(t, w.createPortal(p, ev, state.Extras{}), "create a portal")
		want = append(want, ev)
	}
	// The provider's trail is its own.
	op := w.enabled(domain.ProviderScope, "op@provider.example", true)
	w.create(op)

	var got []domain.AuditEvent
	pages := everyPage(t, "read the audit trail", 3, func(start state.PageKey) (state.Page[domain.AuditEvent], error) {
		return w.s.ListAudit(w.ctx(), sc, 3, start)
	}, func(items []domain.AuditEvent) { got = append(got, items...) })
	if pages != 3 || len(got) != 7 {
		t.Fatalf("%d events in %d pages, want 7 in 3", len(got), pages)
	}
	for i := range 6 { // newest first
		g, x := got[i], want[5-i]
		if g.ID != x.ID || !g.At.Equal(x.At) || g.Actor != x.Actor || g.Action != x.Action || g.CustomerID != c.ID ||
			g.Target.Kind != x.Target.Kind || g.Target.ID != x.Target.ID || g.Target.Email == nil || *g.Target.Email != *x.Target.Email {
			t.Fatalf("event %d: got %+v, want %+v", i, g, x)
		}
	}
	if !got[6].At.Equal(w.now) {
		t.Fatalf("the oldest event last: %+v", got[6])
	}
	// A full last page has no next key.
	p, err := w.s.ListAudit(w.ctx(), sc, 7, nil)
	noErr(t, err, "read the audit trail")
	if len(p.Items) != 7 || p.Next != nil {
		t.Fatalf("%d events, next %v", len(p.Items), p.Next)
	}
	prov := w.audit(domain.ProviderScope)
	if len(prov) != 1 || prov[0].CustomerID != "" {
		t.Fatalf("the provider's trail: %+v", prov)
	}
	p, err = w.s.ListAudit(w.ctx(), domain.CustomerScope(domain.NewID(domain.PrefixCustomer)), 10, nil)
	noErr(t, err, "read an empty trail")
	if len(p.Items) != 0 || p.Next != nil {
		t.Fatalf("an unknown customer's trail: %+v", p)
	}
}
