package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// The organization profile, customers' changes and their offboarding.

func (w *world) address(customerID, city string) domain.Address {
	return domain.Address{Record: domain.NewRecord(domain.PrefixAddress, customerID, w.now), Kind: domain.AddressShipping,
		Lines: []string{"Havenstraat 12"}, PostalCode: "3011 AB", City: city, Country: "NL"}
}

func (w *world) agreement(customerID, name string) domain.ServiceAgreement {
	return domain.ServiceAgreement{Record: domain.NewRecord(domain.PrefixAgreement, customerID, w.now), Name: name, Reference: "SLA-1",
		StartsOn: "2026-01-01", EndsOn: "2026-12-31"}
}

func (w *world) addresses(customerID string) []domain.Address {
	w.t.Helper()
	return records(w, "read the addresses", w.s.Addresses, customerID)
}

func (w *world) addressChange(ch state.AddressChange) error {
	return recordChange(w, ch, w.s.ChangeAddress)
}

func (w *world) agreementChange(ch state.AgreementChange) error {
	return recordChange(w, ch, w.s.ChangeAgreement)
}

// records reads every record of one kind of a customer with read.
func records[T any](w *world, what string, read func(ctx context.Context, customerID string) ([]T, error), customerID string) []T {
	w.t.Helper()
	rs, err := read(w.ctx(), customerID)
	noErr(w.t, err, what)
	return rs
}

// recordChange writes a change of a profile record with change, with an
// audit event on its customer's trail unless ch has one.
func recordChange[T any, P interface {
	*T
	Meta() *domain.Record
}](w *world, ch state.RecordChange[T], change func(context.Context, state.RecordChange[T]) error) error {
	cur := ch.After
	if cur == nil {
		cur = ch.Before
	}
	if ch.Event.ID == "" {
		ch.Event = w.event(domain.CustomerScope(P(cur).Meta().CustomerID))
	}
	return change(w.ctx(), ch)
}

// recordLife is the life that addresses and webhook subscriptions share
// (both counted on the customer's item), for one kind:
// its read and change (the world's helpers), and its own checks of what
// is read after the creations and after the change.
type recordLife[T any] struct {
	kind    string // "address"
	read    func(customerID string) []T
	change  func(state.RecordChange[T]) error
	created func(got []T)
	changed func(got T)
}

// testRecordLife: a record and a second one (b, made after it) are
// created for a customer that exists and read oldest first; the same one
// again is ErrConcurrent, one of no customer ErrNotFound and not written;
// a is changed to next on its version, after which its old version is
// ErrStale to change and to delete; deleted, it leaves b. Each write has
// its audit event; the refusals write none.
func testRecordLife[T any, P interface {
	*T
	Meta() *domain.Record
}](t *testing.T, w *world, l recordLife[T], a, b, ghost, next T) {
	t.Helper()
	cid := P(&a).Meta().CustomerID
	noErr(t, l.change(state.RecordChange[T]{After: &a}), "create the "+l.kind)
	noErr(t, l.change(state.RecordChange[T]{After: &b}), "create another")
	l.created(l.read(cid))
	wantErr(t, l.change(state.RecordChange[T]{After: &a}), state.ErrConcurrent, "the same "+l.kind+" again")
	wantErr(t, l.change(state.RecordChange[T]{After: &ghost}), state.ErrNotFound, l.kind+" of no customer")
	if len(l.read(P(&ghost).Meta().CustomerID)) != 0 {
		t.Fatalf("the refused %s was written", l.kind)
	}
	sc := domain.CustomerScope(cid)
	events := len(w.audit(sc))

	noErr(t, l.change(state.RecordChange[T]{Before: &a, After: &next}), "change it")
	wantErr(t, l.change(state.RecordChange[T]{Before: &a, After: &next}), state.ErrStale, "change the old version")
	l.changed(l.read(cid)[0])
	wantErr(t, l.change(state.RecordChange[T]{Before: &a}), state.ErrStale, "delete the old version")
	noErr(t, l.change(state.RecordChange[T]{Before: &next}), "delete it")
	if got := l.read(cid); len(got) != 1 || P(&got[0]).Meta().ID != P(&b).Meta().ID {
		t.Fatalf("after the delete: %+v", got)
	}
	if n := len(w.audit(sc)); n != events+2 {
		t.Fatalf("%d new audit events, want 2 (the refusals write none)", n-events)
	}
}

