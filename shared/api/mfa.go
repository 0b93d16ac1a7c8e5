package api

import (
	"context"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

// The operators' second factor: enrolment by the operator, reset by an
// operator admin (shared/app/mfa).

var errNoMFA = errs.New(errs.Internal, "mfa_not_configured")

type enrolledView struct {
	MFAEnrolledAt time.Time `json:"mfaEnrolledAt"`
}

// EnrolMFA: POST /v1/me/mfa. The one route besides GET /v1/me that an
// operator who must set up an authenticator app may call.
func EnrolMFA(s *Services) httpapi.Endpoint {
	return func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
		c, err := s.Access.ResolveEnrolling(ctx, claimsOf(r))
		if err != nil {
			return nil, err
		}
		r.LogAttrs("caller", c.Sub)
		if s.MFA == nil {
			return nil, errNoMFA
		}
		m, err := s.MFA.Enrol(ctx, c)
		if err != nil {
			return nil, err
		}
		return httpapi.OK(enrolledView{MFAEnrolledAt: ts(*m.MFAEnrolledAt)}), nil
	}
}

// ResetOperatorMFA: DELETE /v1/operators/{operatorId}/mfa (operator
// admins). The operator must set up a new authenticator app.
func ResetOperatorMFA(s *Services) httpapi.Endpoint {
	return s.authedAs((*access.Caller).RequireOperatorAdmin, func(ctx context.Context, r *httpapi.Request, c *access.Caller) (*httpapi.Response, error) {
		if s.MFA == nil {
			return nil, errNoMFA
		}
		return answer(s.MFA.Reset(ctx, c, r.Path("operatorId")))
	})
}
