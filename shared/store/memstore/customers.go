package memstore

import (
	"context"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// CreateCustomer writes a new customer and its audit events.
func (s *Store) CreateCustomer(ctx context.Context, c domain.Customer, ev domain.AuditEvent, x state.Extras, also ...domain.AuditEvent) error {
	if err := s.writeRated(ctx, "CreateCustomer", x.Rate); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if s.customers[c.ID] != nil {
		return state.ErrConcurrent
	}
	for _, e := range append([]domain.AuditEvent{ev}, also...) {
		if err := s.checkAudit(e); err != nil {
			return err
		}
	}
	if err := s.checkExtras(x, domain.ProviderScope); err != nil {
		return err
	}
	c.Members = domain.MemberCounts{Exact: true} // no members yet
	s.customers[c.ID] = &customerRec{c: cloneCustomer(c)}
	for _, e := range append([]domain.AuditEvent{ev}, also...) {
		s.putAudit(e)
	}
	s.applyExtras(x)
	return nil
}

// ChangeCustomer writes a change of a customer, the copies of its name and
// locale on its portal setups' client records (deleted when its
// offboarding begins), its job and audit events, or nothing.
func (s *Store) ChangeCustomer(ctx context.Context, ch state.CustomerChange) error {
	const op = "ChangeCustomer"
	if err := s.writeRated(ctx, op, ch.Rate); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r := s.customers[ch.Before.ID]
	switch {
	case r == nil || r.phantom || r.c.Offboarding():
		return state.ErrNotFound
	case max(r.c.Version, 1) != max(ch.Before.Version, 1):
		return state.ErrStale
	}
	for _, p := range ch.Portals {
		if _, ok := s.clients[p.ClientID]; p.ClientID != "" && ch.Job == nil && !ok {
			return state.ErrConcurrent
		}
	}
	if ch.Job != nil && s.jobs[ch.Job.ID].ID != "" {
		return state.ErrConcurrent
	}
	for _, e := range ch.Events {
		if err := s.checkAudit(e); err != nil {
			return err
		}
	}
	if err := s.checkExtras(ch.Extras, domain.ProviderScope); err != nil {
		return err
	}
	a := ch.After
	r.c.Name, r.c.Locale, r.c.UpdatedAt, r.c.Version = a.Name, a.Locale, a.UpdatedAt, a.Version
	r.c.Policy = clonePolicy(a.Policy)
	for _, p := range ch.Portals {
		if p.ClientID == "" {
			continue
		}
		if ch.Job != nil {
			delete(s.clients, p.ClientID)
			continue
		}
		cr := s.clients[p.ClientID]
		cr.cu.Name, cr.cu.Locale = a.Name, a.Locale
		s.clients[p.ClientID] = cr
	}
	if ch.Job != nil {
		r.c.OffboardingJob = ch.Job.ID
		s.jobs[ch.Job.ID] = cloneJob(*ch.Job)
	}
	for _, e := range ch.Events {
		s.putAudit(e)
	}
	s.applyExtras(ch.Extras)
	return nil
}

// Customer reads one customer.
func (s *Store) Customer(ctx context.Context, id string) (domain.Customer, error) {
	if err := s.read(ctx, "Customer"); err != nil {
		return domain.Customer{}, err
	}
	defer s.mu.Unlock()
	c := s.customers[id]
	if c == nil {
		return domain.Customer{}, state.ErrNotFound
	}
	return cloneCustomer(c.c), nil
}

// CustomerWithPortals reads a customer and its portal setups, by id.
func (s *Store) CustomerWithPortals(ctx context.Context, id string) (domain.Customer, []domain.Portal, error) {
	if err := s.read(ctx, "CustomerWithPortals"); err != nil {
		return domain.Customer{}, nil, err
	}
	defer s.mu.Unlock()
	c := s.customers[id]
	if c == nil {
		return domain.Customer{}, nil, state.ErrNotFound
	}
	var items []keyed[domain.Portal]
	for pid, p := range s.portals[id] {
		items = append(items, keyed[domain.Portal]{key: pid, v: clonePortal(p)})
	}
	sortKeyed(items)
	var portals []domain.Portal
	for _, it := range items {
		portals = append(portals, it.v)
	}
	return cloneCustomer(c.c), portals, nil
}

// ListCustomers pages through all customers by lower-cased name, then id.
func (s *Store) ListCustomers(ctx context.Context, limit int32, start state.PageKey) (state.Page[domain.Customer], error) {
	const op = "ListCustomers"
	if err := s.read(ctx, op); err != nil {
		return state.Page[domain.Customer]{}, err
	}
	defer s.mu.Unlock()
	var items []keyed[domain.Customer]
	for _, c := range s.customers {
		if !c.phantom && !c.c.Offboarding() { // an offboarding leaves the listing at once
			items = append(items, keyed[domain.Customer]{key: lowerName(c.c), v: cloneCustomer(c.c)})
		}
	}
	return page(op, "customer", items, false, limit, start)
}

// directoryBatch is how many keys the DynamoDB store reads at once.
const directoryBatch = 100

// Directory reads customers and portal setups by id; missing ones are left
// out. As DynamoDB's BatchGetItem, it refuses a batch of 100 keys that
// names one item twice.
func (s *Store) Directory(ctx context.Context, customers []string, portals map[string][]string) (map[string]domain.Customer, map[string]domain.Portal, error) {
	const op = "Directory"
	if err := s.read(ctx, op); err != nil {
		return nil, nil, err
	}
	defer s.mu.Unlock()
	type key struct{ customer, portal string }
	var keys []key
	for _, id := range customers {
		keys = append(keys, key{customer: id})
	}
	for cid, ids := range portals {
		for _, id := range ids {
			keys = append(keys, key{customer: cid, portal: "#" + id})
		}
	}
	for i := 0; i < len(keys); i += directoryBatch {
		seen := map[key]bool{}
		for _, k := range keys[i:min(i+directoryBatch, len(keys))] {
			if seen[k] {
				return nil, nil, invalid(op, "the list of keys names one item twice")
			}
			seen[k] = true
		}
	}
	cs := map[string]domain.Customer{}
	ps := map[string]domain.Portal{}
	for _, k := range keys {
		if k.portal == "" {
			if c := s.customers[k.customer]; c != nil && !c.phantom {
				cs[c.c.ID] = cloneCustomer(c.c)
			}
		} else if p, ok := s.portals[k.customer][k.portal[1:]]; ok {
			ps[p.ID] = clonePortal(p)
		}
	}
	return cs, ps, nil
}

// ListAudit pages through a scope's audit trail, newest first.
func (s *Store) ListAudit(ctx context.Context, sc domain.Scope, limit int32, start state.PageKey) (state.Page[domain.AuditEvent], error) {
	const op = "ListAudit"
	if err := s.read(ctx, op); err != nil {
		return state.Page[domain.AuditEvent]{}, err
	}
	defer s.mu.Unlock()
	var items []keyed[domain.AuditEvent]
	for k, e := range s.audit[sc.CustomerID] {
		items = append(items, keyed[domain.AuditEvent]{key: k, v: cloneEvent(e)})
	}
	p, err := page(op, "audit", items, true, limit, start)
	if err == nil && p.Items == nil {
		p.Items = []domain.AuditEvent{} // as the DynamoDB store answers
	}
	return p, err
}

// checkAudit is the condition of an audit event: a new one.
func (s *Store) checkAudit(e domain.AuditEvent) error {
	if _, ok := s.audit[e.CustomerID][auditKey(e)]; ok {
		return state.ErrConcurrent
	}
	return nil
}

func (s *Store) putAudit(e domain.AuditEvent) {
	setIn(s.audit, e.CustomerID, auditKey(e), cloneEvent(e))
}

// checkExtras are the conditions of a change's extras: a new idempotency
// record, room in the rate window, and the acting portal admin still an
// enabled admin of the scope (its identity's copy says so).
func (s *Store) checkExtras(x state.Extras, sc domain.Scope) error {
	if x.Idempotency != nil && s.idemTaken(x.Idempotency.ID, x.Idempotency.CreatedAt) {
		return state.ErrIdempotencyRace
	}
	if x.Rate != nil {
		w := windowOf(*x.Rate)
		if s.rates[w.key] > x.Rate.Limit-x.Rate.N {
			return w.refusal
		}
	}
	if x.ActingAdmin != "" && !sc.IsProvider() {
		m, ok := s.identities[x.ActingAdmin][sc]
		if !ok || m.Status != domain.StatusEnabled || !m.Admin {
			return state.ErrActorNotAdmin
		}
	}
	if x.ActingOperator != "" {
		m, ok := s.identities[x.ActingOperator][domain.ProviderScope]
		if !ok || m.Status != domain.StatusEnabled || x.ActingRole != "" && m.Role != x.ActingRole {
			return state.ErrActorNotAdmin
		}
	}
	return nil
}

func (s *Store) applyExtras(x state.Extras) {
	if x.Idempotency != nil {
		s.idem[x.Idempotency.ID] = cloneIdem(*x.Idempotency)
	}
	if x.Rate != nil {
		s.rates[windowOf(*x.Rate).key] += x.Rate.N
	}
}