// Addresses have the life of a profile record (testRecordLife), with every
// field read back.
func testAddresses(t *testing.T, w *world) {
	c := w.customer("Acme")
	a, b := w.address(c.ID, "Rotterdam"), w.address(c.ID, "Delft")
	b.CreatedAt = w.now.Add(time.Second)
	b.Label, b.Region = "Warehouse", "Zuid-Holland"
	next := a
	next.City, next.Version = "Schiedam", 2
	testRecordLife(t, w, recordLife[domain.Address]{kind: "address", read: w.addresses, change: w.addressChange,
		created: func(got []domain.Address) {
			if len(got) != 2 || got[0].ID != a.ID || got[1].ID != b.ID || got[1].Label != "Warehouse" || got[1].Region != "Zuid-Holland" ||
				!slices.Equal(got[0].Lines, a.Lines) || !got[0].CreatedAt.Equal(a.CreatedAt) || got[0].Version != 1 {
				t.Fatalf("the addresses: %+v", got)
			}
			got[0].Lines[0] = "changed"
			if w.addresses(c.ID)[0].Lines[0] != "Havenstraat 12" {
				t.Fatal("a read shares memory with the store")
			}
		},
		changed: func(got domain.Address) {
			if got.City != "Schiedam" || got.Version != 2 {
				t.Fatalf("after the change: %+v", got)
			}
		},
	}, a, b, w.address(domain.NewID(domain.PrefixCustomer), "Nowhere"), next)
}

// testRecordLimit fills a customer's records of one kind up to its limit
// with the n it has room for, the i-th from nth; over is then ErrLimit,
// and fits once one is deleted.
func testRecordLimit[T any](t *testing.T, change func(state.RecordChange[T]) error, kind string, n int, nth func(i int) T, over T) {
	t.Helper()
	var last T
	for i := range n {
		last = nth(i)
		noErr(t, change(state.RecordChange[T]{After: &last}), "a "+kind)
	}
	wantErr(t, change(state.RecordChange[T]{After: &over}), state.ErrLimit, "one "+kind+" past the limit")
	noErr(t, change(state.RecordChange[T]{Before: &last}), "delete one")
	noErr(t, change(state.RecordChange[T]{After: &over}), "the "+kind+" now fits")
}

// A customer has at most domain.MaxAddresses addresses, counted race-free;
// a delete makes room again. Agreements are held to theirs the same way.
func testProfileLimits(t *testing.T, w *world) {
	c := w.customer("Acme")
	testRecordLimit(t, w.addressChange, "address", domain.MaxAddresses, func(i int) domain.Address {
		a := w.address(c.ID, "City")
		a.CreatedAt = w.now.Add(time.Duration(i) * time.Millisecond)
		return a
	}, w.address(c.ID, "One too many"))
	if n := len(w.addresses(c.ID)); n != domain.MaxAddresses {
		t.Fatalf("%d addresses, want %d", n, domain.MaxAddresses)
	}
	// Agreements: their own count.
	testRecordLimit(t, w.agreementChange, "agreement", domain.MaxAgreements, func(int) domain.ServiceAgreement {
		return w.agreement(c.ID, "Maintenance")
	}, w.agreement(c.ID, "One too many"))
	// Portal setups too.
	d := w.customer("Desk")
	var p domain.Portal
	for range domain.MaxPortals {
		p = w.setup(d.ID, "p")
		noErr(t, w.portalChange(state.PortalChange{After: &p, Customer: d}), "a setup")
	}
	q := w.setup(d.ID, "q")
	wantErr(t, w.portalChange(state.PortalChange{After: &q, Customer: d}), state.ErrLimit, "a setup past the limit")
	noErr(t, w.portalChange(state.PortalChange{Before: &p, Customer: d}), "delete a setup")
	noErr(t, w.portalChange(state.PortalChange{After: &q, Customer: d}), "the setup now fits")
}

