package api

import (
	"context"
	"strconv"
	"strings"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

type inviteUserInput struct {
	Email     *string  `json:"email"`
	Name      *string  `json:"name"`
	Admin     *bool    `json:"admin"`
	Roles     []string `json:"roles"`
	PortalIDs []string `json:"portalIds"`
}

// userFields validates the fields a portal user is invited or updated with.
type userFields struct {
	Name      *string
	Admin     *bool
	Roles     []string
	PortalIDs []string
}

func (f userFields) clean(sx scopeContext, fields *[]apperr.FieldError) (name string, roles, portals []string) {
	name = cleanName("name", f.Name, false, fields)
	if f.Roles != nil {
		var i int
		var code string
		roles, i, code = domain.CleanRoles(f.Roles)
		if code != "" {
			field := "roles"
			if i >= 0 {
				field += "." + strconv.Itoa(i)
			}
			*fields = append(*fields, apperr.Field(field, code, "roles holds at most 20 roles of 1 to 64 characters."))
		}
	}
	if f.PortalIDs != nil {
		portals = dedupe(f.PortalIDs)
		if len(portals) > domain.MaxPortalIDs {
			*fields = append(*fields, apperr.Field("portalIds", "too_many", "portalIds holds at most 50 ids."))
		} else if fe := sx.checkPortals("portalIds", portals); fe != nil {
			*fields = append(*fields, *fe)
		}
	}
	return name, roles, portals
}

// InviteUser: operators and the customer's portal admins invite a portal
// user by e-mail; the user is unconfirmed until the invitation is accepted.
func InviteUser(d *Deps) httpapi.Endpoint {
	return d.authedInScope((*Caller).requireUserManager, func(ctx context.Context, r *httpapi.Request, c *Caller, sx scopeContext) (*httpapi.Response, error) {
		var in inviteUserInput
		if err := r.Decode(&in); err != nil {
			return nil, err
		}
		key, err := d.idempotencyKey(ctx, r, c, "invite-user:"+sx.Scope.CustomerID)
		if err != nil {
			return nil, err
		}
		var fields []apperr.FieldError
		email, code := domain.NormalizeEmail(deref(in.Email))
		if code != "" {
			fields = append(fields, apperr.Field("email", code, "email must be one valid e-mail address."))
		}
		name, roles, portals := userFields{in.Name, in.Admin, in.Roles, in.PortalIDs}.clean(sx, &fields)
		if len(fields) > 0 {
			return nil, apperr.Fields(fields...)
		}
		return d.inviteOnce(ctx, c, sx, key, newMember{Email: email, Name: name, Admin: deref(in.Admin), Roles: roles, PortalIDs: portals})
	})
}

// inviteOnce invites a member for a request that may carry an
// Idempotency-Key: a retry of it (or a copy of it racing it) finishes and
// answers what the first attempt created, instead of creating again.
func (d *Deps) inviteOnce(ctx context.Context, c *Caller, sx scopeContext, key *idemKey, nm newMember) (*httpapi.Response, error) {
	if ref := key.priorRef(); ref != "" {
		return d.answerResumed(ctx, c, sx, ref)
	}
	m, err := d.invite(ctx, c, sx, nm, d.countInvite(sx.Scope), key.record("", d))
	if err != nil {
		ref, err := d.lostRace(ctx, key, err)
		if err != nil {
			return nil, err
		}
		return d.answerResumed(ctx, c, sx, ref)
	}
	return createdMember(&m), nil
}

func (d *Deps) answerResumed(ctx context.Context, c *Caller, sx scopeContext, id string) (*httpapi.Response, error) {
	m, err := d.resumeInvite(ctx, c, sx, id)
	if err != nil {
		return nil, err
	}
	return createdMember(&m), nil
}

func createdMember(m *domain.Member) *httpapi.Response {
	return httpapi.Created(memberPath(m), viewMember(m)).WithETag(m.Version)
}

func memberPath(m *domain.Member) string {
	if m.Scope().IsProvider() {
		return "/v1/operators/" + m.ID
	}
	return "/v1/customers/" + m.CustomerID + "/users/" + m.ID
}

// ListUsers: a customer's users by category, searched by e-mail prefix.
func ListUsers(d *Deps) httpapi.Endpoint {
	return d.authed(func(ctx context.Context, r *httpapi.Request, c *Caller) (*httpapi.Response, error) {
		cid, err := customerParam(r)
		if err != nil {
			return nil, err
		}
		if err := c.requireUserManager(cid); err != nil {
			return nil, err
		}
		if !c.IsOperator() { // their membership proves the customer exists
			return d.listMembers(ctx, r, domain.CustomerScope(cid))
		}
		// Operators see every customer: tell an unknown one apart from an
		// empty one, at the same time as the listing.
		var res *httpapi.Response
		existsErr, listErr := both(func() error {
			_, err := d.Store.Customer(ctx, cid)
			return err
		}, func() error {
			var err error
			res, err = d.listMembers(ctx, r, domain.CustomerScope(cid))
			return err
		})
		if existsErr != nil {
			return nil, existsErr
		}
		return res, listErr
	})
}

// listMembers answers one page of a scope's members.
func (d *Deps) listMembers(ctx context.Context, r *httpapi.Request, sc domain.Scope) (*httpapi.Response, error) {
	q, err := r.Query("status", "search", "limit", "cursor")
	if err != nil {
		return nil, err
	}
	var fields []apperr.FieldError
	status := q["status"]
	if _, ok := q["status"]; ok && !domain.ValidStatus(status) {
		fields = append(fields, apperr.Field("status", "invalid_status", "status must be enabled, disabled or unconfirmed."))
	}
	search := strings.ToLower(strings.TrimSpace(q["search"]))
	if len(search) > domain.MaxEmailLength || strings.ContainsFunc(search, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		fields = append(fields, apperr.Field("search", "invalid_search", "search must be at most 254 printable characters."))
	}
	limit, fe := q.Limit(50, 200)
	if fe != nil {
		fields = append(fields, *fe)
	}
	if len(fields) > 0 {
		return nil, apperr.Fields(fields...)
	}
	binding := "members\x00" + sc.CustomerID + "\x00" + status + "\x00" + search
	start, err := d.Cursors.Decode(binding, q["cursor"])
	if err != nil {
		return nil, err
	}
	items, next, err := d.Store.ListMembers(ctx, sc, domain.Status(status), search, limit, start)
	if err != nil {
		return nil, err
	}
	out := listView[any]{Items: make([]any, 0, len(items)), NextCursor: d.Cursors.Encode(binding, next)}
	for i := range items {
		out.Items = append(out.Items, viewMember(&items[i]))
	}
	return httpapi.OK(out), nil
}

// GetUser: one portal user.
func GetUser(d *Deps) httpapi.Endpoint {
	return d.authed(func(ctx context.Context, r *httpapi.Request, c *Caller) (*httpapi.Response, error) {
		sc, id, err := userTarget(r, c)
		if err != nil {
			return nil, err
		}
		m, err := d.Store.Member(ctx, sc, id, true)
		if err != nil {
			return nil, err
		}
		return httpapi.OK(viewMember(&m)).WithETag(m.Version), nil
	})
}

// userTarget reads {customerId} and {userId} and checks that the caller
// manages the customer's users.
func userTarget(r *httpapi.Request, c *Caller) (domain.Scope, string, error) {
	cid, err := customerParam(r)
	if err != nil {
		return domain.Scope{}, "", err
	}
	if err := c.requireUserManager(cid); err != nil {
		return domain.Scope{}, "", err
	}
	id := r.Path("userId")
	if !domain.ValidID(domain.PrefixUser, id) {
		return domain.Scope{}, "", apperr.ErrNotFound
	}
	return domain.CustomerScope(cid), id, nil
}

func dedupe(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
