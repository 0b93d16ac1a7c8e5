package api

import (
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

func addressRoutes(s *Services) collection[domain.Address, addressInput, profile.AddressInput, addressView] {
	return collection[domain.Address, addressInput, profile.AddressInput, addressView]{s: s, policy: (*access.Caller).RequireUserManager,
		kind: "address", param: "addressId", path: addressPath, view: viewAddress, version: func(a *domain.Address) int { return a.Version }}
}

// ListAddresses: GET /v1/customers/{customerId}/addresses.
func ListAddresses(s *Services) httpapi.Endpoint { return addressRoutes(s).list(s.Profile.Addresses) }

// CreateAddress: POST /v1/customers/{customerId}/addresses.
func CreateAddress(s *Services) httpapi.Endpoint {
	return addressRoutes(s).create(s.Profile.CreateAddress)
}

// UpdateAddress: PATCH /v1/customers/{customerId}/addresses/{addressId}, If-Match honoured.
func UpdateAddress(s *Services) httpapi.Endpoint {
	return addressRoutes(s).update(s.Profile.UpdateAddress)
}

// DeleteAddress: DELETE /v1/customers/{customerId}/addresses/{addressId}, If-Match honoured.
func DeleteAddress(s *Services) httpapi.Endpoint {
	return addressRoutes(s).delete(s.Profile.DeleteAddress)
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

// Service agreements are the provider's to write (an operator of the
// customer's); the customer's user managers may read them.
func agreementRoutes(s *Services, policy func(*access.Caller, string) error) collection[domain.ServiceAgreement, agreementInput, profile.AgreementInput, agreementView] {
	return collection[domain.ServiceAgreement, agreementInput, profile.AgreementInput, agreementView]{s: s, policy: policy,
		kind: "service-agreement", param: "agreementId", path: agreementPath, view: viewAgreement,
		version: func(a *domain.ServiceAgreement) int { return a.Version }}
}

// ListServiceAgreements: GET /v1/customers/{customerId}/service-agreements.
func ListServiceAgreements(s *Services) httpapi.Endpoint {
	return agreementRoutes(s, (*access.Caller).RequireUserManager).list(s.Profile.Agreements)
}

// CreateServiceAgreement: POST /v1/customers/{customerId}/service-agreements.
func CreateServiceAgreement(s *Services) httpapi.Endpoint {
	return agreementRoutes(s, (*access.Caller).RequireOperatorIn).create(s.Profile.CreateAgreement)
}

// UpdateServiceAgreement: PATCH …/service-agreements/{agreementId}, If-Match honoured.
func UpdateServiceAgreement(s *Services) httpapi.Endpoint {
	return agreementRoutes(s, (*access.Caller).RequireOperatorIn).update(s.Profile.UpdateAgreement)
}

// DeleteServiceAgreement: DELETE …/service-agreements/{agreementId}, If-Match honoured.
func DeleteServiceAgreement(s *Services) httpapi.Endpoint {
	return agreementRoutes(s, (*access.Caller).RequireOperatorIn).delete(s.Profile.DeleteAgreement)
}