// Agreements are kept as given: their dates as days, read oldest first,
// their status never stored.
func testAgreements(t *testing.T, w *world) {
	c := w.customer("Acme")
	a := w.agreement(c.ID, "Maintenance")
	a.Status = domain.AgreementActive // a read fills it in; the store keeps none
	noErr(t, w.agreementChange(state.AgreementChange{After: &a}), "create")
	got, err := w.s.Agreements(w.ctx(), c.ID)
	noErr(t, err, "read")
	if len(got) != 1 || got[0].StartsOn != "2026-01-01" || got[0].EndsOn != "2026-12-31" || got[0].Status != "" || got[0].Reference != "SLA-1" {
		t.Fatalf("the agreements: %+v", got)
	}
	after := got[0]
	after.EndsOn, after.Version = "2027-12-31", 2
	noErr(t, w.agreementChange(state.AgreementChange{Before: &got[0], After: &after}), "change")
	wantErr(t, w.agreementChange(state.AgreementChange{Before: &got[0]}), state.ErrStale, "delete the old version")
	noErr(t, w.agreementChange(state.AgreementChange{Before: &after}), "delete")
	if got, _ := w.s.Agreements(w.ctx(), c.ID); len(got) != 0 {
		t.Fatalf("after the delete: %+v", got)
	}
}

// A customer is renamed on its version, never replaced (its count of
// admins stands), its listing follows its new name, and the copies of its
// name and locale on its setups' client records follow at once.
func testChangeCustomer(t *testing.T, w *world) {
	c := w.customer("Zeta")
	w.create(w.enabled(c.Scope(), "admin@acme.example", true))
	p := w.setup(c.ID, "desk")
	noErr(t, w.portalChange(state.PortalChange{After: &p, Customer: c}), "a setup")
	reg := p
	reg.ClientID, reg.Version = "client-"+domain.NewID("c"), 2
	noErr(t, w.portalChange(state.PortalChange{Before: &p, After: &reg, Customer: c}), "its client")
	unregistered := w.setup(c.ID, "new")
	noErr(t, w.portalChange(state.PortalChange{After: &unregistered, Customer: c}), "a setup without a client yet")
	w.customer("Middle")

	cur, err := w.s.Customer(w.ctx(), c.ID)
	noErr(t, err, "read the customer")
	if cur.Version != 1 || cur.Offboarding() || cur.PortalCount != 2 {
		t.Fatalf("a new customer: %+v", cur)
	}
	after := cur
	after.Name, after.Locale, after.Version, after.UpdatedAt = "Alpha", "nl", 2, w.now.Add(time.Minute)
	provider := w.event(domain.ProviderScope)
	ch := state.CustomerChange{Before: cur, After: after, Portals: []domain.Portal{reg, unregistered}, Now: w.now,
		Events: []domain.AuditEvent{provider, w.event(c.Scope())}}
	noErr(t, w.s.ChangeCustomer(w.ctx(), ch), "rename")
	got, _ := w.s.Customer(w.ctx(), c.ID)
	if got.Name != "Alpha" || got.Locale != "nl" || got.Version != 2 || got.EnabledAdmins != 1 || got.PortalCount != 2 || !got.UpdatedAt.Equal(after.UpdatedAt) {
		t.Fatalf("after the rename: %+v", got)
	}
	if _, cu, err := w.byClient(reg.ClientID); err != nil || cu.Name != "Alpha" || cu.Locale != "nl" {
		t.Fatalf("the client record's copy: %+v %v", cu, err)
	}
	page, err := w.s.ListCustomers(w.ctx(), 10, nil)
	noErr(t, err, "list")
	if len(page.Items) != 2 || page.Items[0].ID != c.ID {
		t.Fatalf("the listing does not follow the new name: %+v", page.Items)
	}
	if evs := w.audit(domain.ProviderScope); len(evs) != 1 || evs[0].ID != provider.ID {
		t.Fatalf("the provider's trail: %+v", evs)
	}
	// The old version is refused, and changes nothing.
	again := after
	again.Name = "Beta"
	wantErr(t, w.s.ChangeCustomer(w.ctx(), state.CustomerChange{Before: cur, After: again, Now: w.now,
		Events: []domain.AuditEvent{w.event(domain.ProviderScope)}}), state.ErrStale, "rename the old version")
	if got, _ := w.s.Customer(w.ctx(), c.ID); got.Name != "Alpha" || len(w.audit(domain.ProviderScope)) != 1 {
		t.Fatalf("the refused rename: %+v", got)
	}
	ghost := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: "Ghost", Version: 1}
	wantErr(t, w.s.ChangeCustomer(w.ctx(), state.CustomerChange{Before: ghost, After: ghost, Now: w.now}), state.ErrNotFound, "rename no customer")
	// A client record written from a customer as read before the rename
	// would carry the old name: refused.
	stale := reg
	stale.Name, stale.Version = "Desk 2", 3
	wantErr(t, w.portalChange(state.PortalChange{Before: &reg, After: &stale, Customer: cur}), state.ErrConcurrent, "a setup changed with the customer as it was")
	noErr(t, w.portalChange(state.PortalChange{Before: &reg, After: &stale, Customer: got}), "a setup changed with the customer as it is")
}

