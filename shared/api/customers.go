package api

import (
	"context"
	"net/http"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/customers"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Health answers that the API is up (httpapi.Health, which its function
// runs without linking anything of the rest).
func Health(s *Services) httpapi.Endpoint { return httpapi.Health }

// ListCustomers: GET /v1/customers.
func ListCustomers(s *Services) httpapi.Endpoint {
	return s.authedAs((*access.Caller).RequireOperator, func(ctx context.Context, r *httpapi.Request, c *access.Caller) (*httpapi.Response, error) {
		return listPage(s, r, "customers", func(limit int32, start state.PageKey) (state.Page[domain.Customer], error) {
			return s.Customers.List(ctx, c, limit, start)
		}, viewCustomer)
	})
}

type createCustomerInput struct {
	Name   *string `json:"name"`
	Locale *string `json:"locale"`
}

// CreateCustomer: POST /v1/customers.
func CreateCustomer(s *Services) httpapi.Endpoint {
	return s.authedAs((*access.Caller).RequireOperatorAdmin, func(ctx context.Context, r *httpapi.Request, c *access.Caller) (*httpapi.Response, error) {
		var in createCustomerInput
		key, err := decodeCreate(r, c, "create-customer", &in)
		if err != nil {
			return nil, err
		}
		cu, err := s.Customers.Create(ctx, c, customers.NewCustomer{Name: in.Name, Locale: in.Locale}, key)
		if err != nil {
			return nil, err
		}
		return httpapi.Created("/v1/customers/"+cu.ID, viewCustomer(&cu)).WithETag(max(cu.Version, 1)), nil
	})
}

// GetCustomer: GET /v1/customers/{customerId}.
func GetCustomer(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireCustomerReader, func(ctx context.Context, r *httpapi.Request, c *access.Caller, id string) (*httpapi.Response, error) {
		cu, err := s.Customers.Get(ctx, c, id)
		if err != nil {
			return nil, err
		}
		return httpapi.OK(viewCustomer(&cu)).WithETag(max(cu.Version, 1)), nil
	})
}

type updateCustomerInput struct {
	Name   *string      `json:"name"`
	Locale *string      `json:"locale"`
	Policy *policyInput `json:"policy"`
}

// policyInput is a customer's policy, set whole: a field left out (or null)
// restricts nothing.
type policyInput struct {
	AllowedDomains            []string `json:"allowedDomains"`
	InvitationLifetimeSeconds *int64   `json:"invitationLifetimeSeconds"`
	SeatLimit                 *int     `json:"seatLimit"`
}

// UpdateCustomer: PATCH /v1/customers/{customerId}, If-Match honoured.
func UpdateCustomer(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireOperatorAdminIn, func(ctx context.Context, r *httpapi.Request, c *access.Caller, id string) (*httpapi.Response, error) {
		var in updateCustomerInput
		want, err := decodeUpdate(r, &in)
		if err != nil {
			return nil, err
		}
		cu, err := s.Customers.Update(ctx, c, id, customers.Change{Name: in.Name, Locale: in.Locale, Policy: in.Policy.change()}, want)
		if err != nil {
			return nil, err
		}
		return httpapi.OK(viewCustomer(&cu)).WithETag(cu.Version), nil
	})
}

// DeleteCustomer: DELETE /v1/customers/{customerId}, the offboarding: 202
// with its job. Not through inCustomer, which refuses a customer being
// offboarded: a retried delete answers the same job.
func DeleteCustomer(s *Services) httpapi.Endpoint {
	return s.authed(func(ctx context.Context, r *httpapi.Request, c *access.Caller) (*httpapi.Response, error) {
		id, err := customerParam(r)
		if err != nil {
			return nil, err
		}
		if err := c.RequireOperatorAdminIn(id); err != nil {
			return nil, err
		}
		j, err := s.Offboarding.Begin(ctx, c, id)
		if err != nil {
			return nil, err
		}
		return &httpapi.Response{Status: http.StatusAccepted, Body: map[string]any{"job": viewJob(&j)},
			Headers: map[string]string{"Location": "/v1/jobs/" + j.ID}}, nil
	})
}

