package api

import (
	"context"
	"errors"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
)

// BootstrapAdmin makes sure the provider has its first operator admin: when
// no operator has the e-mail, one is created as an admin and invited. It is
// run at deploy (a CloudFormation custom resource), so it must be safe to run
// any number of times: an operator with the e-mail, in any state, is left as
// it is. It returns the operator's id.
func (d *Deps) BootstrapAdmin(ctx context.Context, email string) (string, error) {
	email, code := domain.NormalizeEmail(email)
	if code != "" {
		return "", apperr.Fields(apperr.Field("adminEmail", code, "adminEmail must be one valid e-mail address."))
	}
	deployer := &Caller{Sub: "deployment", Email: "deployment", Operator: &domain.Member{
		ID: "deployment", Email: "deployment", Name: "The deployment", Role: domain.RoleAdmin,
	}}
	if m, err := d.Store.MemberByEmail(ctx, domain.ProviderScope, email); err == nil {
		// Still waiting for an invitation that never arrived (on a first
		// deploy the SES identity is often not verified yet): send it again.
		if d.needsResend(&m) {
			if _, err := d.resumeInvite(ctx, deployer, scopeContext{Scope: domain.ProviderScope}, m.ID); err != nil {
				return "", err
			}
		}
		return m.ID, nil
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return "", err
	}
	m, err := d.invite(ctx, deployer, scopeContext{Scope: domain.ProviderScope},
		newMember{Email: email, Role: domain.RoleAdmin}, nil, nil)
	if errors.Is(err, apperr.ErrAlreadyMember) {
		existing, gerr := d.Store.MemberByEmail(ctx, domain.ProviderScope, email)
		return existing.ID, gerr
	}
	return m.ID, err
}