// The offboarding begins in one transaction: the customer is marked and
// leaves the listing, its setups' client records go (their tokens stop),
// the job is written and due, the provider's event is kept; from then on
// nothing joins the customer, and a second start is refused.
func testOffboardingBegins(t *testing.T, w *world) {
	c := w.customer("Acme")
	p := w.setup(c.ID, "desk")
	noErr(t, w.portalChange(state.PortalChange{After: &p, Customer: c}), "a setup")
	reg := p
	reg.ClientID, reg.Version = "client-"+domain.NewID("c"), 2
	noErr(t, w.portalChange(state.PortalChange{Before: &p, After: &reg, Customer: c}), "its client")
	cur, _ := w.s.Customer(w.ctx(), c.ID)
	j := domain.Job{ID: domain.NewID(domain.PrefixJob), Kind: domain.JobOffboarding, CustomerID: c.ID, CustomerName: c.Name,
		Step: domain.JobMembers, RequestedBy: domain.SystemActor, CreatedAt: w.now, UpdatedAt: w.now}
	after := cur
	after.OffboardingJob, after.Version = j.ID, cur.Version+1
	ev := w.event(domain.ProviderScope)
	noErr(t, w.s.ChangeCustomer(w.ctx(), state.CustomerChange{Before: cur, After: after, Portals: []domain.Portal{reg}, Job: &j,
		Events: []domain.AuditEvent{ev}, Now: w.now}), "begin")
	got, err := w.s.Customer(w.ctx(), c.ID)
	if err != nil || got.OffboardingJob != j.ID || !got.Offboarding() {
		t.Fatalf("the customer: %+v %v", got, err)
	}
	if page, _ := w.s.ListCustomers(w.ctx(), 10, nil); len(page.Items) != 0 {
		t.Fatalf("an offboarding customer is listed: %+v", page.Items)
	}
	if _, _, err := w.byClient(reg.ClientID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("the client record stayed: %v", err)
	}
	gotJob, err := w.s.Job(w.ctx(), j.ID)
	if err != nil || gotJob.Step != domain.JobMembers || gotJob.CustomerName != "Acme" || !gotJob.CreatedAt.Equal(w.now) {
		t.Fatalf("the job: %+v %v", gotJob, err)
	}
	if d := w.due(state.DueJob, w.now); len(d) != 1 || d[0].JobID != j.ID {
		t.Fatalf("the job is not due: %+v", d)
	}
	if evs := w.audit(domain.ProviderScope); len(evs) != 1 || evs[0].ID != ev.ID {
		t.Fatalf("the provider's trail: %+v", evs)
	}
	// Nothing joins it any more; nothing begins it again.
	again := got
	again.Version++
	wantErr(t, w.s.ChangeCustomer(w.ctx(), state.CustomerChange{Before: got, After: again, Now: w.now}), state.ErrNotFound, "change it")
	wantErr(t, w.createErr(w.enabled(c.Scope(), "new@acme.example", false), state.Extras{}), state.ErrNotFound, "a member")
	wantErr(t, w.createErr(w.enabled(c.Scope(), "admin@acme.example", true), state.Extras{}), state.ErrNotFound, "an enabled admin")
	inv, _ := w.invited(c.Scope(), "invited@acme.example")
	wantErr(t, w.createErr(inv, state.Extras{}), state.ErrNotFound, "an invited member")
	q := w.setup(c.ID, "q")
	wantErr(t, w.portalChange(state.PortalChange{After: &q, Customer: got}), state.ErrNotFound, "a setup")
	a := w.address(c.ID, "Rotterdam")
	wantErr(t, w.addressChange(state.AddressChange{After: &a}), state.ErrNotFound, "an address")
	ag := w.agreement(c.ID, "Maintenance")
	wantErr(t, w.agreementChange(state.AgreementChange{After: &ag}), state.ErrNotFound, "an agreement")
	// A setup's client record is not written again (its tokens would work).
	stale := reg
	stale.Name, stale.Version = "Desk 2", 3
	wantErr(t, w.portalChange(state.PortalChange{Before: &reg, After: &stale, Customer: cur}), state.ErrConcurrent, "the client record again")
	if _, _, err := w.byClient(reg.ClientID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("the client record came back: %v", err)
	}
	if n := len(w.audit(c.Scope())); n != 3 { // the customer's creation, the setup's two changes
		t.Fatalf("%d events on the customer's trail, want 3", n)
	}
}

