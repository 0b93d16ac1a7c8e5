package profile

import (
	"context"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/check"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
)

// AgreementInput is a service agreement, or a change of one, as the caller
// gives it: unchecked; a nil field is left as it is.
type AgreementInput struct {
	Name      *string
	Reference *string
	StartsOn  *string
	EndsOn    *string
}

func (in AgreementInput) empty() bool {
	return in.Name == nil && in.Reference == nil && in.StartsOn == nil && in.EndsOn == nil
}

// check checks the given fields into a: its last day is not before its first.
func (in AgreementInput) check(a *domain.ServiceAgreement) error {
	var c check.Fields
	check.Given(&c, "name", in.Name, check.Text(domain.MaxNameLength), &a.Name)
	check.Given(&c, "reference", in.Reference, check.Text(domain.MaxReferenceLength), &a.Reference)
	starts := check.Given(&c, "startsOn", in.StartsOn, domain.CleanDate, &a.StartsOn)
	ends := check.Given(&c, "endsOn", in.EndsOn, domain.CleanDate, &a.EndsOn)
	if starts && ends && a.EndsOn < a.StartsOn {
		c.Refuse("endsOn", "before_start")
	}
	return c.Err()
}

// Agreements lists a customer's service agreements, oldest first, each
// with its status today: operators, and its portal admins.
func (s *Service) Agreements(ctx context.Context, c *access.Caller, customerID string) ([]domain.ServiceAgreement, error) {
	return s.agreements().readAll(ctx, s, c, customerID, "profile.Agreements")
}

func agreementTarget(a domain.ServiceAgreement) domain.Target {
	name := a.Name
	return domain.Target{Kind: domain.TargetAgreement, ID: a.ID, Name: &name}
}

// agreements is how the service keeps service agreements: a read gives
// each its status today.
func (s *Service) agreements() kind[domain.ServiceAgreement, *domain.ServiceAgreement] {
	return kind[domain.ServiceAgreement, *domain.ServiceAgreement]{prefix: domain.PrefixAgreement, list: s.Store.Agreements,
		change: s.Store.ChangeAgreement, target: agreementTarget,
		created: domain.ActionAgreementCreated, updated: domain.ActionAgreementUpdated, deleted: domain.ActionAgreementDeleted,
		settle: func(a *domain.ServiceAgreement, now time.Time) { a.Status = a.StatusOn(now) }}
}

// CreateAgreement adds a service agreement to a customer (operators): every
// field is required. With an idempotency key, a retry answers the
// agreement the first attempt made.
func (s *Service) CreateAgreement(ctx context.Context, c *access.Caller, customerID string, in AgreementInput, key *idem.Key) (domain.ServiceAgreement, error) {
	const op = "profile.CreateAgreement"
	if err := c.RequireOperatorIn(customerID); err != nil {
		return domain.ServiceAgreement{}, err
	}
	a := domain.ServiceAgreement{Record: domain.NewRecord(domain.PrefixAgreement, customerID, s.now())}
	required(&in.Name, &in.Reference, &in.StartsOn, &in.EndsOn)
	if err := in.check(&a); err != nil {
		return domain.ServiceAgreement{}, err
	}
	a, err := s.agreements().create(ctx, s.Store, c, a, c.ActingExtras(customerID), key)
	return a, errs.Wrap(op, err)
}

// UpdateAgreement changes a service agreement (operators); want, when not
// 0, is the version the caller read.
func (s *Service) UpdateAgreement(ctx context.Context, c *access.Caller, customerID, id string, in AgreementInput, want int) (domain.ServiceAgreement, error) {
	const op = "profile.UpdateAgreement"
	if err := c.RequireOperatorIn(customerID); err != nil {
		return domain.ServiceAgreement{}, err
	}
	if in.empty() {
		return domain.ServiceAgreement{}, errs.ErrEmptyChange
	}
	a, err := s.agreements().update(ctx, c, customerID, id, want, c.ActingExtras(customerID), s.now(), func(a domain.ServiceAgreement) (domain.ServiceAgreement, bool, error) {
		after := a
		err := in.check(&after)
		same := after.Name == a.Name && after.Reference == a.Reference && after.StartsOn == a.StartsOn && after.EndsOn == a.EndsOn
		return after, err == nil && !same, err
	})
	return a, errs.Wrap(op, err)
}

// DeleteAgreement removes a service agreement (operators); want, when not
// 0, is the version the caller read.
func (s *Service) DeleteAgreement(ctx context.Context, c *access.Caller, customerID, id string, want int) error {
	const op = "profile.DeleteAgreement"
	if err := c.RequireOperatorIn(customerID); err != nil {
		return err
	}
	return errs.Wrap(op, s.agreements().delete(ctx, c, customerID, id, want, c.ActingExtras(customerID), s.now()))
}
