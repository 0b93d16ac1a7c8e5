package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// setup is a portal setup of the customer (not yet written).
func (w *world) setup(customerID, name string, redirects ...string) domain.Portal {
	u := "https://" + name + ".example/"
	if len(redirects) == 0 {
		redirects = []string{u}
	}
	return domain.Portal{ID: domain.NewID(domain.PrefixPortal), CustomerID: customerID, Name: name, URL: u,
		RedirectURIs: redirects, CreatedAt: w.now, UpdatedAt: w.now, Version: 1}
}

func (w *world) portalChange(ch state.PortalChange) error {
	if ch.Event.ID == "" {
		p := ch.After
		if p == nil {
			p = ch.Before
		}
		ch.Event = w.event(domain.CustomerScope(p.CustomerID))
	}
	if ch.Now.IsZero() {
		ch.Now = w.now
	}
	return w.s.ChangePortal(w.ctx(), ch)
}

func (w *world) portals(customerID string) []domain.Portal {
	w.t.Helper()
	_, ps, err := w.s.CustomerWithPortals(w.ctx(), customerID)
	noErr(w.t, err, "read the portals")
	return ps
}

func (w *world) byClient(clientID string) (domain.Portal, domain.Customer, error) {
	return w.s.PortalByClient(w.ctx(), clientID)
}

func (w *world) originAllowed(origin string) bool {
	w.t.Helper()
	ok, err := w.s.OriginAllowed(w.ctx(), origin)
	noErr(w.t, err, "read an origin")
	return ok
}

// A setup is created, changed (conditional on its version) and deleted; its
// record by app client follows the app client it names, with its
// customer's name and locale; its origins are those of its address and
// redirect URIs, shared with the customer's other setups.
func testPortalChanges(t *testing.T, w *world) {
	c := w.customer("Acme")
	c.Locale = "nl"
	p := w.setup(c.ID, "desk", "https://desk.example/callback", "http://localhost:3000/")
	noErr(t, w.portalChange(state.PortalChange{After: &p, Customer: c}), "create a setup")
	if ps := w.portals(c.ID); len(ps) != 1 || ps[0].ID != p.ID || !slices.Equal(ps[0].RedirectURIs, p.RedirectURIs) || ps[0].Version != 1 {
		t.Fatalf("the setups: %+v", ps)
	}
	wantErr(t, w.portalChange(state.PortalChange{After: &p, Customer: c}), state.ErrConcurrent, "the same setup again")
	ghost := w.setup(domain.NewID(domain.PrefixCustomer), "ghost")
	wantErr(t, w.portalChange(state.PortalChange{After: &ghost}), state.ErrNotFound, "a setup of no customer")
	for _, o := range []string{"https://desk.example", "http://localhost:3000"} {
		if !w.originAllowed(o) {
			t.Errorf("origin %s not allowed", o)
		}
	}
	if w.originAllowed("https://evil.example") {
		t.Error("an origin of no setup is allowed")
	}
	if _, _, err := w.byClient("client-1"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("a client before it is recorded: %v", err)
	}
	// Registered: found by its app client, with its customer.
	reg := p
	reg.ClientID, reg.Version = "client-1", 2
	noErr(t, w.portalChange(state.PortalChange{Before: &p, After: &reg, Customer: c}), "record the client")
	got, cu, err := w.byClient("client-1")
	if err != nil || got.ID != p.ID || cu.ID != c.ID || cu.Name != "Acme" || cu.Locale != "nl" {
		t.Fatalf("by client: %+v %+v %v", got, cu, err)
	}
	// A change against an old version is stale, and changes nothing.
	stale := p
	stale.Name = "stale"
	wantErr(t, w.portalChange(state.PortalChange{Before: &p, After: &stale, Customer: c}), state.ErrStale, "a stale change")
	// Another setup shares an origin; a change moves the first away from it.
	other := w.setup(c.ID, "other", "https://desk.example/other")
	noErr(t, w.portalChange(state.PortalChange{After: &other, Customer: c}), "a second setup")
	moved := reg
	moved.URL, moved.RedirectURIs, moved.Version = "https://new.example/", []string{"https://new.example/"}, 3
	noErr(t, w.portalChange(state.PortalChange{Before: &reg, After: &moved, Customer: c}), "move the setup")
	if !w.originAllowed("https://desk.example") || !w.originAllowed("https://new.example") || w.originAllowed("http://localhost:3000") {
		t.Fatal("the origins did not follow the change")
	}
	if got, _, _ := w.byClient("client-1"); got.URL != "https://new.example/" {
		t.Fatalf("the record by client kept the old setup: %+v", got)
	}
	// Deleted: gone, its record by client too (its tokens stop at once), its
	// origins unless another setup has them.
	noErr(t, w.portalChange(state.PortalChange{Before: &moved, Customer: c}), "delete the setup")
	if ps := w.portals(c.ID); len(ps) != 1 || ps[0].ID != other.ID {
		t.Fatalf("after the delete: %+v", ps)
	}
	if _, _, err := w.byClient("client-1"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("the deleted setup is found by its client: %v", err)
	}
	if w.originAllowed("https://new.example") || !w.originAllowed("https://desk.example") {
		t.Fatal("the origins did not follow the delete")
	}
	wantErr(t, w.portalChange(state.PortalChange{Before: &moved, Customer: c}), state.ErrStale, "delete it again")
	if n := len(w.audit(domain.CustomerScope(c.ID))); n != 6 { // the customer, and five accepted changes
		t.Fatalf("%d audit events", n)
	}
}

