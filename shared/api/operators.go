package api

import (
	"context"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

// The provider's operators: operator admins manage them.

// ListOperators: GET /v1/operators.
func ListOperators(s *Services) httpapi.Endpoint {
	return s.authedAs((*access.Caller).RequireOperatorAdmin, func(ctx context.Context, r *httpapi.Request, c *access.Caller) (*httpapi.Response, error) {
		return s.listMembers(ctx, r, c, domain.ProviderScope)
	})
}

type inviteOperatorInput struct {
	Email       *string `json:"email"`
	Name        *string `json:"name"`
	Role        *string `json:"role"`
	AccessUntil *string `json:"accessUntil"`
}

// InviteOperator: POST /v1/operators.
func InviteOperator(s *Services) httpapi.Endpoint {
	return s.authedAs((*access.Caller).RequireOperatorAdmin, func(ctx context.Context, r *httpapi.Request, c *access.Caller) (*httpapi.Response, error) {
		var in inviteOperatorInput
		key, err := decodeCreate(r, c, "invite-operator", &in)
		if err != nil {
			return nil, err
		}
		m, err := s.Members.Invite(ctx, c, s.Members.LoadScope(ctx, domain.ProviderScope),
			members.Invitee{Email: deref(in.Email), Name: in.Name, Role: in.Role, AccessUntil: in.AccessUntil}, key)
		if err != nil {
			return nil, err
		}
		return createdMember(&m), nil
	})
}

// GetOperator: GET /v1/operators/{operatorId}.
func GetOperator(s *Services) httpapi.Endpoint { return s.onTarget(operatorTarget, act(s.Members.Get)) }

type updateOperatorInput struct {
	Name        *string   `json:"name"`
	Role        *string   `json:"role"`
	AccessUntil clearable `json:"accessUntil"`
}

// UpdateOperator: PATCH /v1/operators/{operatorId}, If-Match honoured.
func UpdateOperator(s *Services) httpapi.Endpoint {
	return s.onTarget(operatorTarget, func(ctx context.Context, r *httpapi.Request, c *access.Caller, t members.Target) (*httpapi.Response, error) {
		var in updateOperatorInput
		want, err := decodeUpdate(r, &in)
		if err != nil {
			return nil, err
		}
		return answer(s.Members.UpdateOperator(ctx, c, t, in.Name, in.Role, in.AccessUntil.value(), want))
	})
}

// EnableOperator: POST /v1/operators/{operatorId}/enable.
func EnableOperator(s *Services) httpapi.Endpoint {
	return s.onTarget(operatorTarget, act(s.Members.Enable))
}

// DisableOperator: POST /v1/operators/{operatorId}/disable.
func DisableOperator(s *Services) httpapi.Endpoint {
	return s.onTarget(operatorTarget, act(s.Members.Disable))
}

// ReinviteOperator: POST /v1/operators/{operatorId}/reinvite.
func ReinviteOperator(s *Services) httpapi.Endpoint {
	return s.onTarget(operatorTarget, act(s.Members.Reinvite))
}

// DeleteOperator: DELETE /v1/operators/{operatorId}.
func DeleteOperator(s *Services) httpapi.Endpoint { return s.onTarget(operatorTarget, remove(s)) }
