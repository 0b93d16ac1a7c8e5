package api

import (
	"context"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/customers"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

// Health answers that the API is up (httpapi.Health, which its function
// runs without linking anything of the rest).
func Health(s *Services) httpapi.Endpoint { return httpapi.Health }

// ListCustomers: GET /v1/customers.
func ListCustomers(s *Services) httpapi.Endpoint {
	return s.authed(func(ctx context.Context, r *httpapi.Request, c *access.Caller) (*httpapi.Response, error) {
		if err := c.RequireOperator(); err != nil {
			return nil, err
		}
		pq, err := s.readPage(r, nil, listing("customers"))
		if err != nil {
			return nil, err
		}
		p, err := s.Customers.List(ctx, c, pq.limit, pq.start)
		if err != nil {
			return nil, err
		}
		return pageOf(s, pq, p, viewCustomer), nil
	})
}

type createCustomerInput struct {
	Name   *string `json:"name"`
	Locale *string `json:"locale"`
}

// CreateCustomer: POST /v1/customers.
func CreateCustomer(s *Services) httpapi.Endpoint {
	return s.authed(func(ctx context.Context, r *httpapi.Request, c *access.Caller) (*httpapi.Response, error) {
		if err := c.RequireOperatorAdmin(); err != nil {
			return nil, err
		}
		var in createCustomerInput
		key, err := decodeCreate(r, c, "create-customer", &in)
		if err != nil {
			return nil, err
		}
		cu, err := s.Customers.Create(ctx, c, customers.NewCustomer{Name: in.Name, Locale: in.Locale}, key)
		if err != nil {
			return nil, err
		}
		return httpapi.Created("/v1/customers/"+cu.ID, viewCustomer(&cu)), nil
	})
}

// GetCustomer: GET /v1/customers/{customerId}.
func GetCustomer(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireCustomerReader, func(ctx context.Context, r *httpapi.Request, c *access.Caller, id string) (*httpapi.Response, error) {
		cu, err := s.Customers.Get(ctx, c, id)
		if err != nil {
			return nil, err
		}
		return httpapi.OK(viewCustomer(&cu)), nil
	})
}

// ListAuditEvents: GET /v1/customers/{customerId}/audit-events, newest first.
func ListAuditEvents(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireUserManager, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		pq, err := s.readPage(r, nil, listing("audit\x00"+cid))
		if err != nil {
			return nil, err
		}
		p, err := s.Customers.Audit(ctx, c, cid, pq.limit, pq.start)
		if err != nil {
			return nil, err
		}
		return pageOf(s, pq, p, viewAudit), nil
	})
}

type meView struct {
	ID          string           `json:"id"`
	Email       string           `json:"email"`
	Name        string           `json:"name"`
	Operator    *meOperator      `json:"operator"`
	Memberships []membershipView `json:"memberships"`
}

type meOperator struct {
	Role domain.OperatorRole `json:"role"`
}

type membershipView struct {
	CustomerID   string         `json:"customerId"`
	CustomerName string         `json:"customerName"`
	UserID       string         `json:"userId"`
	Admin        bool           `json:"admin"`
	Roles        []string       `json:"roles"`
	Portals      []mePortalView `json:"portals"`
}

type mePortalView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Me: GET /v1/me, with the console's token or a portal's (which sees only
// its own customer's membership).
func Me(s *Services) httpapi.Endpoint {
	return s.anyClient(func(ctx context.Context, r *httpapi.Request, c *access.Caller) (*httpapi.Response, error) {
		p, err := s.Customers.Me(ctx, c)
		if err != nil {
			return nil, err
		}
		out := meView{ID: c.Sub, Email: c.Email, Name: p.Name, Memberships: []membershipView{}}
		if c.Operator != nil {
			out.Operator = &meOperator{Role: c.Operator.Role}
		}
		for _, ms := range p.Memberships {
			mv := membershipView{CustomerID: ms.Member.CustomerID, CustomerName: ms.CustomerName, UserID: ms.Member.ID,
				Admin: ms.Member.Admin, Roles: orEmpty(ms.Member.Roles), Portals: []mePortalView{}}
			for _, pt := range ms.Portals {
				mv.Portals = append(mv.Portals, mePortalView{ID: pt.ID, Name: pt.Name, URL: pt.URL})
			}
			out.Memberships = append(out.Memberships, mv)
		}
		return httpapi.OK(out), nil
	})
}
