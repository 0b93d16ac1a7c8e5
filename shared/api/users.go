package api

import (
	"context"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

// A customer's portal users.

// ListUsers: GET /v1/customers/{customerId}/users, by category and search.
func ListUsers(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireUserManager, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		return s.listMembers(ctx, r, c, domain.CustomerScope(cid))
	})
}

type inviteUserInput struct {
	Email     *string  `json:"email"`
	Name      *string  `json:"name"`
	Admin     *bool    `json:"admin"`
	Roles     roleList `json:"roles"`
	PortalIDs []string `json:"portalIds"`
	// SendInvitation false adds the user now, to be invited later.
	SendInvitation *bool `json:"sendInvitation"`
	// AccessUntil is when the user's access ends (RFC 3339).
	AccessUntil *string `json:"accessUntil"`
}

// InviteUser: POST /v1/customers/{customerId}/users.
func InviteUser(s *Services) httpapi.Endpoint {
	return s.inScope(func(ctx context.Context, r *httpapi.Request, c *access.Caller, sc members.Scope) (*httpapi.Response, error) {
		var in inviteUserInput
		key, err := decodeCreate(r, c, "invite-user:"+sc.Scope.CustomerID, &in)
		if err != nil {
			return nil, err
		}
		m, err := s.Members.Invite(ctx, c, sc, members.Invitee{
			Email: deref(in.Email), Name: in.Name, Admin: in.Admin, Roles: in.Roles.value(), PortalIDs: in.PortalIDs, SendInvitation: in.SendInvitation,
			AccessUntil: in.AccessUntil,
		}, key)
		if err != nil {
			return nil, err
		}
		return createdMember(&m), nil
	})
}

type bulkInput struct {
	Emails         []string `json:"emails"`
	Admin          *bool    `json:"admin"`
	Roles          roleList `json:"roles"`
	PortalIDs      []string `json:"portalIds"`
	SendInvitation *bool    `json:"sendInvitation"`
	AccessUntil    *string  `json:"accessUntil"`
}

type bulkResultView struct {
	Email   string         `json:"email"`
	Outcome string         `json:"outcome"`
	User    *userView      `json:"user,omitempty"`
	Error   *bulkErrorView `json:"error,omitempty"`
}

type bulkErrorView struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// BulkInviteUsers: POST /v1/customers/{customerId}/users/bulk.
func BulkInviteUsers(s *Services) httpapi.Endpoint {
	return s.inScope(func(ctx context.Context, r *httpapi.Request, c *access.Caller, sc members.Scope) (*httpapi.Response, error) {
		var in bulkInput
		if err := r.Decode(&in); err != nil {
			return nil, err
		}
		if len(in.Emails) == 0 || len(in.Emails) > members.MaxBulk {
			return nil, members.ErrBulkCount
		}
		key, err := idempotencyKey(r, c, "bulk-invite:"+sc.Scope.CustomerID)
		if err != nil {
			return nil, err
		}
		results, err := s.Members.BulkInvite(ctx, c, sc, in.Emails, members.Profile{Admin: in.Admin, Roles: in.Roles.value(), PortalIDs: in.PortalIDs, SendInvitation: in.SendInvitation, AccessUntil: in.AccessUntil}, key)
		if err != nil {
			return nil, err
		}
		out := make([]bulkResultView, len(results))
		for i, res := range results {
			out[i] = bulkResultView{Email: res.Email, Outcome: res.Outcome}
			if res.User != nil {
				v := viewUser(res.User)
				out[i].User = &v
			}
			if res.Outcome == domain.OutcomeInvalid {
				msg, known := bulkTexts[res.Reason]
				if !known {
					msg = "Not one valid e-mail address."
				}
				out[i].Error = &bulkErrorView{Code: res.Reason, Message: msg}
			}
		}
		return httpapi.OK(map[string]any{"results": out}), nil
	})
}

// bulkTexts are the messages of a bulk invite's invalid rows by reason; any
// other reason is an e-mail that is not one.
var bulkTexts = map[string]string{
	members.ErrDomainNotAllowed.Reason: "The customer does not allow new members with this e-mail domain.",
	"seat_limit":                       "The customer is at its seat limit.",
	members.ErrSelfInvite.Reason:       "You cannot invite your own e-mail address into a customer.",
	members.ReasonNotAllowed:           "You lost the right to invite into this customer while the request ran.",
}

// GetUser: GET /v1/customers/{customerId}/users/{userId}.
func GetUser(s *Services) httpapi.Endpoint { return s.onTarget(userTarget, act(s.Members.Get)) }

type updateUserInput struct {
	Name        *string   `json:"name"`
	Admin       *bool     `json:"admin"`
	Roles       roleList  `json:"roles"`
	PortalIDs   []string  `json:"portalIds"`
	AccessUntil clearable `json:"accessUntil"`
}

// UpdateUser: PATCH /v1/customers/{customerId}/users/{userId}, If-Match honoured.
func UpdateUser(s *Services) httpapi.Endpoint {
	return s.onTarget(userTarget, func(ctx context.Context, r *httpapi.Request, c *access.Caller, t members.Target) (*httpapi.Response, error) {
		var in updateUserInput
		want, err := decodeUpdate(r, &in)
		if err != nil {
			return nil, err
		}
		return answer(s.Members.UpdateUser(ctx, c, t, members.Profile{Name: in.Name, Admin: in.Admin, Roles: in.Roles.value(), PortalIDs: in.PortalIDs, AccessUntil: in.AccessUntil.value()}, want))
	})
}

// EnableUser: POST …/users/{userId}/enable.
func EnableUser(s *Services) httpapi.Endpoint { return s.onTarget(userTarget, act(s.Members.Enable)) }

// DisableUser: POST …/users/{userId}/disable.
func DisableUser(s *Services) httpapi.Endpoint { return s.onTarget(userTarget, act(s.Members.Disable)) }

// ReinviteUser: POST …/users/{userId}/reinvite.
func ReinviteUser(s *Services) httpapi.Endpoint {
	return s.onTarget(userTarget, act(s.Members.Reinvite))
}

// DeleteUser: DELETE …/users/{userId}.
func DeleteUser(s *Services) httpapi.Endpoint { return s.onTarget(userTarget, remove(s)) }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

type actionsInput struct {
	Action  *string  `json:"action"`
	UserIDs []string `json:"userIds"`
}

// ActOnUsers: POST /v1/customers/{customerId}/users/actions, one action on
// up to 100 users, one outcome each.
func ActOnUsers(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireUserManager, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		var in actionsInput
		key, err := decodeCreate(r, c, "act-on-users:"+cid, &in)
		if err != nil {
			return nil, err
		}
		results, err := s.Members.Act(ctx, c, cid, deref(in.Action), in.UserIDs, key, func(err error) string { return translate(err).Code })
		if err != nil {
			return nil, err
		}
		return httpapi.OK(map[string]any{"results": results}), nil
	})
}