// The offboarding's steps: members read first page first and removed
// without an event of their own; the job's counts add up and its step
// moves only from where it is; the records step deletes the profile and
// the audit trail but not the customer, its members or setups; the last
// step deletes the customer and finishes the job.
func testOffboardingSteps(t *testing.T, w *world) {
	c, sc := w.customerScope("Acme")
	var ms []domain.Member
	for _, e := range []string{"a@acme.example", "b@acme.example", "c@acme.example"} {
		ms = append(ms, w.create(w.enabled(sc, e, false)))
	}
	slices.SortFunc(ms, func(a, b domain.Member) int { return compare(a.ID, b.ID) })
	p := w.setup(c.ID, "desk")
	noErr(t, w.portalChange(state.PortalChange{After: &p, Customer: c}), "a setup")
	a := w.address(c.ID, "Rotterdam")
	noErr(t, w.addressChange(state.AddressChange{After: &a}), "an address")
	ag := w.agreement(c.ID, "Maintenance")
	noErr(t, w.agreementChange(state.AgreementChange{After: &ag}), "an agreement")
	other := w.customer("Other")
	oa := w.address(other.ID, "Delft")
	noErr(t, w.addressChange(state.AddressChange{After: &oa}), "another customer's address")
	j := w.beginOffboarding(c)

	first, err := w.s.CustomerMembers(w.ctx(), c.ID, 2)
	noErr(t, err, "the first members")
	if len(first) != 2 || first[0].ID != ms[0].ID || first[1].ID != ms[1].ID {
		t.Fatalf("the first page: %v, want %v", emails(first), emails(ms[:2]))
	}
	events := len(w.audit(sc))
	w.change(state.MemberChange{Before: first[0], Unaudited: true, SyncIdentity: true})
	if n := len(w.audit(sc)); n != events {
		t.Fatalf("an unaudited change wrote %d events", n-events)
	}
	if d := w.due(state.DueIdentity, w.now.Add(state.SyncGrace)); len(d) != 1 || d[0].Sub != first[0].Sub {
		t.Fatalf("the identity's marker: %+v", d)
	}
	if rest, _ := w.s.CustomerMembers(w.ctx(), c.ID, 10); len(rest) != 2 || rest[0].ID != ms[1].ID {
		t.Fatalf("after one removal: %v", emails(rest))
	}

	noErr(t, w.s.UpdateJob(w.ctx(), state.JobUpdate{ID: j.ID, Removed: domain.JobCounts{Members: 1, Invitations: 1}, Now: w.now}), "count")
	noErr(t, w.s.UpdateJob(w.ctx(), state.JobUpdate{ID: j.ID, Removed: domain.JobCounts{Members: 2}, From: domain.JobMembers, To: domain.JobPortals, Now: w.now}), "move on")
	wantErr(t, w.s.UpdateJob(w.ctx(), state.JobUpdate{ID: j.ID, Removed: domain.JobCounts{Members: 5}, From: domain.JobMembers, To: domain.JobPortals, Now: w.now}), state.ErrStale, "move on from a step it left")
	wantErr(t, w.s.UpdateJob(w.ctx(), state.JobUpdate{ID: domain.NewID(domain.PrefixJob), Now: w.now}), state.ErrNotFound, "no such job")
	if got, _ := w.s.Job(w.ctx(), j.ID); got.Step != domain.JobPortals || got.Removed != (domain.JobCounts{Members: 3, Invitations: 1}) {
		t.Fatalf("the job: %+v", got)
	}

	// The records: two of them, then the trail, in pages; nothing else.
	trail := len(w.audit(sc))
	n, err := w.s.DeleteCustomerRecords(w.ctx(), c.ID, 1)
	noErr(t, err, "delete a record")
	if n != 1 {
		t.Fatalf("deleted %d, want 1", n)
	}
	total := n
	for n > 0 {
		n, err = w.s.DeleteCustomerRecords(w.ctx(), c.ID, 2)
		noErr(t, err, "delete records")
		total += n
	}
	if total != 2+trail {
		t.Fatalf("deleted %d records, want %d (an address, an agreement, %d events)", total, 2+trail, trail)
	}
	if len(w.addresses(c.ID)) != 0 || len(w.audit(sc)) != 0 {
		t.Fatal("records are left")
	}
	if ags, _ := w.s.Agreements(w.ctx(), c.ID); len(ags) != 0 {
		t.Fatal("an agreement is left")
	}
	if rest, _ := w.s.CustomerMembers(w.ctx(), c.ID, 10); len(rest) != 2 || len(w.portals(c.ID)) != 1 {
		t.Fatal("the records step took members or setups: their own steps remove them with what points at them")
	}
	if len(w.addresses(other.ID)) != 1 {
		t.Fatal("another customer's address went")
	}
	if _, err := w.s.Customer(w.ctx(), c.ID); err != nil {
		t.Fatalf("the customer went before its last step: %v", err)
	}

	wantErr(t, w.s.FinishOffboarding(w.ctx(), j, w.now), state.ErrStale, "finish before the last step")
	noErr(t, w.s.UpdateJob(w.ctx(), state.JobUpdate{ID: j.ID, From: domain.JobPortals, To: domain.JobCustomer, Now: w.now}), "to the last step")
	done := w.now.Add(time.Hour)
	noErr(t, w.s.FinishOffboarding(w.ctx(), j, done), "finish")
	if _, err := w.s.Customer(w.ctx(), c.ID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("the customer is still there: %v", err)
	}
	got, err := w.s.Job(w.ctx(), j.ID)
	if err != nil || !got.Done() || got.FinishedAt == nil || !got.FinishedAt.Equal(done) {
		t.Fatalf("the finished job: %+v %v", got, err)
	}
	if d := w.due(state.DueJob, done.Add(time.Hour)); len(d) != 0 {
		t.Fatalf("a finished job is due: %+v", d)
	}
	wantErr(t, w.s.FinishOffboarding(w.ctx(), j, done), state.ErrStale, "finish twice")
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