// An origin longer than any portal URL can have (domain.MaxOriginLength)
// is no setup's: the answer is no, not an error, and the longest origin a
// setup can have is still found. A browser sends the Origin header
// unauthenticated, so it can be anything; DynamoDB refuses a partition key
// over 2,048 bytes.
func testOriginsOfNoSetup(t *testing.T, w *world) {
	c := w.customer("Acme")
	host := strings.Repeat("a", domain.MaxURLLength-len("https://")-len(".example/")) + ".example"
	p := w.setup(c.ID, "desk")
	p.URL, p.RedirectURIs = "https://"+host+"/", nil
	if len(p.URL) != domain.MaxURLLength {
		t.Fatalf("the URL is %d bytes", len(p.URL))
	}
	noErr(t, w.portalChange(state.PortalChange{After: &p, Customer: c}), "a setup at the longest URL")
	if !w.originAllowed("https://" + host) {
		t.Error("the longest origin a setup can have is not allowed")
	}
	for _, n := range []int{domain.MaxOriginLength + 1, 2041, 2100, 8000} {
		o := "https://" + strings.Repeat("b", n-len("https://"))
		if len(o) != n {
			t.Fatalf("origin of %d bytes", len(o))
		}
		if w.originAllowed(o) {
			t.Errorf("an origin of %d bytes is allowed", n)
		}
		if w.originAllowed(o[:n-1] + "a") {
			t.Errorf("an origin of %d bytes is allowed", n)
		}
	}
	if !w.originAllowed("https://"+host) || w.originAllowed("https://evil.example") {
		t.Error("the origins changed")
	}
}

