package memstore

import (
	"context"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// ChangeAddress writes the creation, change or deletion of an address,
// the customer's count of addresses and the audit event, or nothing.
func (s *Store) ChangeAddress(ctx context.Context, ch state.AddressChange) error {
	cur := ch.After
	if cur == nil {
		cur = ch.Before
	}
	return changeProfile(s, ctx, "ChangeAddress", s.addresses, cur.CustomerID, cur.ID, domain.MaxAddresses,
		func(c *domain.Customer) *int { return &c.AddressCount },
		ch.Before != nil, versionOf(ch.Before, func(a *domain.Address) int { return a.Version }),
		ch.After, func(a domain.Address) int { return a.Version }, cloneAddress, ch.Event, ch.Extras)
}

// ChangeAgreement writes the creation, change or deletion of a service
// agreement, the customer's count of them and the audit event, or nothing.
func (s *Store) ChangeAgreement(ctx context.Context, ch state.AgreementChange) error {
	cur := ch.After
	if cur == nil {
		cur = ch.Before
	}
	return changeProfile(s, ctx, "ChangeAgreement", s.agreements, cur.CustomerID, cur.ID, domain.MaxAgreements,
		func(c *domain.Customer) *int { return &c.AgreementCount },
		ch.Before != nil, versionOf(ch.Before, func(a *domain.ServiceAgreement) int { return a.Version }),
		ch.After, func(a domain.ServiceAgreement) int { return a.Version }, cloneAgreement, ch.Event, ch.Extras)
}

func versionOf[T any](p *T, v func(*T) int) int {
	if p == nil {
		return 0
	}
	return v(p)
}

// changeProfile writes one profile record of a kind kept in records: the
// conditions in the DynamoDB store's order (the customer and its room, or
// the record's version), then the audit event and the extras.
func changeProfile[T any](s *Store, ctx context.Context, op string, records map[string]map[string]T, customerID, id string, limit int,
	count func(*domain.Customer) *int, existed bool, version int, after *T, versionOfT func(T) int, clone func(T) T,
	ev domain.AuditEvent, x state.Extras) error {
	if err := rateFull(x.Rate); err != nil {
		return err
	}
	if err := s.write(ctx, op); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r := s.customers[customerID]
	cur, ok := records[customerID][id]
	switch {
	case !existed:
		if !s.open(customerID) {
			return state.ErrNotFound
		}
		if *count(&r.c) >= limit {
			return state.ErrLimit
		}
		if ok {
			return state.ErrConcurrent
		}
	case !ok || versionOfT(cur) != version:
		return state.ErrStale
	case after == nil && r == nil:
		return state.ErrNotFound
	}
	if err := s.checkAudit(ev); err != nil {
		return err
	}
	if err := s.checkExtras(x, domain.CustomerScope(customerID)); err != nil {
		return err
	}
	switch {
	case after == nil:
		delete(records[customerID], id)
		*count(&r.c)--
	default:
		if !existed {
			*count(&r.c)++
		}
		setIn(records, customerID, id, clone(*after))
	}
	s.putAudit(ev)
	s.applyExtras(x)
	return nil
}

// Addresses reads every address of a customer, oldest first.
func (s *Store) Addresses(ctx context.Context, customerID string) ([]domain.Address, error) {
	if err := s.read(ctx, "Addresses"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return sorted(s.addresses[customerID], func(a domain.Address) string { return timeKey(a.CreatedAt) + "\x00" + a.ID }, cloneAddress), nil
}

// Agreements reads every service agreement of a customer, oldest first.
func (s *Store) Agreements(ctx context.Context, customerID string) ([]domain.ServiceAgreement, error) {
	if err := s.read(ctx, "Agreements"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return sorted(s.agreements[customerID], func(a domain.ServiceAgreement) string { return timeKey(a.CreatedAt) + "\x00" + a.ID }, cloneAgreement), nil
}

func sorted[T any](m map[string]T, key func(T) string, clone func(T) T) []T {
	var items []keyed[T]
	for _, v := range m {
		items = append(items, keyed[T]{key: key(v), v: clone(v)})
	}
	sortKeyed(items)
	var out []T
	for _, it := range items {
		out = append(out, it.v)
	}
	return out
}
