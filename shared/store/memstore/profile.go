package memstore

import (
	"context"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// ChangeAddress writes the creation, change or deletion of an address,
// the customer's count of addresses and the audit event, or nothing.
func (s *Store) ChangeAddress(ctx context.Context, ch state.AddressChange) error {
	return changeProfile(s, ctx, "ChangeAddress", s.addresses, domain.MaxAddresses,
		func(c *domain.Customer) *int { return &c.AddressCount }, ch, cloneAddress)
}

// ChangeAgreement writes the creation, change or deletion of a service
// agreement, the customer's count of them and the audit event, or nothing.
func (s *Store) ChangeAgreement(ctx context.Context, ch state.AgreementChange) error {
	return changeProfile(s, ctx, "ChangeAgreement", s.agreements, domain.MaxAgreements,
		func(c *domain.Customer) *int { return &c.AgreementCount }, ch, cloneAgreement)
}

// changeProfile writes one profile record of a kind kept in records: the
// conditions in the DynamoDB store's order (the customer and its room, or
// the record's version), then the audit event and the extras.
func changeProfile[T any, P interface {
	*T
	Meta() *domain.Record
}](s *Store, ctx context.Context, op string, records map[string]map[string]T, limit int,
	count func(*domain.Customer) *int, ch state.RecordChange[T], clone func(T) T) error {
	after, existed, x, ev := ch.After, ch.Before != nil, ch.Extras, ch.Event
	cur, version := ch.After, 0
	if existed {
		cur, version = ch.Before, P(ch.Before).Meta().Version
	}
	customerID, id := P(cur).Meta().CustomerID, P(cur).Meta().ID
	if err := s.writeRated(ctx, op, x.Rate); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r := s.customers[customerID]
	was, ok := records[customerID][id]
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
	case !ok || P(&was).Meta().Version != version:
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
	return sortedRecords(s.addresses[customerID], cloneAddress), nil
}

// Agreements reads every service agreement of a customer, oldest first.
func (s *Store) Agreements(ctx context.Context, customerID string) ([]domain.ServiceAgreement, error) {
	if err := s.read(ctx, "Agreements"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return sortedRecords(s.agreements[customerID], cloneAgreement), nil
}

// sortedRecords are the records of a kind, oldest first.
func sortedRecords[T any, P interface {
	*T
	Meta() *domain.Record
}](m map[string]T, clone func(T) T) []T {
	return sorted(m, func(r T) string { return timeKey(P(&r).Meta().CreatedAt) + "\x00" + P(&r).Meta().ID }, clone)
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
