package members

import (
	"context"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/check"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Rows of an import (shared/app/imports) are invited here, each as a bulk
// invite's row is: the same checks, the customer's policy, the seat limit,
// the invitation rate limit, and the same recognition of a member that an
// earlier attempt of the very row made.

// CheckImportRow checks the caller's import's row in place against the
// scope: its fields cleaned, or its outcome invalid with the first reason
// found (the caller's own e-mail is ErrSelfInvite's).
func (sc Scope) CheckImportRow(c *access.Caller, r *domain.ImportRow) {
	email, code := domain.NormalizeEmail(r.Email)
	if code != "" {
		if code == "required" {
			code = "email_required"
		}
		r.Outcome, r.Reason = domain.OutcomeInvalid, code
		return
	}
	r.Email = email
	var fs check.Fields
	name := r.Name
	var namep *string
	if name != "" {
		namep = &name
	}
	var rolesIn *RoleChoice
	if len(r.Roles) > 0 {
		rolesIn = &RoleChoice{Names: r.Roles}
	}
	var portalsIn []string
	if len(r.PortalIDs) > 0 {
		portalsIn = r.PortalIDs
	}
	n, roles, portals := sc.checkProfile(Profile{Name: namep, Roles: rolesIn, PortalIDs: portalsIn}, &fs)
	if err := fs.Err(); err != nil {
		first := errs.As(err).Fields[0]
		f, _, _ := cutField(first.Name)
		r.Outcome, r.Reason = domain.OutcomeInvalid, f+"_"+first.Reason
		return
	}
	// The row keeps the roles by the catalogue's names (matched again when
	// it is invited).
	r.Name, r.Roles, r.PortalIDs = n, sc.catalogue().Names(&domain.Member{RoleIDs: roles}), portals
	switch {
	case !sc.allowed(r.Email):
		r.Outcome, r.Reason = domain.OutcomeInvalid, ErrDomainNotAllowed.Reason
	case selfInvite(c, sc.Scope, r.Email):
		r.Outcome, r.Reason = domain.OutcomeInvalid, ErrSelfInvite.Reason
	}
}

// cutField is a field's name without its index ("roles.3" is "roles").
func cutField(name string) (string, string, bool) {
	for i := 0; i < len(name); i++ {
		if name[i] == '.' {
			return name[:i], name[i+1:], true
		}
	}
	return name, "", false
}

// ImportRow invites one row of an import for the caller, idempotently:
// request names the row (the import's id and the row's number), and a
// member that an earlier attempt of this row made is the row's own, its
// e-mail finished if it did not go out. The row comes back with its
// outcome; an error (the rate limit full, the store unavailable) leaves
// the row to be tried again.
func (s *Service) ImportRow(ctx context.Context, c *access.Caller, sc Scope, r domain.ImportRow, request string) (domain.ImportRow, error) {
	if err := c.RequireManager(sc.Scope); err != nil {
		r.Outcome, r.Reason = domain.OutcomeInvalid, ReasonNotAllowed
		return r, nil
	}
	if sc.err != nil {
		return r, sc.err
	}
	sc.CheckImportRow(c, &r) // the policy or the portal setups may have changed since the upload
	if r.Outcome != "" {
		return r, nil
	}
	var x state.Extras
	if !r.Later {
		x.Rate = s.countInvites(sc.Scope, 1)
	}
	var roleIDs []string
	if len(r.Roles) > 0 {
		roleIDs, _, _ = sc.catalogue().Match(r.Roles)
	}
	res, err := s.bulkOne(ctx, c, sc, newMember{Email: r.Email, Name: r.Name, Admin: r.Admin, RoleIDs: roleIDs,
		PortalIDs: r.PortalIDs, Request: request, Later: r.Later}, x)
	if err != nil {
		return r, err
	}
	r.Outcome, r.Reason = res.Outcome, res.Reason
	if res.User != nil {
		r.UserID = res.User.ID
	}
	return r, nil
}

// Seats are how many more members the scope's seat limit lets in now; -1
// when it has none.
func (sc Scope) Seats() int {
	if sc.Customer == nil || sc.Customer.Policy.SeatLimit == 0 {
		return -1
	}
	return max(0, sc.Customer.Policy.SeatLimit-sc.Customer.Seats)
}

// Err is the error of loading the scope, if any.
func (sc Scope) Err() error { return sc.err }
