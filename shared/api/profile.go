package api

import (
	"context"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/profile"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

// A customer's organization profile: its addresses and service agreements.

type addressView struct {
	ID         string             `json:"id"`
	CustomerID string             `json:"customerId"`
	Kind       domain.AddressKind `json:"kind"`
	Label      *string            `json:"label"`
	Lines      []string           `json:"lines"`
	PostalCode string             `json:"postalCode"`
	City       string             `json:"city"`
	Region     *string            `json:"region"`
	Country    string             `json:"country"`
	CreatedAt  time.Time          `json:"createdAt"`
	UpdatedAt  time.Time          `json:"updatedAt"`
	Version    int                `json:"version"`
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func viewAddress(a *domain.Address) addressView {
	return addressView{ID: a.ID, CustomerID: a.CustomerID, Kind: a.Kind, Label: orNull(a.Label), Lines: orEmpty(a.Lines),
		PostalCode: a.PostalCode, City: a.City, Region: orNull(a.Region), Country: a.Country,
		CreatedAt: ts(a.CreatedAt), UpdatedAt: ts(a.UpdatedAt), Version: a.Version}
}

type agreementView struct {
	ID         string                 `json:"id"`
	CustomerID string                 `json:"customerId"`
	Name       string                 `json:"name"`
	Reference  string                 `json:"reference"`
	StartsOn   string                 `json:"startsOn"`
	EndsOn     string                 `json:"endsOn"`
	Status     domain.AgreementStatus `json:"status"`
	CreatedAt  time.Time              `json:"createdAt"`
	UpdatedAt  time.Time              `json:"updatedAt"`
	Version    int                    `json:"version"`
}

func viewAgreement(a *domain.ServiceAgreement) agreementView {
	return agreementView{ID: a.ID, CustomerID: a.CustomerID, Name: a.Name, Reference: a.Reference, StartsOn: a.StartsOn,
		EndsOn: a.EndsOn, Status: a.Status, CreatedAt: ts(a.CreatedAt), UpdatedAt: ts(a.UpdatedAt), Version: a.Version}
}

// addressInput is an address as a request writes it; "label" and "region"
// set to "" are removed (the API takes no nulls).
type addressInput struct {
	Kind       *string  `json:"kind"`
	Label      *string  `json:"label"`
	Lines      []string `json:"lines"`
	PostalCode *string  `json:"postalCode"`
	City       *string  `json:"city"`
	Region     *string  `json:"region"`
	Country    *string  `json:"country"`
}

func (in addressInput) input() profile.AddressInput {
	return profile.AddressInput{Kind: in.Kind, Label: in.Label, Lines: in.Lines, PostalCode: in.PostalCode,
		City: in.City, Region: in.Region, Country: in.Country}
}

func addressPath(a *domain.Address) string {
	return "/v1/customers/" + a.CustomerID + "/addresses/" + a.ID
}

// ListAddresses: GET /v1/customers/{customerId}/addresses.
func ListAddresses(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireUserManager, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		as, err := s.Profile.Addresses(ctx, c, cid)
		if err != nil {
			return nil, err
		}
		items := make([]addressView, 0, len(as))
		for i := range as {
			items = append(items, viewAddress(&as[i]))
		}
		return httpapi.OK(map[string]any{"items": items}), nil
	})
}

// CreateAddress: POST /v1/customers/{customerId}/addresses.
func CreateAddress(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireUserManager, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		var in addressInput
		key, err := decodeCreate(r, c, "create-address:"+cid, &in)
		if err != nil {
			return nil, err
		}
		a, err := s.Profile.CreateAddress(ctx, c, cid, in.input(), key)
		if err != nil {
			return nil, err
		}
		return httpapi.Created(addressPath(&a), viewAddress(&a)).WithETag(a.Version), nil
	})
}

// UpdateAddress: PATCH /v1/customers/{customerId}/addresses/{addressId}, If-Match honoured.
func UpdateAddress(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireUserManager, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		var in addressInput
		want, err := decodeUpdate(r, &in)
		if err != nil {
			return nil, err
		}
		a, err := s.Profile.UpdateAddress(ctx, c, cid, r.Path("addressId"), in.input(), want)
		if err != nil {
			return nil, err
		}
		return httpapi.OK(viewAddress(&a)).WithETag(a.Version), nil
	})
}

// DeleteAddress: DELETE /v1/customers/{customerId}/addresses/{addressId}, If-Match honoured.
func DeleteAddress(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireUserManager, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		want, err := ifMatch(r)
		if err != nil {
			return nil, err
		}
		if err := s.Profile.DeleteAddress(ctx, c, cid, r.Path("addressId"), want); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	})
}

type agreementInput struct {
	Name      *string `json:"name"`
	Reference *string `json:"reference"`
	StartsOn  *string `json:"startsOn"`
	EndsOn    *string `json:"endsOn"`
}

func (in agreementInput) input() profile.AgreementInput {
	return profile.AgreementInput{Name: in.Name, Reference: in.Reference, StartsOn: in.StartsOn, EndsOn: in.EndsOn}
}

func agreementPath(a *domain.ServiceAgreement) string {
	return "/v1/customers/" + a.CustomerID + "/service-agreements/" + a.ID
}

// ListServiceAgreements: GET /v1/customers/{customerId}/service-agreements.
func ListServiceAgreements(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireUserManager, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		as, err := s.Profile.Agreements(ctx, c, cid)
		if err != nil {
			return nil, err
		}
		items := make([]agreementView, 0, len(as))
		for i := range as {
			items = append(items, viewAgreement(&as[i]))
		}
		return httpapi.OK(map[string]any{"items": items}), nil
	})
}

// CreateServiceAgreement: POST /v1/customers/{customerId}/service-agreements.
func CreateServiceAgreement(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireOperatorIn, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		var in agreementInput
		key, err := decodeCreate(r, c, "create-service-agreement:"+cid, &in)
		if err != nil {
			return nil, err
		}
		a, err := s.Profile.CreateAgreement(ctx, c, cid, in.input(), key)
		if err != nil {
			return nil, err
		}
		return httpapi.Created(agreementPath(&a), viewAgreement(&a)).WithETag(a.Version), nil
	})
}

// UpdateServiceAgreement: PATCH …/service-agreements/{agreementId}, If-Match honoured.
func UpdateServiceAgreement(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireOperatorIn, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		var in agreementInput
		want, err := decodeUpdate(r, &in)
		if err != nil {
			return nil, err
		}
		a, err := s.Profile.UpdateAgreement(ctx, c, cid, r.Path("agreementId"), in.input(), want)
		if err != nil {
			return nil, err
		}
		return httpapi.OK(viewAgreement(&a)).WithETag(a.Version), nil
	})
}

// DeleteServiceAgreement: DELETE …/service-agreements/{agreementId}, If-Match honoured.
func DeleteServiceAgreement(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireOperatorIn, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		want, err := ifMatch(r)
		if err != nil {
			return nil, err
		}
		if err := s.Profile.DeleteAgreement(ctx, c, cid, r.Path("agreementId"), want); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	})
}
