package profile

import (
	"context"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// kind is one kind of record of the profile (addresses, service
// agreements): where the store keeps it, how the trail names it, and what a
// read fills in. Creating, changing and deleting one go the same way for
// every kind: versioned, audited, idempotent.
type kind[T any, P interface {
	*T
	Meta() *domain.Record
}] struct {
	prefix                    string // of its ids
	list                      func(ctx context.Context, customerID string) ([]T, error)
	change                    func(ctx context.Context, ch state.RecordChange[T]) error
	target                    func(T) domain.Target
	created, updated, deleted string // its audit actions
	// settle, when set, fills in what a read derives (a status today).
	settle func(*T, time.Time)
}

// one reads one record of a customer.
func (k kind[T, P]) one(ctx context.Context, customerID, id string, now time.Time) (T, error) {
	var zero T
	if !domain.ValidID(k.prefix, id) {
		return zero, state.ErrNotFound
	}
	rs, err := k.list(ctx, customerID)
	if err != nil {
		return zero, err
	}
	for i := range rs {
		if P(&rs[i]).Meta().ID == id {
			k.read(&rs[i], now)
			return rs[i], nil
		}
	}
	return zero, state.ErrNotFound
}

func (k kind[T, P]) read(r *T, now time.Time) {
	if k.settle != nil {
		k.settle(r, now)
	}
}

// all reads every record of a customer, oldest first.
func (k kind[T, P]) all(ctx context.Context, customerID string, now time.Time) ([]T, error) {
	rs, err := k.list(ctx, customerID)
	for i := range rs {
		k.read(&rs[i], now)
	}
	return rs, err
}

// readAll is a read of every record of one kind of a customer, op naming
// it in errors: operators and the customer's portal admins (readable).
func (k kind[T, P]) readAll(ctx context.Context, s *Service, c *access.Caller, customerID, op string) ([]T, error) {
	if err := s.readable(ctx, c, customerID); err != nil {
		return nil, errs.Wrap(op, err)
	}
	rs, err := k.all(ctx, customerID, s.now())
	return rs, errs.Wrap(op, err)
}

// create writes r, a first version, with the extras x. With an idempotency
// key, a retry answers the record the first attempt made.
func (k kind[T, P]) create(ctx context.Context, keys idem.Store, c *access.Caller, r T, x state.Extras, key *idem.Key) (T, error) {
	var zero T
	m := P(&r).Meta()
	now, sc := m.CreatedAt, domain.CustomerScope(m.CustomerID)
	key, err := idem.Look(ctx, keys, key, now)
	if err != nil {
		return zero, err
	}
	if ref := key.PriorRef(); ref != "" {
		return k.one(ctx, m.CustomerID, ref, now)
	}
	x.Idempotency = key.Record(m.ID, now)
	err = k.change(ctx, state.RecordChange[T]{After: &r, Extras: x,
		Event: domain.NewEvent(now, c.ActorIn(sc), k.created, k.target(r), sc)})
	if err != nil {
		ref, err := idem.LostRace(ctx, keys, key, err, now)
		if err != nil {
			return zero, err
		}
		return k.one(ctx, m.CustomerID, ref, now)
	}
	k.read(&r, now)
	return r, nil
}

// update changes the record id of a customer as edit says, on the version
// the caller read (want, when not 0). When edit changes nothing, there is
// no new version and no audit event.
func (k kind[T, P]) update(ctx context.Context, c *access.Caller, customerID, id string, want int, x state.Extras, now time.Time,
	edit func(T) (after T, changed bool, err error)) (T, error) {
	var r, after T
	changed := false
	err := state.Unpinned(want, func() error {
		var err error
		if r, err = k.one(ctx, customerID, id, now); err != nil {
			return err
		}
		if want > 0 && P(&r).Meta().Version != want {
			return state.ErrStale
		}
		if after, changed, err = edit(r); err != nil || !changed {
			return err
		}
		m := P(&after).Meta()
		m.Version, m.UpdatedAt = P(&r).Meta().Version+1, now
		sc := domain.CustomerScope(customerID)
		return k.change(ctx, state.RecordChange[T]{Before: &r, After: &after, Extras: x,
			Event: domain.NewEvent(now, c.ActorIn(sc), k.updated, k.target(after), sc)})
	})
	if err != nil || !changed {
		return r, err
	}
	k.read(&after, now)
	return after, nil
}

// delete removes the record id of a customer, on the version the caller
// read (want, when not 0).
func (k kind[T, P]) delete(ctx context.Context, c *access.Caller, customerID, id string, want int, x state.Extras, now time.Time) error {
	return state.Unpinned(want, func() error {
		r, err := k.one(ctx, customerID, id, now)
		if err != nil {
			return err
		}
		if want > 0 && P(&r).Meta().Version != want {
			return state.ErrStale
		}
		sc := domain.CustomerScope(customerID)
		return k.change(ctx, state.RecordChange[T]{Before: &r, Extras: x,
			Event: domain.NewEvent(now, c.ActorIn(sc), k.deleted, k.target(r), sc)})
	})
}
