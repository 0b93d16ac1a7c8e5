package api

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/portals"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/state"
)

// A customer's portal setups, and what a portal asks with its own token.

type signInView struct {
	ClientID              *string `json:"clientId"`
	Issuer                string  `json:"issuer"`
	DiscoveryURL          string  `json:"discoveryUrl"`
	AuthorizationEndpoint string  `json:"authorizationEndpoint"`
	TokenEndpoint         string  `json:"tokenEndpoint"`
	LogoutEndpoint        string  `json:"logoutEndpoint"`
	UILocales             string  `json:"uiLocales"`
}

type portalView struct {
	ID           string     `json:"id"`
	CustomerID   string     `json:"customerId"`
	Name         string     `json:"name"`
	URL          string     `json:"url"`
	RedirectURIs []string   `json:"redirectUris"`
	SignIn       signInView `json:"signIn"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
	Version      int        `json:"version"`
}

func (s *Services) viewPortal(p *domain.Portal, locale string) portalView {
	si := s.Portals.SignInOf(*p, locale)
	v := portalView{
		ID: p.ID, CustomerID: p.CustomerID, Name: p.Name, URL: p.URL, RedirectURIs: orEmpty(p.RedirectURIs),
		SignIn: signInView{Issuer: si.Issuer, DiscoveryURL: si.DiscoveryURL, AuthorizationEndpoint: si.AuthorizationEndpoint,
			TokenEndpoint: si.TokenEndpoint, LogoutEndpoint: si.LogoutEndpoint, UILocales: si.UILocales},
		CreatedAt: ts(p.CreatedAt), UpdatedAt: ts(p.UpdatedAt), Version: p.Version,
	}
	if si.ClientID != "" {
		v.SignIn.ClientID = &si.ClientID
	}
	return v
}

func portalPath(p *domain.Portal) string { return "/v1/customers/" + p.CustomerID + "/portals/" + p.ID }

// portalParam reads {portalId}; one of the wrong shape names no setup.
func portalParam(r *httpapi.Request) string { return r.Path("portalId") }

// ListPortals: GET /v1/customers/{customerId}/portals.
func ListPortals(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireUserManager, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		ps, cu, err := s.Portals.List(ctx, c, cid)
		if err != nil {
			return nil, err
		}
		items := make([]portalView, 0, len(ps))
		for i := range ps {
			items = append(items, s.viewPortal(&ps[i], cu.Locale))
		}
		return httpapi.OK(map[string]any{"items": items}), nil
	})
}

type portalInput struct {
	Name         *string  `json:"name"`
	URL          *string  `json:"url"`
	RedirectURIs []string `json:"redirectUris"`
}

// CreatePortal: POST /v1/customers/{customerId}/portals.
func CreatePortal(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireOperatorAdminIn, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		var in portalInput
		key, err := decodeCreate(r, c, "create-portal", &in)
		if err != nil {
			return nil, err
		}
		p, cu, err := s.Portals.Create(ctx, c, cid, portals.Setup{Name: in.Name, URL: in.URL, RedirectURIs: in.RedirectURIs}, key)
		if err != nil {
			return nil, err
		}
		return httpapi.Created(portalPath(&p), s.viewPortal(&p, cu.Locale)).WithETag(p.Version), nil
	})
}

// UpdatePortal: PATCH /v1/customers/{customerId}/portals/{portalId}, If-Match honoured.
func UpdatePortal(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireOperatorAdminIn, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		var in portalInput
		want, err := decodeUpdate(r, &in)
		if err != nil {
			return nil, err
		}
		p, cu, err := s.Portals.Update(ctx, c, cid, portalParam(r), portals.Setup{Name: in.Name, URL: in.URL, RedirectURIs: in.RedirectURIs}, want)
		if err != nil {
			return nil, err
		}
		return httpapi.OK(s.viewPortal(&p, cu.Locale)).WithETag(p.Version), nil
	})
}

// DeletePortal: DELETE /v1/customers/{customerId}/portals/{portalId}.
func DeletePortal(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireOperatorAdminIn, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		if err := s.Portals.Delete(ctx, c, cid, portalParam(r)); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	})
}

// ListPortalUsers: GET /v1/customers/{customerId}/portals/{portalId}/users,
// the members linked to the setup, by e-mail.
func ListPortalUsers(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireUserManager, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		pid := portalParam(r)
		return listPage(s, r, "portal-users\x00"+cid+"\x00"+pid, func(limit int32, start state.PageKey) (state.Page[domain.Member], error) {
			return s.Portals.Members(ctx, c, cid, pid, limit, start)
		}, viewUser)
	})
}

// anyClient resolves the caller of a route a portal's token may call too:
// the token is checked here (no gateway authorizer can know the portals'
// app clients), then the caller read from the table. Its answers, refusals
// included, carry CORS headers for the origin of a registered portal.
func (s *Services) anyClient(ep func(ctx context.Context, r *httpapi.Request, c *access.Caller) (*httpapi.Response, error)) httpapi.Endpoint {
	return func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
		res, c, err := func() (*httpapi.Response, *access.Caller, error) {
			claims, err := s.Tokens.Verify(ctx, r.Header("authorization"))
			if err != nil {
				return nil, nil, err
			}
			c, err := s.Access.ResolveAny(ctx, claims)
			if err != nil {
				return nil, nil, err
			}
			r.LogAttrs("caller", c.Sub)
			res, err := ep(ctx, r, c)
			return res, c, err
		}()
		origin := r.Header("origin")
		if origin == "" {
			return res, err
		}
		allowed := c != nil && c.Portal != nil && slices.Contains(c.Portal.Portal.Origins(), strings.ToLower(origin))
		if !allowed && (c == nil || c.Portal == nil) {
			// A refusal before the portal is known, or the console's own
			// call: the table says whether the origin is a portal's.
			ok, oerr := s.Access.OriginAllowed(ctx, strings.ToLower(origin))
			allowed = oerr == nil && ok
		}
		if !allowed {
			return res, err
		}
		h := corsHeaders(origin)
		if err != nil {
			e := translate(err)
			e.Headers = h
			return nil, e
		}
		return res.WithHeaders(h), nil
	}
}

func corsHeaders(origin string) map[string]string {
	return map[string]string{
		"Access-Control-Allow-Origin":   origin,
		"Access-Control-Expose-Headers": "X-Request-Id, Retry-After",
		"Vary":                          "Origin",
	}
}

type portalAccessView struct {
	Portal   mePortalView `json:"portal"`
	Customer struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Locale string `json:"locale"`
	} `json:"customer"`
	User struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		Name  string `json:"name"`
	} `json:"user"`
	Admin bool     `json:"admin"`
	Roles []string `json:"roles"`
	// AccessUntil is when this person's access ends by itself; null never.
	AccessUntil *time.Time `json:"accessUntil"`
}

// PortalAccess: GET /v1/portal-access, with a token a portal's own app
// client was issued: who this person is in this portal, and what they may
// do.
func PortalAccess(s *Services) httpapi.Endpoint {
	return s.anyClient(func(ctx context.Context, r *httpapi.Request, c *access.Caller) (*httpapi.Response, error) {
		a, err := s.Portals.Admit(ctx, c)
		if err != nil {
			return nil, err
		}
		var out portalAccessView
		out.Portal = mePortalView{ID: a.Portal.ID, Name: a.Portal.Name, URL: a.Portal.URL}
		out.Customer.ID, out.Customer.Name, out.Customer.Locale = a.Customer.ID, a.Customer.Name, a.Customer.Locale
		out.User.ID, out.User.Email, out.User.Name = a.Member.ID, a.Member.Email, a.Member.Name
		out.Admin, out.Roles, out.AccessUntil = a.Member.Admin, orEmpty(a.Member.Roles), tsp(a.Member.AccessUntil)
		return httpapi.OK(out), nil
	})
}

// portalPaths are the routes a portal's browser code may call, as
// {proxy+} of /v1/{proxy+} reads them.
var portalPaths = map[string]bool{"me": true, "portal-access": true}

// PortalPreflight: OPTIONS /v1/portal-access and /v1/me, the browser's
// question before a portal's call from another origin: allowed for the
// origins of registered portal setups, and no others.
func PortalPreflight(s *Services) httpapi.Endpoint {
	return func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
		origin := strings.ToLower(r.Header("origin"))
		res := &httpapi.Response{Status: 204}
		if origin == "" || !portalPaths[r.Path("proxy")] {
			return res.WithHeaders(map[string]string{"Vary": "Origin"}), nil
		}
		ok, err := s.Access.OriginAllowed(ctx, origin)
		if err != nil {
			return nil, err
		}
		if !ok {
			return res.WithHeaders(map[string]string{"Vary": "Origin"}), nil
		}
		h := corsHeaders(r.Header("origin"))
		h["Access-Control-Allow-Methods"] = "GET"
		h["Access-Control-Allow-Headers"] = "Authorization"
		h["Access-Control-Max-Age"] = "600"
		return res.WithHeaders(h), nil
	}
}
