package sweep

import (
	"context"
	"errors"
	"slices"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// The migration of the free-text roles. Members written before the role
// catalogue hold role names of their own (domain.Member.LegacyRoles). The
// migration walks every customer of the listing and, in each, its members in
// pages; for every name a member holds it finds the catalogue's role of that
// name (without case) or makes it (role.created, by the system), and then
// rewrites the member to the roles' ids in one transaction on the version it
// read (its version goes up, so that a change computed from the older read
// is refused as stale and read again; nothing is audited: the member shows
// the same roles). Where it stands is the marker MIGRATION#roles, written
// after each bounded step: a sweep that dies in a step does it again, and
// every part of it is idempotent (a role made before the crash is found by
// its name; a member rewritten holds no free text any more). Once done,
// each run reads the marker only.
//
// A catalogue holds at most domain.MaxCatalogueRoles roles: names beyond
// that stay on their members as free text, shown as before, until an admin
// gives those members roles of the catalogue; the sweep logs how many.

const rolesMigration = "roles"

// rolesStep is how many members one step of the migration reads.
const rolesStep = 500

// MigrationStore is what the migration of the free-text roles reads and writes.
type MigrationStore interface {
	Migration(ctx context.Context, name string) (state.Migration, error)
	PutMigration(ctx context.Context, name string, m state.Migration) error
	ListCustomers(ctx context.Context, limit int32, start state.PageKey) (state.Page[domain.Customer], error)
	ListMembers(ctx context.Context, sc domain.Scope, status domain.Status, search string, limit int32, start state.PageKey) (state.Page[domain.Member], error)
	Member(ctx context.Context, sc domain.Scope, id string) (domain.Member, error)
	Roles(ctx context.Context, customerID string) ([]domain.Role, error)
	ChangeRole(ctx context.Context, ch state.RoleChange) error
	ChangeMember(ctx context.Context, ch state.MemberChange) error
}

// MigrateRoles does up to limit members' worth of the migration of the
// free-text roles; more says there is work left.
func (s *Sweeper) MigrateRoles(ctx context.Context, limit int) (more bool, err error) {
	st := s.Store
	mk, err := st.Migration(ctx, rolesMigration)
	if err != nil || mk.Done {
		return false, err
	}
	for limit > 0 {
		if mk.CustomerID == "" {
			p, err := st.ListCustomers(ctx, 1, mk.Customers)
			if err != nil {
				return true, err
			}
			if len(p.Items) == 0 {
				mk = state.Migration{Done: true}
				break
			}
			mk.CustomerID, mk.Customers, mk.LastCustomer, mk.Members = p.Items[0].ID, p.Next, p.Next == nil, nil
		}
		sc := domain.CustomerScope(mk.CustomerID)
		page, err := st.ListMembers(ctx, sc, "", "", int32(min(limit, sweepPage)), mk.Members)
		if err != nil {
			return true, err
		}
		limit -= len(page.Items) + 1
		var cat *roleBook
		for _, m := range page.Items {
			if len(m.LegacyRoles) == 0 {
				continue
			}
			if cat == nil {
				if cat, err = s.roleBook(ctx, mk.CustomerID); err != nil {
					return true, err
				}
			}
			if err := s.migrateMember(ctx, cat, m); err != nil {
				return true, err
			}
		}
		if page.Next != nil {
			mk.Members = page.Next
			continue
		}
		if mk.LastCustomer {
			mk = state.Migration{Done: true}
			break
		}
		mk.CustomerID, mk.Members = "", nil
	}
	if err := st.PutMigration(ctx, rolesMigration, mk); err != nil {
		return true, err
	}
	return !mk.Done, nil
}

// roleBook is one customer's catalogue as the migration knows it.
type roleBook struct {
	customerID string
	byName     map[string]domain.Role
	full       bool
}

func (s *Sweeper) roleBook(ctx context.Context, customerID string) (*roleBook, error) {
	rs, err := s.Store.Roles(ctx, customerID)
	if err != nil {
		return nil, err
	}
	b := &roleBook{customerID: customerID, byName: map[string]domain.Role{}, full: len(rs) >= domain.MaxCatalogueRoles}
	for _, r := range rs {
		b.byName[domain.RoleKey(r.Name)] = r
	}
	return b, nil
}

// role finds the catalogue's role of a name or makes it; ok is false when
// the catalogue is full.
func (s *Sweeper) role(ctx context.Context, b *roleBook, name string) (domain.Role, bool, error) {
	if r, found := b.byName[domain.RoleKey(name)]; found {
		return r, true, nil
	}
	if b.full {
		return domain.Role{}, false, nil
	}
	now := s.Now().UTC()
	r := domain.Role{ID: domain.NewID(domain.PrefixRole), CustomerID: b.customerID, Name: name, CreatedAt: now, UpdatedAt: now, Version: 1}
	sc := domain.CustomerScope(b.customerID)
	err := s.Store.ChangeRole(ctx, state.RoleChange{After: &r,
		Event: domain.NewEvent(now, domain.SystemActor, domain.ActionRoleCreated, domain.RoleTargetOf(r), sc)})
	switch {
	case err == nil:
		b.byName[domain.RoleKey(name)] = r
		return r, true, nil
	case errors.Is(err, state.ErrRoleNameTaken), errors.Is(err, state.ErrLimit):
		// Made meanwhile (by an admin, or a sweep beside this one), or the
		// catalogue filled up: read it again.
		fresh, err := s.roleBook(ctx, b.customerID)
		if err != nil {
			return domain.Role{}, false, err
		}
		*b = *fresh
		r, found := b.byName[domain.RoleKey(name)]
		return r, found, nil
	default:
		return domain.Role{}, false, err
	}
}

// migrateMember rewrites one member's free-text roles to the catalogue's
// ids; a member changed meanwhile is read again.
func (s *Sweeper) migrateMember(ctx context.Context, b *roleBook, m domain.Member) error {
	for attempt := 0; ; attempt++ {
		ids := slices.Clone(m.RoleIDs)
		var rest []string
		for _, raw := range m.LegacyRoles {
			name, code := domain.CleanRoleName(raw)
			if code != "" {
				rest = append(rest, raw) // not a name the catalogue can hold: left as it is
				continue
			}
			r, ok, err := s.role(ctx, b, name)
			if err != nil {
				return err
			}
			if !ok {
				rest = append(rest, raw)
				continue
			}
			if !slices.Contains(ids, r.ID) {
				ids = append(ids, r.ID)
			}
		}
		if len(rest) > 0 {
			s.Log.WarnContext(ctx, "the role catalogue is full: roles left as free text", "customerId", m.CustomerID, "userId", m.ID, "left", len(rest))
		}
		if slices.Equal(rest, m.LegacyRoles) {
			return nil // nothing the catalogue can take
		}
		after := m
		after.RoleIDs, after.LegacyRoles, after.Version = ids, rest, m.Version+1
		err := s.Store.ChangeMember(ctx, state.MemberChange{Before: m, After: &after, Now: s.Now().UTC(), Unaudited: true})
		if err == nil || (!errors.Is(err, state.ErrStale) && !errors.Is(err, state.ErrConcurrent)) || attempt == 3 {
			return err
		}
		// Changed meanwhile: read it again (gone, or its roles given anew: done).
		if m, err = s.Store.Member(ctx, m.Scope(), m.ID); errors.Is(err, state.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if len(m.LegacyRoles) == 0 {
			return nil
		}
	}
}
