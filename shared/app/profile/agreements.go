package profile

import (
	"context"
	"slices"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
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
	var fields []errs.Field
	if in.Name != nil {
		n, code := domain.CleanText(*in.Name, domain.MaxNameLength)
		if code != "" {
			fields = append(fields, errs.F("name", code))
		}
		a.Name = n
	}
	if in.Reference != nil {
		r, code := domain.CleanText(*in.Reference, domain.MaxReferenceLength)
		if code != "" {
			fields = append(fields, errs.F("reference", code))
		}
		a.Reference = r
	}
	datesOK := true
	if in.StartsOn != nil {
		d, code := domain.CleanDate(*in.StartsOn)
		if code != "" {
			fields, datesOK = append(fields, errs.F("startsOn", code)), false
		}
		a.StartsOn = d
	}
	if in.EndsOn != nil {
		d, code := domain.CleanDate(*in.EndsOn)
		if code != "" {
			fields, datesOK = append(fields, errs.F("endsOn", code)), false
		}
		a.EndsOn = d
	}
	if datesOK && a.EndsOn < a.StartsOn {
		fields = append(fields, errs.F("endsOn", "before_start"))
	}
	if len(fields) > 0 {
		return errs.Fields(fields...)
	}
	return nil
}

// Agreements lists a customer's service agreements, oldest first, each
// with its status today: operators, and its portal admins.
func (s *Service) Agreements(ctx context.Context, c *access.Caller, customerID string) ([]domain.ServiceAgreement, error) {
	const op = "profile.Agreements"
	if err := c.RequireUserManager(customerID); err != nil {
		return nil, err
	}
	if err := s.exists(ctx, c, customerID); err != nil {
		return nil, errs.Wrap(op, err)
	}
	as, err := s.Store.Agreements(ctx, customerID)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	now := s.now()
	for i := range as {
		as[i].Status = as[i].StatusOn(now)
	}
	return as, nil
}

func agreementTarget(a domain.ServiceAgreement) domain.Target {
	name := a.Name
	return domain.Target{Kind: domain.TargetAgreement, ID: a.ID, Name: &name}
}

// CreateAgreement adds a service agreement to a customer (operators): every
// field is required. With an idempotency key, a retry answers the
// agreement the first attempt made.
func (s *Service) CreateAgreement(ctx context.Context, c *access.Caller, customerID string, in AgreementInput, key *idem.Key) (domain.ServiceAgreement, error) {
	const op = "profile.CreateAgreement"
	if err := c.RequireOperatorIn(customerID); err != nil {
		return domain.ServiceAgreement{}, err
	}
	now := s.now()
	a := domain.ServiceAgreement{ID: domain.NewID(domain.PrefixAgreement), CustomerID: customerID, CreatedAt: now, UpdatedAt: now, Version: 1}
	required(&in.Name, &in.Reference, &in.StartsOn, &in.EndsOn)
	if err := in.check(&a); err != nil {
		return domain.ServiceAgreement{}, err
	}
	key, err := idem.Look(ctx, s.Store, key, now)
	if err != nil {
		return domain.ServiceAgreement{}, errs.Wrap(op, err)
	}
	if ref := key.PriorRef(); ref != "" {
		return s.agreement(ctx, customerID, ref)
	}
	sc := domain.CustomerScope(customerID)
	err = s.Store.ChangeAgreement(ctx, state.AgreementChange{After: &a, Extras: state.Extras{Idempotency: key.Record(a.ID, now)},
		Event: domain.NewEvent(now, c.ActorIn(sc), domain.ActionAgreementCreated, agreementTarget(a), sc)})
	if err != nil {
		ref, err := idem.LostRace(ctx, s.Store, key, err, now)
		if err != nil {
			return domain.ServiceAgreement{}, errs.Wrap(op, err)
		}
		return s.agreement(ctx, customerID, ref)
	}
	a.Status = a.StatusOn(now)
	return a, nil
}

// agreement reads one service agreement of a customer, its status today.
func (s *Service) agreement(ctx context.Context, customerID, id string) (domain.ServiceAgreement, error) {
	if !domain.ValidID(domain.PrefixAgreement, id) {
		return domain.ServiceAgreement{}, state.ErrNotFound
	}
	as, err := s.Store.Agreements(ctx, customerID)
	if err != nil {
		return domain.ServiceAgreement{}, err
	}
	if i := slices.IndexFunc(as, func(a domain.ServiceAgreement) bool { return a.ID == id }); i >= 0 {
		as[i].Status = as[i].StatusOn(s.now())
		return as[i], nil
	}
	return domain.ServiceAgreement{}, state.ErrNotFound
}

// UpdateAgreement changes a service agreement (operators); want, when not
// 0, is the version the caller read.
func (s *Service) UpdateAgreement(ctx context.Context, c *access.Caller, customerID, id string, in AgreementInput, want int) (domain.ServiceAgreement, error) {
	const op = "profile.UpdateAgreement"
	if err := c.RequireOperatorIn(customerID); err != nil {
		return domain.ServiceAgreement{}, err
	}
	if in.empty() {
		return domain.ServiceAgreement{}, ErrEmpty
	}
	a, err := s.agreement(ctx, customerID, id)
	if err != nil {
		return a, errs.Wrap(op, err)
	}
	if want > 0 && a.Version != want {
		return a, state.ErrStale
	}
	after := a
	if err := in.check(&after); err != nil {
		return a, err
	}
	if after.Name == a.Name && after.Reference == a.Reference && after.StartsOn == a.StartsOn && after.EndsOn == a.EndsOn {
		return a, nil // nothing changes: no new version, no audit event
	}
	now := s.now()
	after.Version, after.UpdatedAt = a.Version+1, now
	sc := domain.CustomerScope(customerID)
	err = s.Store.ChangeAgreement(ctx, state.AgreementChange{Before: &a, After: &after,
		Event: domain.NewEvent(now, c.ActorIn(sc), domain.ActionAgreementUpdated, agreementTarget(after), sc)})
	if err != nil {
		return a, errs.Wrap(op, stale(err, want))
	}
	after.Status = after.StatusOn(now)
	return after, nil
}

// DeleteAgreement removes a service agreement (operators); want, when not
// 0, is the version the caller read.
func (s *Service) DeleteAgreement(ctx context.Context, c *access.Caller, customerID, id string, want int) error {
	const op = "profile.DeleteAgreement"
	if err := c.RequireOperatorIn(customerID); err != nil {
		return err
	}
	a, err := s.agreement(ctx, customerID, id)
	if err != nil {
		return errs.Wrap(op, err)
	}
	if want > 0 && a.Version != want {
		return state.ErrStale
	}
	now := s.now()
	sc := domain.CustomerScope(customerID)
	err = s.Store.ChangeAgreement(ctx, state.AgreementChange{Before: &a,
		Event: domain.NewEvent(now, c.ActorIn(sc), domain.ActionAgreementDeleted, agreementTarget(a), sc)})
	return errs.Wrap(op, stale(err, want))
}
