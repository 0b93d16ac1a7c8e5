package api

import (
	"context"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/invitations"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

// The public routes an invitee's browser calls, with no token.

type inspectInput struct {
	Token *string `json:"token"`
}

type inspectView struct {
	Email           string         `json:"email"`
	CustomerName    *string        `json:"customerName"`
	ExpiresAt       time.Time      `json:"expiresAt"`
	ExistingAccount bool           `json:"existingAccount"`
	Portals         []mePortalView `json:"portals"`
}

// portalsOf are the portal setups an invitee will sign in to.
func portalsOf(ps []domain.Portal) []mePortalView {
	out := make([]mePortalView, 0, len(ps))
	for _, p := range ps {
		out = append(out, mePortalView{ID: p.ID, Name: p.Name, URL: p.URL})
	}
	return out
}

// InspectInvitation: POST /v1/invitations/inspect.
func InspectInvitation(s *Services) httpapi.Endpoint {
	return func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
		var in inspectInput
		if err := r.Decode(&in); err != nil {
			return nil, err
		}
		out, err := s.Invitations.Inspect(ctx, invitations.Request{Token: in.Token, SourceIP: r.Event.RequestContext.HTTP.SourceIP})
		if err != nil {
			return nil, err
		}
		return httpapi.OK(inspectView{Email: out.Email, CustomerName: out.CustomerName, ExpiresAt: ts(out.ExpiresAt),
			ExistingAccount: out.ExistingAccount, Portals: portalsOf(out.Portals)}), nil
	}
}

type acceptInput struct {
	Token    *string `json:"token"`
	Password *string `json:"password"`
	Name     *string `json:"name"`
}

type acceptView struct {
	Email        string             `json:"email"`
	Status       domain.Status      `json:"status"`
	SignIn       invitations.SignIn `json:"signIn"`
	CustomerName *string            `json:"customerName"`
	Portals      []mePortalView     `json:"portals"`
}

// AcceptInvitation: POST /v1/invitations/accept.
func AcceptInvitation(s *Services) httpapi.Endpoint {
	return func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
		var in acceptInput
		if err := r.Decode(&in); err != nil {
			return nil, err
		}
		out, err := s.Invitations.Accept(ctx, invitations.Acceptance{
			Request:  invitations.Request{Token: in.Token, SourceIP: r.Event.RequestContext.HTTP.SourceIP},
			Password: in.Password, Name: in.Name,
		})
		if err != nil {
			return nil, err
		}
		v := acceptView{Email: out.Email, Status: domain.StatusEnabled, SignIn: out.SignIn, Portals: portalsOf(out.Portals)}
		if out.Customer != nil {
			v.CustomerName = &out.Customer.Name
		}
		return httpapi.OK(v), nil
	}
}
