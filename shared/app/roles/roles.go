// Package roles is a customer's role catalogue: the functional roles its
// portal users may hold. Operators and the customer's portal admins create,
// rename, describe and delete them; every change is versioned and on the
// customer's audit trail. A role's name is unique in its customer (without
// case).
package roles

import (
	"context"
	"slices"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/check"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Store is what the catalogue reads and writes.
type Store interface {
	Customer(ctx context.Context, id string) (domain.Customer, error)
	Roles(ctx context.Context, customerID string) ([]domain.Role, error)
	ChangeRole(ctx context.Context, ch state.RoleChange) error
	idem.Store // the records of idempotency keys, for idem.Look
}

// Service serves the catalogue.
type Service struct {
	Store Store
	Now   func() time.Time
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// Input is a role, or a change of one, as the caller gives it: unchecked.
// A nil field is left as it is; Description "" removes it.
type Input struct {
	Name        *string
	Description *string
}

func (in Input) check(r *domain.Role) error {
	var fs check.Fields
	check.Given(&fs, "name", in.Name, domain.CleanRoleName, &r.Name)
	check.Given(&fs, "description", in.Description, domain.CleanRoleDescription, &r.Description)
	return fs.Err()
}

// List reads a customer's catalogue, by name: operators, and its portal
// admins. An operator's unknown customer is not found.
func (s *Service) List(ctx context.Context, c *access.Caller, customerID string) ([]domain.Role, error) {
	const op = "roles.List"
	if err := c.RequireUserManager(customerID); err != nil {
		return nil, err
	}
	if err := c.CustomerExists(ctx, customerID, s.Store.Customer); err != nil {
		return nil, errs.Wrap(op, err)
	}
	rs, err := s.Store.Roles(ctx, customerID)
	return rs, errs.Wrap(op, err)
}

// Create adds a role to a customer's catalogue; its name is required and
// must be new to the customer (without case). With an idempotency key, a
// retry answers the role the first attempt made.
func (s *Service) Create(ctx context.Context, c *access.Caller, customerID string, in Input, key *idem.Key) (domain.Role, error) {
	const op = "roles.Create"
	if err := c.RequireUserManager(customerID); err != nil {
		return domain.Role{}, err
	}
	now := s.now()
	r := domain.Role{ID: domain.NewID(domain.PrefixRole), CustomerID: customerID, CreatedAt: now, UpdatedAt: now, Version: 1}
	if in.Name == nil {
		in.Name = new(string)
	}
	if err := in.check(&r); err != nil {
		return domain.Role{}, err
	}
	key, err := idem.Look(ctx, s.Store, key, now)
	if err != nil {
		return domain.Role{}, errs.Wrap(op, err)
	}
	if ref := key.PriorRef(); ref != "" {
		return s.role(ctx, customerID, ref)
	}
	sc := domain.CustomerScope(customerID)
	x := c.ActingExtras(customerID)
	x.Idempotency = key.Record(r.ID, now)
	err = s.Store.ChangeRole(ctx, state.RoleChange{After: &r, Extras: x,
		Event: domain.NewEvent(now, c.ActorIn(sc), domain.ActionRoleCreated, domain.RoleTargetOf(r), sc)})
	if err != nil {
		ref, err := idem.LostRace(ctx, s.Store, key, err, now)
		if err != nil {
			return domain.Role{}, errs.Wrap(op, err)
		}
		return s.role(ctx, customerID, ref)
	}
	return r, nil
}

// role reads one role of a customer.
func (s *Service) role(ctx context.Context, customerID, id string) (domain.Role, error) {
	if !domain.ValidID(domain.PrefixRole, id) {
		return domain.Role{}, state.ErrNotFound
	}
	rs, err := s.Store.Roles(ctx, customerID)
	if err != nil {
		return domain.Role{}, err
	}
	if i := slices.IndexFunc(rs, func(r domain.Role) bool { return r.ID == id }); i >= 0 {
		return rs[i], nil
	}
	return domain.Role{}, state.ErrNotFound
}

// Update renames or describes a role; want, when not 0, is the version the
// caller read. A rename is one write of the role and its name record: every
// member holding the role shows the new name at once.
func (s *Service) Update(ctx context.Context, c *access.Caller, customerID, id string, in Input, want int) (domain.Role, error) {
	const op = "roles.Update"
	if err := c.RequireUserManager(customerID); err != nil {
		return domain.Role{}, err
	}
	if in.Name == nil && in.Description == nil {
		return domain.Role{}, errs.ErrEmptyChange
	}
	var r, after domain.Role
	err := state.Unpinned(want, func() error {
		var err error
		if r, err = s.role(ctx, customerID, id); err != nil {
			return err
		}
		if want > 0 && r.Version != want {
			return state.ErrStale
		}
		after = r
		if err := in.check(&after); err != nil {
			return err
		}
		if after.Name == r.Name && after.Description == r.Description {
			return nil // nothing changes: no new version, no audit event
		}
		now := s.now()
		after.Version, after.UpdatedAt = r.Version+1, now
		sc := domain.CustomerScope(customerID)
		return s.Store.ChangeRole(ctx, state.RoleChange{Before: &r, After: &after, Extras: c.ActingExtras(customerID),
			Event: domain.NewEvent(now, c.ActorIn(sc), domain.ActionRoleUpdated, domain.RoleTargetOf(r), sc)})
	})
	if err != nil {
		return r, errs.Wrap(op, err)
	}
	return after, nil
}

// Delete removes a role from the catalogue; want, when not 0, is the
// version the caller read. It is one write: members holding the role no
// longer show it from the next read.
func (s *Service) Delete(ctx context.Context, c *access.Caller, customerID, id string, want int) error {
	const op = "roles.Delete"
	if err := c.RequireUserManager(customerID); err != nil {
		return err
	}
	return errs.Wrap(op, state.Unpinned(want, func() error {
		r, err := s.role(ctx, customerID, id)
		if err != nil {
			return err
		}
		if want > 0 && r.Version != want {
			return state.ErrStale
		}
		sc := domain.CustomerScope(customerID)
		return s.Store.ChangeRole(ctx, state.RoleChange{Before: &r, Extras: c.ActingExtras(customerID),
			Event: domain.NewEvent(s.now(), c.ActorIn(sc), domain.ActionRoleDeleted, domain.RoleTargetOf(r), sc)})
	}))
}

// Catalogues reads customers' catalogues.
type Catalogues interface {
	Roles(ctx context.Context, customerID string) ([]domain.Role, error)
}

// Name gives members of one customer the names of their roles as the
// catalogue has them now, reading it (one Query) only when one of them
// holds a role by id.
func Name(ctx context.Context, st Catalogues, customerID string, ms ...*domain.Member) error {
	var ix domain.RoleIndex
	if domain.NeedsCatalogue(ms...) {
		rs, err := st.Roles(ctx, customerID)
		if err != nil {
			return err
		}
		ix = domain.IndexRoles(rs)
	}
	for _, m := range ms {
		if m != nil {
			m.Roles = ix.Names(m)
		}
	}
	return nil
}
