// Package cognito is the identity.Provider on Amazon Cognito user pools whose
// sign-in attribute is the e-mail address (the username is then the sub).
package cognito

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/identity"
)

// Client is the part of the Cognito client the adapter uses.
type Client interface {
	AdminGetUser(ctx context.Context, in *cip.AdminGetUserInput, optFns ...func(*cip.Options)) (*cip.AdminGetUserOutput, error)
	AdminCreateUser(ctx context.Context, in *cip.AdminCreateUserInput, optFns ...func(*cip.Options)) (*cip.AdminCreateUserOutput, error)
	AdminSetUserPassword(ctx context.Context, in *cip.AdminSetUserPasswordInput, optFns ...func(*cip.Options)) (*cip.AdminSetUserPasswordOutput, error)
	AdminEnableUser(ctx context.Context, in *cip.AdminEnableUserInput, optFns ...func(*cip.Options)) (*cip.AdminEnableUserOutput, error)
	AdminDisableUser(ctx context.Context, in *cip.AdminDisableUserInput, optFns ...func(*cip.Options)) (*cip.AdminDisableUserOutput, error)
	AdminUserGlobalSignOut(ctx context.Context, in *cip.AdminUserGlobalSignOutInput, optFns ...func(*cip.Options)) (*cip.AdminUserGlobalSignOutOutput, error)
	AdminDeleteUser(ctx context.Context, in *cip.AdminDeleteUserInput, optFns ...func(*cip.Options)) (*cip.AdminDeleteUserOutput, error)
	AdminSetUserMFAPreference(ctx context.Context, in *cip.AdminSetUserMFAPreferenceInput, optFns ...func(*cip.Options)) (*cip.AdminSetUserMFAPreferenceOutput, error)
}

var _ Client = (*cip.Client)(nil)

// Pool is one user pool.
type Pool struct {
	c  Client
	id string
}

var (
	_ identity.Provider = (*Pool)(nil)
	_ identity.MFA      = (*Pool)(nil)
)

// New makes the provider for a user pool.
func New(c Client, userPoolID string) *Pool { return &Pool{c: c, id: userPoolID} }

func (p *Pool) Lookup(ctx context.Context, email string) (identity.Identity, bool, error) {
	out, err := p.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &p.id, Username: &email})
	var nf *types.UserNotFoundException
	if errors.As(err, &nf) {
		return identity.Identity{}, false, nil
	}
	if err != nil {
		return identity.Identity{}, false, fail(err, "AdminGetUser")
	}
	id := identity.Identity{Email: email, Enabled: out.Enabled}
	for _, a := range out.UserAttributes {
		if aws.ToString(a.Name) == "sub" {
			id.Sub = aws.ToString(a.Value)
		}
	}
	if id.Sub == "" {
		id.Sub = aws.ToString(out.Username)
	}
	return id, true, nil
}

// Create makes the identity with the chosen password as its temporary one
// (Cognito checks the policy before anything is created), then makes it
// permanent so that the identity is confirmed and signs in at once.
func (p *Pool) Create(ctx context.Context, email, password string) (identity.Identity, error) {
	out, err := p.c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId:        &p.id,
		Username:          &email,
		TemporaryPassword: &password,
		MessageAction:     types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: &email},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
	})
	if err != nil {
		return identity.Identity{}, fail(err, "AdminCreateUser")
	}
	id := identity.Identity{Email: email, Enabled: true, Sub: aws.ToString(out.User.Username)}
	for _, a := range out.User.Attributes {
		if aws.ToString(a.Name) == "sub" {
			id.Sub = aws.ToString(a.Value)
		}
	}
	if err := p.SetPassword(ctx, id.Sub, password); err != nil {
		return id, err
	}
	return id, nil
}

func (p *Pool) SetPassword(ctx context.Context, sub, password string) error {
	_, err := p.c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: &p.id, Username: &sub, Password: &password, Permanent: true,
	})
	return fail(err, "AdminSetUserPassword")
}