// GetJob: GET /v1/jobs/{jobId}, a job's progress.
func GetJob(s *Services) httpapi.Endpoint {
	return s.authedAs((*access.Caller).RequireOperatorAdmin, func(ctx context.Context, r *httpapi.Request, c *access.Caller) (*httpapi.Response, error) {
		j, err := s.Offboarding.Job(ctx, c, r.Path("jobId"))
		if err != nil {
			return nil, err
		}
		return httpapi.OK(viewJob(&j)), nil
	})
}

type jobView struct {
	ID           string           `json:"id"`
	Kind         string           `json:"kind"`
	CustomerID   string           `json:"customerId"`
	CustomerName string           `json:"customerName"`
	State        string           `json:"state"`
	Step         domain.JobStep   `json:"step"`
	Steps        []domain.JobStep `json:"steps"`
	Removed      jobCountsView    `json:"removed"`
	RequestedBy  domain.Actor     `json:"requestedBy"`
	CreatedAt    time.Time        `json:"createdAt"`
	UpdatedAt    time.Time        `json:"updatedAt"`
	FinishedAt   *time.Time       `json:"finishedAt"`
}

type jobCountsView struct {
	Members     int `json:"members"`
	Invitations int `json:"invitations"`
	Portals     int `json:"portals"`
	Records     int `json:"records"`
}

func viewJob(j *domain.Job) jobView {
	state := "running"
	if j.Done() {
		state = "done"
	}
	return jobView{ID: j.ID, Kind: j.Kind, CustomerID: j.CustomerID, CustomerName: j.CustomerName, State: state, Step: j.Step,
		Steps: domain.JobSteps, Removed: jobCountsView(j.Removed), RequestedBy: j.RequestedBy,
		CreatedAt: ts(j.CreatedAt), UpdatedAt: ts(j.UpdatedAt), FinishedAt: tsp(j.FinishedAt)}
}

// ListProviderAuditEvents: GET /v1/audit-events, the provider's own trail,
// newest first.
func ListProviderAuditEvents(s *Services) httpapi.Endpoint {
	return s.authedAs((*access.Caller).RequireOperatorAdmin, func(ctx context.Context, r *httpapi.Request, c *access.Caller) (*httpapi.Response, error) {
		return listPage(s, r, "audit\x00provider", func(limit int32, start state.PageKey) (state.Page[domain.AuditEvent], error) {
			return s.Customers.ProviderAudit(ctx, c, limit, start)
		}, viewAudit)
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
		if pq.csv != nil {
			return csvOf(s, pq, p, "audit-"+cid, auditColumns, auditRow), nil
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
	// AccessUntil is when the operator's access ends by itself; null never.
	AccessUntil *time.Time `json:"accessUntil"`
	// MFARequired: the operator must set up an authenticator app before
	// anything but this route and POST /v1/me/mfa answers.
	MFARequired bool `json:"mfaRequired"`
}

type membershipView struct {
	CustomerID   string         `json:"customerId"`
	CustomerName string         `json:"customerName"`
	UserID       string         `json:"userId"`
	Admin        bool           `json:"admin"`
	Roles        []string       `json:"roles"`
	Portals      []mePortalView `json:"portals"`
	// AccessUntil is when this membership ends by itself; null never.
	AccessUntil *time.Time `json:"accessUntil"`
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
			out.Operator = &meOperator{Role: c.Operator.Role, MFARequired: c.MFARequired(), AccessUntil: tsp(c.Operator.AccessUntil)}
		}
		for _, ms := range p.Memberships {
			mv := membershipView{CustomerID: ms.Member.CustomerID, CustomerName: ms.CustomerName, UserID: ms.Member.ID,
				Admin: ms.Member.Admin, Roles: orEmpty(ms.Member.Roles), Portals: []mePortalView{}, AccessUntil: tsp(ms.Member.AccessUntil)}
			for _, pt := range ms.Portals {
				mv.Portals = append(mv.Portals, mePortalView{ID: pt.ID, Name: pt.Name, URL: pt.URL})
			}
			out.Memberships = append(out.Memberships, mv)
		}
		return httpapi.OK(out), nil
	})
}

func (p *policyInput) change() *customers.PolicyInput {
	if p == nil {
		return nil
	}
	return &customers.PolicyInput{AllowedDomains: p.AllowedDomains, InvitationLifetimeSeconds: p.InvitationLifetimeSeconds, SeatLimit: p.SeatLimit}
}
