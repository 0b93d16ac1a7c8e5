package members

import (
	"slices"
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/check"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
)

// Errors of access that ends by itself and of the customer's policy.
var (
	// ErrDomainNotAllowed: the customer's policy does not allow new members
	// at the e-mail's domain. It names the field.
	ErrDomainNotAllowed = &errs.Error{Kind: errs.Invalid, Reason: "domain_not_allowed", Fields: []errs.Field{errs.F("email", "domain_not_allowed")}}
	// ErrAccessEnded: the member's accessUntil has passed; extend or clear
	// it before re-inviting.
	ErrAccessEnded = errs.New(errs.Conflict, "access_ended")
	// ErrSelfInvite: nobody invites their own e-mail into a customer (nor
	// re-invites a member of it): provider staff would otherwise give
	// themselves a membership that outlives their staff access. It names
	// the field.
	ErrSelfInvite = &errs.Error{Kind: errs.Invalid, Reason: "self_invite", Fields: []errs.Field{errs.F("email", "self_invite")}}
	// ErrOwnAccess: nobody gives their own customer membership more access
	// (enables it, makes it a portal admin, links it to more portal setups,
	// or moves its end date later or clears it): another manager must.
	// Staff would otherwise keep a membership that outlives their staff
	// access, and a portal admin would lift an end date an operator set.
	ErrOwnAccess = errs.New(errs.Permission, "own_access")
)

// ownMembership reports whether m is the caller's own membership (the
// identity it signs in with): ErrOwnAccess holds for what widens it.
func ownMembership(c *access.Caller, m domain.Member) bool {
	return c != nil && m.Sub != "" && m.Sub == c.Sub && !m.Scope().IsProvider()
}

// widens reports whether after gives its member more access than before:
// enabled, admin, more portal setups, a later end date or none.
func widens(before, after *domain.Member) bool {
	switch {
	case after.Status == domain.StatusEnabled && before.Status != domain.StatusEnabled,
		after.Admin && !before.Admin:
		return true
	case before.AccessUntil != nil && (after.AccessUntil == nil || after.AccessUntil.After(*before.AccessUntil)):
		return true
	}
	for _, id := range after.PortalIDs {
		if !slices.Contains(before.PortalIDs, id) {
			return true
		}
	}
	return false
}

// selfInvite reports whether an invitation into the scope is for the
// caller's own e-mail (any of their memberships'): refused in a customer.
func selfInvite(c *access.Caller, sc domain.Scope, email string) bool {
	if sc.IsProvider() || c == nil {
		return false
	}
	same := func(e string) bool { return e != "" && strings.EqualFold(strings.TrimSpace(e), email) }
	if same(c.Email) || c.Operator != nil && same(c.Operator.Email) {
		return true
	}
	for _, m := range c.Memberships {
		if m != nil && same(m.Email) {
			return true
		}
	}
	return false
}

// parseAccessUntil checks an accessUntil as the caller gives it: an RFC 3339
// moment in the future, or "" (which the caller means as "clear it").
func parseAccessUntil(field string, raw *string, now time.Time, fs *check.Fields) (*time.Time, bool) {
	if raw == nil {
		return nil, false
	}
	if *raw == "" {
		return nil, true
	}
	t, err := time.Parse(time.RFC3339Nano, *raw)
	if err != nil {
		fs.Refuse(field, "invalid_time")
		return nil, false
	}
	if !t.After(now) {
		fs.Refuse(field, "not_future")
		return nil, false
	}
	if t.Sub(now) > maxAccessAhead {
		fs.Refuse(field, "too_far")
		return nil, false
	}
	t = t.UTC().Truncate(time.Millisecond)
	return &t, true
}

// maxAccessAhead is how far ahead an access may be set to end.
const maxAccessAhead = 10 * 366 * 24 * time.Hour

// setAccess gives m the access end until (nil: none), with its reminder
// due ACCESS_REMINDER before, unless that moment has passed already (the
// admin who set it so close knows it; nobody is reminded).
func (s *Service) setAccess(m *domain.Member, until *time.Time, now time.Time) {
	m.AccessUntil, m.AccessRemindAt, m.AccessReminder = until, nil, ""
	if until == nil {
		return
	}
	if r := s.Config.AccessReminder; r > 0 {
		if at := until.Add(-r); at.After(now) {
			m.AccessRemindAt = &at
		}
	}
}

// defaultAccess is the access end of a new member that was given none: the
// provider's default length for technicians (TECHNICIAN_ACCESS_DEFAULT).
func (s *Service) defaultAccess(nm *newMember, now time.Time) {
	if nm.AccessUntil == nil && nm.Role == domain.RoleTechnician && s.Config.TechnicianAccess > 0 {
		t := now.Add(s.Config.TechnicianAccess).Truncate(time.Millisecond)
		nm.AccessUntil = &t
	}
}

// allowed checks a new member's e-mail against the customer's policy.
func (sc Scope) allowed(email string) bool {
	return sc.Customer == nil || sc.Customer.Policy.AllowsEmail(email)
}
