package api

import (
	"context"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/store"
)

// The life cycle of portal users and operators: the same handlers, each
// route its own function.

func onTarget(d *Deps, operators bool, f func(ctx context.Context, c *Caller, t target) (*httpapi.Response, error)) httpapi.Endpoint {
	return d.authed(func(ctx context.Context, r *httpapi.Request, c *Caller) (*httpapi.Response, error) {
		t, err := memberTarget(r, c, operators)
		if err != nil {
			return nil, err
		}
		return f(ctx, c, t)
	})
}

func enable(d *Deps) func(context.Context, *Caller, target) (*httpapi.Response, error) {
	return func(ctx context.Context, c *Caller, t target) (*httpapi.Response, error) {
		return d.setStatus(ctx, c, t, domain.StatusEnabled)
	}
}

func disable(d *Deps) func(context.Context, *Caller, target) (*httpapi.Response, error) {
	return func(ctx context.Context, c *Caller, t target) (*httpapi.Response, error) {
		return d.setStatus(ctx, c, t, domain.StatusDisabled)
	}
}

func get(d *Deps) func(context.Context, *Caller, target) (*httpapi.Response, error) {
	return func(ctx context.Context, c *Caller, t target) (*httpapi.Response, error) {
		m, err := d.Store.Member(ctx, t.sc, t.id, true)
		if err != nil {
			return nil, err
		}
		return memberResponse(&m), nil
	}
}

// EnableUser gives a disabled portal user access again.
func EnableUser(d *Deps) httpapi.Endpoint { return onTarget(d, false, enable(d)) }

// DisableUser refuses a portal user's next request at once.
func DisableUser(d *Deps) httpapi.Endpoint { return onTarget(d, false, disable(d)) }

// DeleteUser removes a portal user for good.
func DeleteUser(d *Deps) httpapi.Endpoint { return onTarget(d, false, d.deleteMember) }

// ReinviteUser sends an unconfirmed portal user a fresh invitation.
func ReinviteUser(d *Deps) httpapi.Endpoint { return onTarget(d, false, d.reinvite) }

// GetOperator reads one operator.
func GetOperator(d *Deps) httpapi.Endpoint { return onTarget(d, true, get(d)) }

// EnableOperator gives a disabled operator access again.
func EnableOperator(d *Deps) httpapi.Endpoint { return onTarget(d, true, enable(d)) }

// DisableOperator refuses an operator's next request at once.
func DisableOperator(d *Deps) httpapi.Endpoint { return onTarget(d, true, disable(d)) }

// DeleteOperator removes an operator for good.
func DeleteOperator(d *Deps) httpapi.Endpoint { return onTarget(d, true, d.deleteMember) }

// ReinviteOperator sends an unconfirmed operator a fresh invitation.
func ReinviteOperator(d *Deps) httpapi.Endpoint { return onTarget(d, true, d.reinvite) }

// ListOperators: operator admins page through the provider's staff.
func ListOperators(d *Deps) httpapi.Endpoint {
	return d.authed(func(ctx context.Context, r *httpapi.Request, c *Caller) (*httpapi.Response, error) {
		if err := c.requireOperatorAdmin(); err != nil {
			return nil, err
		}
		return d.listMembers(ctx, r, domain.ProviderScope)
	})
}

type inviteOperatorInput struct {
	Email *string `json:"email"`
	Name  *string `json:"name"`
	Role  *string `json:"role"`
}

// InviteOperator: operator admins invite provider staff.
func InviteOperator(d *Deps) httpapi.Endpoint {
	return d.authed(func(ctx context.Context, r *httpapi.Request, c *Caller) (*httpapi.Response, error) {
		if err := c.requireOperatorAdmin(); err != nil {
			return nil, err
		}
		var in inviteOperatorInput
		if err := r.Decode(&in); err != nil {
			return nil, err
		}
		key, err := d.idempotencyKey(ctx, r, c, "invite-operator")
		if err != nil {
			return nil, err
		}
		var fields []apperr.FieldError
		email, code := domain.NormalizeEmail(deref(in.Email))
		if code != "" {
			fields = append(fields, apperr.Field("email", code, "email must be one valid e-mail address."))
		}
		name := cleanName("name", in.Name, false, &fields)
		if !domain.ValidOperatorRole(deref(in.Role)) {
			fields = append(fields, apperr.Field("role", "invalid_role", `role must be "admin" or "technician".`))
		}
		if len(fields) > 0 {
			return nil, apperr.Fields(fields...)
		}
		return d.inviteOnce(ctx, c, scopeContext{Scope: domain.ProviderScope}, key,
			newMember{Email: email, Name: name, Role: domain.OperatorRole(*in.Role)})
	})
}

// ListAuditEvents: a customer's audit trail, newest first.
func ListAuditEvents(d *Deps) httpapi.Endpoint {
	return d.authed(func(ctx context.Context, r *httpapi.Request, c *Caller) (*httpapi.Response, error) {
		cid, err := customerParam(r)
		if err != nil {
			return nil, err
		}
		if err := c.requireUserManager(cid); err != nil {
			return nil, err
		}
		q, err := r.Query("limit", "cursor")
		if err != nil {
			return nil, err
		}
		limit, fe := q.Limit(50, 200)
		if fe != nil {
			return nil, apperr.Fields(*fe)
		}
		binding := "audit\x00" + cid
		start, err := d.Cursors.Decode(binding, q["cursor"])
		if err != nil {
			return nil, err
		}
		var items []domain.AuditEvent
		var next store.Key
		existsErr, listErr := both(func() error {
			if !c.IsOperator() {
				return nil // their membership proves the customer exists
			}
			_, err := d.Store.Customer(ctx, cid)
			return err
		}, func() error {
			var err error
			items, next, err = d.Store.ListAudit(ctx, domain.CustomerScope(cid), limit, start)
			return err
		})
		if existsErr != nil {
			return nil, existsErr
		}
		if listErr != nil {
			return nil, listErr
		}
		out := listView[auditView]{Items: make([]auditView, 0, len(items)), NextCursor: d.Cursors.Encode(binding, next)}
		for i := range items {
			out.Items = append(out.Items, viewAudit(&items[i]))
		}
		return httpapi.OK(out), nil
	})
}
