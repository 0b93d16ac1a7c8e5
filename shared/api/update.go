package api

import (
	"context"
	"slices"
	"time"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/store"
)

type updateUserInput struct {
	Name      *string  `json:"name"`
	Admin     *bool    `json:"admin"`
	Roles     []string `json:"roles"`
	PortalIDs []string `json:"portalIds"`
}

type updateOperatorInput struct {
	Name *string `json:"name"`
	Role *string `json:"role"`
}

// UpdateUser: name, admin flag, roles and portal setups of a portal user.
func UpdateUser(d *Deps) httpapi.Endpoint {
	return d.authed(func(ctx context.Context, r *httpapi.Request, c *Caller) (*httpapi.Response, error) {
		t, err := memberTarget(r, c, false)
		if err != nil {
			return nil, err
		}
		var in updateUserInput
		if err := r.Decode(&in); err != nil {
			return nil, err
		}
		if in.Name == nil && in.Admin == nil && in.Roles == nil && in.PortalIDs == nil {
			return nil, apperr.Fields(apperr.Field("body", "empty", "Send at least one of name, admin, roles, portalIds."))
		}
		want, err := ifMatch(r)
		if err != nil {
			return nil, err
		}
		sx := scopeContext{Scope: t.sc}
		if in.PortalIDs != nil {
			if sx, err = d.loadScope(ctx, t.sc); err != nil {
				return nil, err
			}
		}
		var fields []apperr.FieldError
		name, roles, portals := userFields{in.Name, in.Admin, in.Roles, in.PortalIDs}.clean(sx, &fields)
		if len(fields) > 0 {
			return nil, apperr.Fields(fields...)
		}
		m, _, err := d.modify(ctx, t, want, func(m domain.Member, now time.Time) (*store.MemberChange, error) {
			after, ch := d.base(c, m, now, domain.ActionUpdated)
			if in.Name != nil {
				after.Name = name
			}
			if in.Admin != nil {
				after.Admin = *in.Admin
			}
			if in.Roles != nil {
				after.Roles = roles
			}
			if in.PortalIDs != nil {
				after.PortalIDs = portals
			}
			if after.Name == m.Name && after.Admin == m.Admin && slices.Equal(after.Roles, m.Roles) && slices.Equal(after.PortalIDs, m.PortalIDs) {
				return nil, nil // nothing changes: no new version, no audit event
			}
			return &ch, nil
		})
		if err != nil {
			return nil, err
		}
		return memberResponse(&m), nil
	})
}

// UpdateOperator: name and role of an operator.
func UpdateOperator(d *Deps) httpapi.Endpoint {
	return d.authed(func(ctx context.Context, r *httpapi.Request, c *Caller) (*httpapi.Response, error) {
		t, err := memberTarget(r, c, true)
		if err != nil {
			return nil, err
		}
		var in updateOperatorInput
		if err := r.Decode(&in); err != nil {
			return nil, err
		}
		if in.Name == nil && in.Role == nil {
			return nil, apperr.Fields(apperr.Field("body", "empty", "Send at least one of name, role."))
		}
		want, err := ifMatch(r)
		if err != nil {
			return nil, err
		}
		var fields []apperr.FieldError
		name := cleanName("name", in.Name, false, &fields)
		if in.Role != nil && !domain.ValidOperatorRole(*in.Role) {
			fields = append(fields, apperr.Field("role", "invalid_role", `role must be "admin" or "technician".`))
		}
		if len(fields) > 0 {
			return nil, apperr.Fields(fields...)
		}
		m, _, err := d.modify(ctx, t, want, func(m domain.Member, now time.Time) (*store.MemberChange, error) {
			after, ch := d.base(c, m, now, domain.ActionUpdated)
			if in.Name != nil {
				after.Name = name
			}
			if in.Role != nil {
				after.Role = domain.OperatorRole(*in.Role)
			}
			if after.Name == m.Name && after.Role == m.Role {
				return nil, nil
			}
			return &ch, nil
		})
		if err != nil {
			return nil, err
		}
		return memberResponse(&m), nil
	})
}
