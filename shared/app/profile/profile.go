// Package profile is a customer's organization profile: its addresses
// (actual, legal, shipping; more than one of a kind), which the customer's
// portal admins and operators manage, and its service agreements, which
// operators manage and the customer's portal admins read. Every change is
// versioned and on the customer's audit trail.
package profile

import (
	"context"
	"slices"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/check"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Store is what the profile reads and writes.
type Store interface {
	Customer(ctx context.Context, id string) (domain.Customer, error)
	Addresses(ctx context.Context, customerID string) ([]domain.Address, error)
	ChangeAddress(ctx context.Context, ch state.AddressChange) error
	Agreements(ctx context.Context, customerID string) ([]domain.ServiceAgreement, error)
	ChangeAgreement(ctx context.Context, ch state.AgreementChange) error
	idem.Store // the records of idempotency keys, for idem.Look
}

// Service serves the profile.
type Service struct {
	Store Store
	Now   func() time.Time
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// readable answers whether the caller may read a customer's profile:
// operators and its portal admins. An operator's unknown customer is not
// found (a portal admin's membership proves it is there, as does the read
// with the caller).
func (s *Service) readable(ctx context.Context, c *access.Caller, customerID string) error {
	if err := c.RequireUserManager(customerID); err != nil {
		return err
	}
	return c.CustomerExists(ctx, customerID, s.Store.Customer)
}

// AddressInput is an address, or a change of one, as the caller gives it:
// unchecked. A nil field is left as it is; Label and Region may be set to
// "" to remove them.
type AddressInput struct {
	Kind       *string
	Label      *string
	Lines      []string
	PostalCode *string
	City       *string
	Region     *string
	Country    *string
}

func (in AddressInput) empty() bool {
	return in.Kind == nil && in.Label == nil && in.Lines == nil && in.PostalCode == nil && in.City == nil && in.Region == nil && in.Country == nil
}

// check checks the given fields into a.
func (in AddressInput) check(a *domain.Address) error {
	var c check.Fields
	if in.Kind != nil {
		if !domain.ValidAddressKind(*in.Kind) {
			c.Refuse("kind", "invalid_kind")
		}
		a.Kind = domain.AddressKind(*in.Kind)
	}
	c.Removable("label", in.Label, domain.MaxLabelLength, &a.Label)
	if in.Lines != nil {
		lines, i, code := domain.CleanAddressLines(in.Lines)
		if code == "" {
			a.Lines = lines
		} else {
			c.RefuseAt("lines", i, code)
		}
	}
	check.Given(&c, "postalCode", in.PostalCode, domain.CleanPostalCode, &a.PostalCode)
	check.Given(&c, "city", in.City, check.Text(domain.MaxNameLength), &a.City)
	c.Removable("region", in.Region, domain.MaxNameLength, &a.Region)
	check.Given(&c, "country", in.Country, domain.CleanCountry, &a.Country)
	return c.Err()
}

// Addresses lists a customer's addresses, oldest first: operators, and its
// portal admins.
func (s *Service) Addresses(ctx context.Context, c *access.Caller, customerID string) ([]domain.Address, error) {
	return s.addresses().readAll(ctx, s, c, customerID, "profile.Addresses")
}

// CreateAddress adds an address to a customer: operators, and its portal
// admins. Kind, lines, postal code, city and country are required. With an
// idempotency key, a retry answers the address the first attempt made.
func (s *Service) CreateAddress(ctx context.Context, c *access.Caller, customerID string, in AddressInput, key *idem.Key) (domain.Address, error) {
	const op = "profile.CreateAddress"
	if err := c.RequireUserManager(customerID); err != nil {
		return domain.Address{}, err
	}
	a := domain.Address{Record: domain.NewRecord(domain.PrefixAddress, customerID, s.now())}
	required(&in.Kind, &in.PostalCode, &in.City, &in.Country)
	if in.Lines == nil {
		in.Lines = []string{}
	}
	if err := in.check(&a); err != nil {
		return domain.Address{}, err
	}
	a, err := s.addresses().create(ctx, s.Store, c, a, c.ActingExtras(customerID), key)
	return a, errs.Wrap(op, err)
}

// required makes absent required fields empty, so that checking names them.
func required(ps ...**string) {
	for _, p := range ps {
		if *p == nil {
			*p = new(string)
		}
	}
}

// addressTarget names an address on the trail by its label, or its city.
func addressTarget(a domain.Address) domain.Target {
	name := a.Label
	if name == "" {
		name = a.City
	}
	return domain.Target{Kind: domain.TargetAddress, ID: a.ID, Name: &name}
}

// addresses is how the service keeps addresses.
func (s *Service) addresses() kind[domain.Address, *domain.Address] {
	return kind[domain.Address, *domain.Address]{prefix: domain.PrefixAddress, list: s.Store.Addresses, change: s.Store.ChangeAddress,
		target: addressTarget, created: domain.ActionAddressCreated, updated: domain.ActionAddressUpdated, deleted: domain.ActionAddressDeleted}
}

// UpdateAddress changes an address (operators, the customer's portal
// admins); want, when not 0, is the version the caller read.
func (s *Service) UpdateAddress(ctx context.Context, c *access.Caller, customerID, id string, in AddressInput, want int) (domain.Address, error) {
	const op = "profile.UpdateAddress"
	if err := c.RequireUserManager(customerID); err != nil {
		return domain.Address{}, err
	}
	if in.empty() {
		return domain.Address{}, errs.ErrEmptyChange
	}
	a, err := s.addresses().update(ctx, c, customerID, id, want, c.ActingExtras(customerID), s.now(), func(a domain.Address) (domain.Address, bool, error) {
		after := a
		after.Lines = slices.Clone(a.Lines)
		err := in.check(&after)
		return after, err == nil && !sameAddress(a, after), err
	})
	return a, errs.Wrap(op, err)
}

func sameAddress(a, b domain.Address) bool {
	return a.Kind == b.Kind && a.Label == b.Label && slices.Equal(a.Lines, b.Lines) && a.PostalCode == b.PostalCode &&
		a.City == b.City && a.Region == b.Region && a.Country == b.Country
}

// DeleteAddress removes an address (operators, the customer's portal
// admins); want, when not 0, is the version the caller read.
func (s *Service) DeleteAddress(ctx context.Context, c *access.Caller, customerID, id string, want int) error {
	const op = "profile.DeleteAddress"
	if err := c.RequireUserManager(customerID); err != nil {
		return err
	}
	return errs.Wrap(op, s.addresses().delete(ctx, c, customerID, id, want, c.ActingExtras(customerID), s.now()))
}