// A change that marks the app client writes the setup's marker, due after
// state.SyncGrace; a deleted setup's marker still names its client; the
// marker is cleared by its own change's event only.
func testPortalMarkers(t *testing.T, w *world) {
	c := w.customer("Acme")
	p := w.setup(c.ID, "desk")
	ev := w.event(domain.CustomerScope(c.ID))
	noErr(t, w.portalChange(state.PortalChange{After: &p, Customer: c, Event: ev, SyncClient: true}), "create with a marker")
	if d := w.due(state.DuePortal, w.now.Add(state.SyncGrace-time.Second)); len(d) != 0 {
		t.Fatalf("due too early: %+v", d)
	}
	d := w.due(state.DuePortal, w.now.Add(state.SyncGrace))
	if len(d) != 1 || d[0].PortalID != p.ID || d[0].Scope != domain.CustomerScope(c.ID) || d[0].ClientID != "" || d[0].Marker != ev.ID {
		t.Fatalf("the marker: %+v", d)
	}
	noErr(t, w.s.PortalSyncDone(w.ctx(), state.Due{Scope: domain.CustomerScope(c.ID), PortalID: p.ID, Marker: "evt_other"}), "clear another's marker")
	if len(w.due(state.DuePortal, w.now.Add(time.Hour))) != 1 {
		t.Fatal("another change's event cleared the marker")
	}
	noErr(t, w.s.PortalSyncDone(w.ctx(), d[0]), "clear the marker")
	if len(w.due(state.DuePortal, w.now.Add(time.Hour))) != 0 {
		t.Fatal("the marker stayed")
	}
	reg := p
	reg.ClientID, reg.Version = "client-9", 2
	noErr(t, w.portalChange(state.PortalChange{Before: &p, After: &reg, Customer: c}), "record the client")
	del := w.event(domain.CustomerScope(c.ID))
	noErr(t, w.portalChange(state.PortalChange{Before: &reg, Customer: c, Event: del, SyncClient: true}), "delete with a marker")
	d = w.due(state.DuePortal, w.now.Add(state.SyncGrace))
	if len(d) != 1 || d[0].ClientID != "client-9" || d[0].Marker != del.ID {
		t.Fatalf("the deleted setup's marker: %+v", d)
	}
}

// Members are linked to the setups they name, in their own changes, and
// listed by a setup, by e-mail, in pages.
func testPortalMembers(t *testing.T, w *world) {
	c, sc := w.customerScope("Acme")
	a, b := w.setup(c.ID, "a"), w.setup(c.ID, "b")
	for _, p := range []domain.Portal{a, b} {
		noErr(t, w.portalChange(state.PortalChange{After: &p, Customer: c}), "a setup")
	}
	list := func(portal string, limit int32) []string {
		t.Helper()
		var out []string
		everyPage(t, "list a setup's members", limit, func(start state.PageKey) (state.Page[domain.Member], error) {
			return w.s.PortalMembers(w.ctx(), c.ID, portal, limit, start)
		}, func(ms []domain.Member) {
			for _, m := range ms {
				out = append(out, m.Email)
			}
		})
		return out
	}
	var ms []domain.Member
	for _, e := range []string{"c@acme.example", "a@acme.example", "b@acme.example"} {
		m, _ := w.invited(sc, e)
		m.PortalIDs = []string{a.ID}
		ms = append(ms, w.create(m))
	}
	if got := list(a.ID, 2); !slices.Equal(got, []string{"a@acme.example", "b@acme.example", "c@acme.example"}) {
		t.Fatalf("members of a: %v", got)
	}
	if got := list(b.ID, 2); len(got) != 0 {
		t.Fatalf("members of b: %v", got)
	}
	// A change moves a member from a to b; a refused one moves nobody.
	m := ms[0]
	after := m
	after.PortalIDs, after.Version = []string{b.ID}, m.Version+1
	stale := m
	stale.Version = 9
	wantErr(t, w.changeErr(state.MemberChange{Before: stale, After: &after}), state.ErrStale, "a stale move")
	if got := list(b.ID, 10); len(got) != 0 {
		t.Fatalf("a refused change linked: %v", got)
	}
	w.change(state.MemberChange{Before: m, After: &after})
	if got := list(a.ID, 10); !slices.Equal(got, []string{"a@acme.example", "b@acme.example"}) {
		t.Fatalf("members of a after the move: %v", got)
	}
	if got := list(b.ID, 10); !slices.Equal(got, []string{"c@acme.example"}) {
		t.Fatalf("members of b after the move: %v", got)
	}
	// A deleted member is no longer listed.
	w.change(state.MemberChange{Before: ms[1]})
	if got := list(a.ID, 10); !slices.Equal(got, []string{"b@acme.example"}) {
		t.Fatalf("members of a after a delete: %v", got)
	}
	if got, _ := w.s.PortalMembers(w.ctx(), c.ID, a.ID, 10, nil); got.Items[0].ID != ms[2].ID || !slices.Equal(got.Items[0].PortalIDs, []string{a.ID}) {
		t.Fatalf("the listed member: %+v", got.Items)
	}
}
