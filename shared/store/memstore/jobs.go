package memstore

import (
	"context"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Job reads a job.
func (s *Store) Job(ctx context.Context, id string) (domain.Job, error) {
	if err := s.read(ctx, "Job"); err != nil {
		return domain.Job{}, err
	}
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return domain.Job{}, state.ErrNotFound
	}
	return cloneJob(j), nil
}

// UpdateJob adds to a job's counts and, with To, moves it on from From.
func (s *Store) UpdateJob(ctx context.Context, u state.JobUpdate) error {
	if err := s.write(ctx, "UpdateJob"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	j, ok := s.jobs[u.ID]
	if !ok {
		return state.ErrNotFound
	}
	if u.To != "" && j.Step != u.From {
		return state.ErrStale
	}
	j.Removed = j.Removed.Add(u.Removed)
	j.UpdatedAt = roundTrip(u.Now)
	if u.To != "" {
		j.Step = u.To
	}
	s.jobs[u.ID] = j
	return nil
}

// FinishOffboarding deletes the customer and marks its job done.
func (s *Store) FinishOffboarding(ctx context.Context, j domain.Job, now time.Time) error {
	if err := s.write(ctx, "FinishOffboarding"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	cur, ok := s.jobs[j.ID]
	if !ok || cur.Step != domain.JobCustomer {
		return state.ErrStale
	}
	delete(s.customers, j.CustomerID)
	at := roundTrip(now)
	cur.Step, cur.UpdatedAt, cur.FinishedAt = domain.JobDone, at, &at
	s.jobs[j.ID] = cur
	return nil
}

// CustomerMembers reads the first members of a customer, by id.
func (s *Store) CustomerMembers(ctx context.Context, customerID string, limit int32) ([]domain.Member, error) {
	const op = "CustomerMembers"
	if err := s.read(ctx, op); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var items []keyed[domain.Member]
	for id, r := range s.members[domain.CustomerScope(customerID)] {
		items = append(items, keyed[domain.Member]{key: id, v: cloneMember(r.m)})
	}
	p, err := page(op, "member", items, false, limit, nil)
	return p.Items, err
}

// DeleteCustomerRecords deletes up to limit of an offboarded customer's
// records (its profile, then its audit trail, in the DynamoDB store's
// order of keys) and says how many.
func (s *Store) DeleteCustomerRecords(ctx context.Context, customerID string, limit int32) (int, error) {
	if err := s.write(ctx, "DeleteCustomerRecords"); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	// AD#, RN#, RO#, SA#, WH# in the partition, as DynamoDB orders its keys.
	for _, records := range []struct {
		keys func() []string
		del  func(k string)
	}{
		{func() []string { return keysIn(s.addresses[customerID]) }, func(k string) { delete(s.addresses[customerID], k) }},
		{func() []string { return importKeysIn(s.imports[customerID]) }, func(k string) { s.deleteImportItem(customerID, k) }},
		{func() []string { return keysIn(s.roleNames[customerID]) }, func(k string) { delete(s.roleNames[customerID], k) }},
		{func() []string { return keysIn(s.roles[customerID]) }, func(k string) { delete(s.roles[customerID], k) }},
		{func() []string { return keysIn(s.agreements[customerID]) }, func(k string) { delete(s.agreements[customerID], k) }},
		{func() []string { return keysIn(s.subscriptions[customerID]) }, func(k string) { delete(s.subscriptions[customerID], k) }},
	} {
		for _, k := range records.keys() {
			if n == int(limit) {
				return n, nil
			}
			records.del(k)
			n++
		}
	}
	for _, k := range keysIn(s.audit[customerID]) {
		if n == int(limit) {
			return n, nil
		}
		delete(s.audit[customerID], k)
		n++
	}
	return n, nil
}

func keysIn[T any](m map[string]T) []string {
	var items []keyed[string]
	for k := range m {
		items = append(items, keyed[string]{key: k, v: k})
	}
	sortKeyed(items)
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.v
	}
	return out
}
