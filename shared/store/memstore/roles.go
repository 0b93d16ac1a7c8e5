package memstore

import (
	"context"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// ChangeRole writes the creation, change or deletion of a role with its
// name record, the customer's count of roles and the audit event, or
// nothing; the conditions in the DynamoDB store's order.
func (s *Store) ChangeRole(ctx context.Context, ch state.RoleChange) error {
	if err := s.writeRated(ctx, "ChangeRole", ch.Rate); err != nil {
		return err
	}
	defer s.mu.Unlock()
	b, a := ch.Before, ch.After
	cur := a
	if a == nil {
		cur = b
	}
	cid := cur.CustomerID
	stored, ok := s.roles[cid][cur.ID]
	renamed := b != nil && a != nil && domain.RoleKey(b.Name) != domain.RoleKey(a.Name)
	switch {
	case b == nil:
		if !s.open(cid) {
			return state.ErrNotFound
		}
		if len(s.roles[cid]) >= domain.MaxCatalogueRoles {
			return state.ErrLimit
		}
		if ok {
			return state.ErrConcurrent
		}
	case !ok || stored.Version != b.Version:
		return state.ErrStale
	case a == nil && s.customers[cid] == nil:
		return state.ErrNotFound
	}
	if b == nil || renamed {
		if _, taken := s.roleNames[cid][domain.RoleKey(a.Name)]; taken {
			return state.ErrRoleNameTaken
		}
	}
	if (a == nil || renamed) && s.roleNames[cid][domain.RoleKey(b.Name)] != b.ID {
		return state.ErrConcurrent
	}
	if err := s.checkAudit(ch.Event); err != nil {
		return err
	}
	if err := s.checkExtras(ch.Extras, domain.CustomerScope(cid)); err != nil {
		return err
	}
	if a == nil || renamed {
		delete(s.roleNames[cid], domain.RoleKey(b.Name))
	}
	if a == nil {
		delete(s.roles[cid], b.ID)
	} else {
		setIn(s.roles, cid, a.ID, *a)
		setIn(s.roleNames, cid, domain.RoleKey(a.Name), a.ID)
	}
	s.putAudit(ch.Event)
	s.applyExtras(ch.Extras)
	return nil
}

// Roles reads a customer's catalogue, by name without case.
func (s *Store) Roles(ctx context.Context, customerID string) ([]domain.Role, error) {
	if err := s.read(ctx, "Roles"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []domain.Role
	for _, r := range s.roles[customerID] {
		r.CreatedAt, r.UpdatedAt = roundTrip(r.CreatedAt), roundTrip(r.UpdatedAt)
		out = append(out, r)
	}
	domain.SortRoles(out)
	return out, nil
}