func (p *Pool) Enable(ctx context.Context, sub string) error {
	_, err := p.c.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: &p.id, Username: &sub})
	return fail(err, "AdminEnableUser")
}

// Disable stops sign-in, then revokes every refresh token so that no new
// access token is issued; the table check refuses the old ones at once.
func (p *Pool) Disable(ctx context.Context, sub string) error {
	if _, err := p.c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: &p.id, Username: &sub}); err != nil {
		return fail(err, "AdminDisableUser")
	}
	_, err := p.c.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: &p.id, Username: &sub})
	return fail(err, "AdminUserGlobalSignOut")
}

func (p *Pool) Delete(ctx context.Context, sub string) error {
	_, err := p.c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: &p.id, Username: &sub})
	var nf *types.UserNotFoundException
	if errors.As(err, &nf) {
		return nil
	}
	return fail(err, "AdminDeleteUser")
}

// TOTP reads the identity's MFA settings: SOFTWARE_TOKEN_MFA among the
// enabled factors (UserMFASettingList) or the preferred one.
func (p *Pool) TOTP(ctx context.Context, sub string) (bool, error) {
	out, err := p.c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &p.id, Username: &sub})
	if err != nil {
		return false, fail(err, "AdminGetUser")
	}
	if aws.ToString(out.PreferredMfaSetting) == totp {
		return true, nil
	}
	for _, s := range out.UserMFASettingList {
		if s == totp {
			return true, nil
		}
	}
	return false, nil
}

const totp = "SOFTWARE_TOKEN_MFA"

// PreferTOTP enables the verified authenticator app and makes it preferred.
// Cognito refuses it (InvalidParameterException) when no app was verified.
func (p *Pool) PreferTOTP(ctx context.Context, sub string) error {
	err := p.setTOTP(ctx, sub, true)
	var notSetUp *types.InvalidParameterException
	if errors.As(err, &notSetUp) {
		return identity.ErrMFANotSetUp.In("cognito: AdminSetUserMFAPreference", err)
	}
	return fail(err, "AdminSetUserMFAPreference")
}

// setTOTP enables the authenticator app and makes it preferred (on), or
// disables it; the error is Cognito's own.
func (p *Pool) setTOTP(ctx context.Context, sub string, on bool) error {
	_, err := p.c.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{
		UserPoolId: &p.id, Username: &sub,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: on, PreferredMfa: on},
	})
	return err
}

// ResetTOTP disables the authenticator app, then revokes every refresh
// token: whoever holds the old app and a session is out.
func (p *Pool) ResetTOTP(ctx context.Context, sub string) error {
	err := p.setTOTP(ctx, sub, false)
	var nf *types.UserNotFoundException
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		return fail(err, "AdminSetUserMFAPreference")
	}
	_, err = p.c.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: &p.id, Username: &sub})
	if errors.As(err, &nf) {
		return nil
	}
	return fail(err, "AdminUserGlobalSignOut")
}

// fail maps Cognito's errors into the port's.
func fail(err error, op string) error {
	if err == nil {
		return nil
	}
	op = "cognito: " + op
	var weak *types.InvalidPasswordException
	if errors.As(err, &weak) {
		return identity.ErrWeakPassword.In(op, err)
	}
	// A password its pattern refuses comes back as a bad parameter; the
	// policy's check refuses those first, this keeps it a 400 if not.
	var bad *types.InvalidParameterException
	if errors.As(err, &bad) && strings.Contains(strings.ToLower(bad.ErrorMessage()), "password") {
		return identity.ErrWeakPassword.In(op, err)
	}
	var nf *types.UserNotFoundException
	if errors.As(err, &nf) {
		return identity.ErrNotFound.In(op, err)
	}
	var exists *types.UsernameExistsException
	if errors.As(err, &exists) {
		return identity.ErrExists.In(op, err)
	}
	var tooMany *types.TooManyRequestsException
	if errors.As(err, &tooMany) || errors.Is(err, context.DeadlineExceeded) {
		return identity.ErrUnavailable.In(op, err)
	}
	return errs.Wrap(op, err)
}
