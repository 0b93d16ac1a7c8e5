package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// ChangePortal writes a change of a portal setup (created, changed or
// deleted), its record by app client, its origins, its marker and the
// audit event, or nothing.
func (s *Store) ChangePortal(ctx context.Context, ch state.PortalChange) error {
	const op = "ChangePortal"
	if err := s.writeRated(ctx, op, ch.Rate); err != nil {
		return err
	}
	defer s.mu.Unlock()
	var p domain.Portal
	switch {
	case ch.Before == nil:
		p = *ch.After
		r := s.customers[p.CustomerID]
		if r == nil || r.phantom || r.c.Offboarding() {
			return state.ErrNotFound
		}
		if r.c.PortalCount >= domain.MaxPortals {
			return state.ErrLimit
		}
		if _, ok := s.portals[p.CustomerID][p.ID]; ok {
			return state.ErrConcurrent
		}
	default:
		p = *ch.Before
		cur, ok := s.portals[p.CustomerID][p.ID]
		if !ok || cur.Version != ch.Before.Version {
			return state.ErrStale
		}
		if ch.After == nil && s.customers[p.CustomerID] == nil {
			return state.ErrNotFound
		}
		if ch.After != nil {
			p = *ch.After
			// The copy of the customer on the client record is the
			// customer's as it is.
			if r := s.customers[p.CustomerID]; ch.After.Client() != "" && (r == nil || max(r.c.Version, 1) != max(ch.Customer.Version, 1)) {
				return state.ErrConcurrent
			}
		}
	}
	if err := s.checkAudit(ch.Event); err != nil {
		return err
	}
	sc := domain.CustomerScope(p.CustomerID)
	if err := s.checkExtras(ch.Extras, sc); err != nil {
		return err
	}
	switch {
	case ch.After == nil:
		delete(s.portals[p.CustomerID], p.ID)
		s.customers[p.CustomerID].c.PortalCount--
	case ch.Before == nil:
		setIn(s.portals, p.CustomerID, p.ID, clonePortal(*ch.After))
		s.customers[p.CustomerID].c.PortalCount++
	default:
		setIn(s.portals, p.CustomerID, p.ID, clonePortal(*ch.After))
	}
	before, after := ch.Before.Client(), ch.After.Client()
	if before != "" && before != after {
		delete(s.clients, before)
	}
	if after != "" {
		s.clients[after] = clientRec{p: clonePortal(*ch.After), cu: domain.Customer{ID: p.CustomerID, Name: ch.Customer.Name, Locale: ch.Customer.Locale}}
	}
	for _, o := range ch.Before.Origins() {
		delete(s.origins[o], p.ID)
	}
	for _, o := range ch.After.Origins() {
		setIn(s.origins, o, p.ID, true)
	}
	if ch.SyncClient {
		client := after
		if ch.After == nil {
			client = before
		}
		s.portalSyncs[p.ID] = portalSyncRec{customer: p.CustomerID, client: client, marker: ch.Event.ID, due: ch.Now.Add(state.SyncGrace)}
	}
	s.putAudit(ch.Event)
	s.applyExtras(ch.Extras)
	return nil
}

// PortalByClient reads the portal setup of an app client and its
// customer's name and locale.
func (s *Store) PortalByClient(ctx context.Context, clientID string) (domain.Portal, domain.Customer, error) {
	if err := s.read(ctx, "PortalByClient"); err != nil {
		return domain.Portal{}, domain.Customer{}, err
	}
	defer s.mu.Unlock()
	r, ok := s.clients[clientID]
	if !ok {
		return domain.Portal{}, domain.Customer{}, state.ErrNotFound
	}
	return clonePortal(r.p), r.cu, nil
}

// OriginAllowed reports whether a portal setup calls from the origin.
func (s *Store) OriginAllowed(ctx context.Context, origin string) (bool, error) {
	if len(origin) > domain.MaxOriginLength { // as DynamoDB's store: no read
		return false, nil
	}
	if err := s.read(ctx, "OriginAllowed"); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	return len(s.origins[origin]) > 0, nil
}

// PortalSyncDone clears a portal's marker, unless a later change has
// written a newer one (d.Marker is the event id of the change).
func (s *Store) PortalSyncDone(ctx context.Context, d state.Due) error {
	if err := s.write(ctx, "PortalSyncDone"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if r, ok := s.portalSyncs[d.PortalID]; ok && r.marker == d.Marker && r.customer == d.Scope.CustomerID {
		delete(s.portalSyncs, d.PortalID)
	}
	return nil
}

// PortalMembers pages through the members linked to a portal, by e-mail.
func (s *Store) PortalMembers(ctx context.Context, customerID, portalID string, limit int32, start state.PageKey) (state.Page[domain.Member], error) {
	const op = "PortalMembers"
	if err := s.read(ctx, op); err != nil {
		return state.Page[domain.Member]{}, err
	}
	defer s.mu.Unlock()
	var items []keyed[string]
	for id, email := range s.links[portalID] {
		items = append(items, keyed[string]{key: email + "#" + id, v: id})
	}
	ids, err := page(op, "link", items, false, limit, start)
	if err != nil {
		return state.Page[domain.Member]{}, err
	}
	out := state.Page[domain.Member]{Next: ids.Next}
	for _, id := range ids.Items {
		if r := s.members[domain.CustomerScope(customerID)][id]; r != nil {
			out.Items = append(out.Items, cloneMember(r.m))
		}
	}
	return out, nil
}

// link keeps the links of a member to portal setups (before or after nil:
// created or deleted).
func (s *Store) link(before, after *domain.Member) {
	var was, is []string
	if before != nil {
		was = before.PortalIDs
	}
	if after != nil {
		is = after.PortalIDs
	}
	for _, p := range was {
		if !slices.Contains(is, p) {
			delete(s.links[p], before.ID)
		}
	}
	for _, p := range is {
		setIn(s.links, p, after.ID, after.Email)
	}
}

// portalDues are the portal markers due at now.
func (s *Store) portalDues(now time.Time, add func(at time.Time, tie string, d state.Due)) {
	for pid, r := range s.portalSyncs {
		add(r.due, pid, state.Due{Scope: domain.CustomerScope(r.customer), PortalID: pid, ClientID: r.client, Marker: r.marker})
	}
}
