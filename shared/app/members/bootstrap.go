package members

import (
	"context"
	"errors"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/delivery"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// EnsureFirstAdmin makes sure the provider has its first operator admin:
// when no operator has the e-mail, one is created as an admin and invited.
// It runs at deploy (a CloudFormation custom resource), so it is safe to run
// any number of times: an operator with the e-mail, in any state, is left as
// it is, but an invitation that never arrived (on a first deploy the SES
// identity is often not verified yet) is sent again. It returns the
// operator's id.
func (s *Service) EnsureFirstAdmin(ctx context.Context, email string) (string, error) {
	const op = "members.EnsureFirstAdmin"
	email, code := domain.NormalizeEmail(email)
	if code != "" {
		return "", errs.Fields(errs.F("adminEmail", code))
	}
	deployer := access.As(access.DeploymentActor)
	sc := Scope{Where: delivery.Where{Scope: domain.ProviderScope}}
	if m, err := s.Store.MemberByEmail(ctx, domain.ProviderScope, email); err == nil {
		if delivery.NeedsResend(&m, s.now()) {
			if _, err := s.resume(ctx, deployer, sc, m.ID); err != nil {
				return "", errs.Wrap(op, err)
			}
		}
		return m.ID, nil
	} else if !errors.Is(err, state.ErrNotFound) {
		return "", errs.Wrap(op, err)
	}
	m, err := s.invite(ctx, deployer, sc, newMember{Email: email, Role: domain.RoleAdmin}, state.Extras{})
	if errors.Is(err, state.ErrEmailTaken) {
		existing, gerr := s.Store.MemberByEmail(ctx, domain.ProviderScope, email)
		return existing.ID, errs.Wrap(op, gerr)
	}
	return m.ID, errs.Wrap(op, err)
}
