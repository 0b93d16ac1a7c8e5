package members

import (
	"context"
	"slices"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/check"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// UpdateUser changes the name, admin flag, roles and portal setups of a
// portal user. want, when not 0, is the version the caller read (If-Match):
// a user changed since is state.ErrStale. Changing nothing writes nothing.
func (s *Service) UpdateUser(ctx context.Context, c *access.Caller, t Target, p Profile, want int) (domain.Member, error) {
	const op = "members.UpdateUser"
	if err := authorize(c, t); err != nil {
		return domain.Member{}, err
	}
	if p.Name == nil && p.Admin == nil && p.Roles == nil && p.PortalIDs == nil && p.AccessUntil == nil {
		return domain.Member{}, errs.ErrEmptyChange
	}
	sc := Scope{roles: &catalogue{}}
	if p.PortalIDs != nil {
		if sc = s.LoadScope(ctx, t.Scope); sc.err != nil {
			return domain.Member{}, errs.Wrap(op, sc.err)
		}
	}
	if p.Roles != nil {
		if err := s.load(ctx, t.Scope, sc.roles); err != nil {
			return domain.Member{}, errs.Wrap(op, err)
		}
	}
	var fs check.Fields
	name, roles, portals := sc.checkProfile(p, &fs)
	until, setUntil := parseAccessUntil("accessUntil", p.AccessUntil, s.now(), &fs)
	if err := fs.Err(); err != nil {
		return domain.Member{}, err
	}
	m, _, err := s.modify(ctx, t, want, sc.roles, func(m domain.Member, now time.Time) (*state.MemberChange, error) {
		after, ch := newChange(c, m, now, domain.ActionUpdated)
		if p.Name != nil {
			after.Name = name
		}
		if p.Admin != nil {
			after.Admin = *p.Admin
		}
		if p.Roles != nil {
			// The roles given replace the member's, free-text ones too; the
			// ids of roles deleted since are dropped with them.
			after.RoleIDs, after.LegacyRoles = roles, nil
		}
		if p.PortalIDs != nil {
			after.PortalIDs = portals
		}
		if setUntil && !sameTime(m.AccessUntil, until) {
			s.setAccess(after, until, now)
		}
		if ownMembership(c, m) && widens(&m, after) {
			return nil, ErrOwnAccess
		}
		if after.Name == m.Name && after.Admin == m.Admin && slices.Equal(after.RoleIDs, m.RoleIDs) && slices.Equal(after.LegacyRoles, m.LegacyRoles) && slices.Equal(after.PortalIDs, m.PortalIDs) &&
			sameTime(after.AccessUntil, m.AccessUntil) {
			return nil, nil // nothing changes: no new version, no audit event
		}
		return &ch, nil
	})
	return m, errs.Wrap(op, err)
}

// UpdateOperator changes the name, role and access end of an operator;
// want as for UpdateUser,
// accessUntil as Profile's.
func (s *Service) UpdateOperator(ctx context.Context, c *access.Caller, t Target, name, role, accessUntil *string, want int) (domain.Member, error) {
	const op = "members.UpdateOperator"
	if err := authorize(c, t); err != nil {
		return domain.Member{}, err
	}
	if name == nil && role == nil && accessUntil == nil {
		return domain.Member{}, errs.ErrEmptyChange
	}
	var fs check.Fields
	var clean string
	check.Given(&fs, "name", name, domain.CleanName, &clean)
	until, setUntil := parseAccessUntil("accessUntil", accessUntil, s.now(), &fs)
	if role != nil && !domain.ValidOperatorRole(*role) {
		fs.Refuse("role", "invalid_role")
	}
	if err := fs.Err(); err != nil {
		return domain.Member{}, err
	}
	m, _, err := s.modify(ctx, t, want, nil, func(m domain.Member, now time.Time) (*state.MemberChange, error) {
		after, ch := newChange(c, m, now, domain.ActionUpdated)
		if name != nil {
			after.Name = clean
		}
		if role != nil {
			after.Role = domain.OperatorRole(*role)
		}
		if setUntil && !sameTime(m.AccessUntil, until) {
			s.setAccess(after, until, now)
		}
		if after.Name == m.Name && after.Role == m.Role && sameTime(after.AccessUntil, m.AccessUntil) {
			return nil, nil
		}
		return &ch, nil
	})
	return m, errs.Wrap(op, err)
}

func sameTime(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}
