package cognito

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/portalaccess/portalaccess/shared/identity"
)

// ClientsAPI is the part of the Cognito client that app clients use.
type ClientsAPI interface {
	CreateUserPoolClient(ctx context.Context, in *cip.CreateUserPoolClientInput, optFns ...func(*cip.Options)) (*cip.CreateUserPoolClientOutput, error)
	UpdateUserPoolClient(ctx context.Context, in *cip.UpdateUserPoolClientInput, optFns ...func(*cip.Options)) (*cip.UpdateUserPoolClientOutput, error)
	DeleteUserPoolClient(ctx context.Context, in *cip.DeleteUserPoolClientInput, optFns ...func(*cip.Options)) (*cip.DeleteUserPoolClientOutput, error)
	ListUserPoolClients(ctx context.Context, in *cip.ListUserPoolClientsInput, optFns ...func(*cip.Options)) (*cip.ListUserPoolClientsOutput, error)
	CreateManagedLoginBranding(ctx context.Context, in *cip.CreateManagedLoginBrandingInput, optFns ...func(*cip.Options)) (*cip.CreateManagedLoginBrandingOutput, error)
}

var _ ClientsAPI = (*cip.Client)(nil)

// AppClients is identity.Clients on a user pool.
type AppClients struct {
	c  ClientsAPI
	id string
}

var _ identity.Clients = (*AppClients)(nil)

// NewClients makes the app clients of a user pool.
func NewClients(c ClientsAPI, userPoolID string) *AppClients {
	return &AppClients{c: c, id: userPoolID}
}

// Token lifetimes of a portal's client: short access tokens (the portal
// asks the API who may enter anyway), a month of refresh.
const (
	accessMinutes = 15
	refreshDays   = 30
)

func flows(spec identity.ClientSpec) []types.ExplicitAuthFlowsType {
	out := []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}
	if spec.PasswordAuth {
		out = append(out, types.ExplicitAuthFlowsTypeAllowUserPasswordAuth)
	}
	return out
}

// settings are every setting of a portal's app client: public (no
// secret), authorization code with PKCE, revocable refresh tokens, the
// attributes its users may read and change themselves.
func (a *AppClients) settings(spec identity.ClientSpec) *cip.CreateUserPoolClientInput {
	return &cip.CreateUserPoolClientInput{
		UserPoolId: &a.id, ClientName: &spec.Name, GenerateSecret: false,
		AllowedOAuthFlows:               []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthFlowsUserPoolClient: true,
		AllowedOAuthScopes:              []string{"openid", "email", "profile"},
		SupportedIdentityProviders:      []string{"COGNITO"},
		CallbackURLs:                    spec.CallbackURLs, LogoutURLs: spec.LogoutURLs,
		ReadAttributes: spec.ReadAttributes, WriteAttributes: spec.WriteAttributes,
		ExplicitAuthFlows:          flows(spec),
		PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
		EnableTokenRevocation:      aws.Bool(true),
		AccessTokenValidity:        aws.Int32(accessMinutes), IdTokenValidity: aws.Int32(accessMinutes),
		RefreshTokenValidity: refreshDays,
		TokenValidityUnits: &types.TokenValidityUnitsType{
			AccessToken: types.TimeUnitsTypeMinutes, IdToken: types.TimeUnitsTypeMinutes, RefreshToken: types.TimeUnitsTypeDays,
		},
	}
}

// CreateClient makes a public app client (no secret, code flow with PKCE,
// refresh tokens, revocation) and gives it the managed login's own style,
// which managed login needs for each client to show its pages.
//
// The SDK does not retry the creation: it is not idempotent, and a retry
// after an answer that was lost makes a second client, which no setup
// would ever name or remove. A failure is left to the caller, whose
// recovery finds a client made but not recorded by its name.
func (a *AppClients) CreateClient(ctx context.Context, spec identity.ClientSpec) (string, error) {
	out, err := a.c.CreateUserPoolClient(ctx, a.settings(spec), func(o *cip.Options) { o.RetryMaxAttempts = 1 })
	if err != nil {
		return "", fail(err, "CreateUserPoolClient")
	}
	clientID := aws.ToString(out.UserPoolClient.ClientId)
	_, err = a.c.CreateManagedLoginBranding(ctx, &cip.CreateManagedLoginBrandingInput{
		UserPoolId: &a.id, ClientId: &clientID, UseCognitoProvidedValues: true,
	})
	var exists *types.ManagedLoginBrandingExistsException
	if err != nil && !errors.As(err, &exists) {
		return clientID, fail(err, "CreateManagedLoginBranding")
	}
	return clientID, nil
}

// UpdateClient sets every setting of the client, as UpdateUserPoolClient
// resets what it is not given.
func (a *AppClients) UpdateClient(ctx context.Context, clientID string, spec identity.ClientSpec) error {
	c := a.settings(spec)
	_, err := a.c.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{
		UserPoolId: c.UserPoolId, ClientId: &clientID, ClientName: c.ClientName,
		AllowedOAuthFlows: c.AllowedOAuthFlows, AllowedOAuthFlowsUserPoolClient: c.AllowedOAuthFlowsUserPoolClient,
		AllowedOAuthScopes: c.AllowedOAuthScopes, SupportedIdentityProviders: c.SupportedIdentityProviders,
		CallbackURLs: c.CallbackURLs, LogoutURLs: c.LogoutURLs, ExplicitAuthFlows: c.ExplicitAuthFlows,
		ReadAttributes: c.ReadAttributes, WriteAttributes: c.WriteAttributes,
		PreventUserExistenceErrors: c.PreventUserExistenceErrors, EnableTokenRevocation: c.EnableTokenRevocation,
		AccessTokenValidity: c.AccessTokenValidity, IdTokenValidity: c.IdTokenValidity,
		RefreshTokenValidity: c.RefreshTokenValidity, TokenValidityUnits: c.TokenValidityUnits,
	})
	return fail(err, "UpdateUserPoolClient")
}

// DeleteClient removes the client (its tokens no longer refresh; the API
// refuses its access tokens already, as the setup is gone).
func (a *AppClients) DeleteClient(ctx context.Context, clientID string) error {
	_, err := a.c.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: &a.id, ClientId: &clientID})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return nil
	}
	return fail(err, "DeleteUserPoolClient")
}

// FindClient finds a client by name, for a setup whose client was made
// but not recorded (a request that died in between).
func (a *AppClients) FindClient(ctx context.Context, name string) (string, bool, error) {
	in := &cip.ListUserPoolClientsInput{UserPoolId: &a.id, MaxResults: aws.Int32(60)}
	for {
		out, err := a.c.ListUserPoolClients(ctx, in)
		if err != nil {
			return "", false, fail(err, "ListUserPoolClients")
		}
		for _, c := range out.UserPoolClients {
			if aws.ToString(c.ClientName) == name {
				return aws.ToString(c.ClientId), true, nil
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return "", false, nil
		}
		in.NextToken = out.NextToken
	}
}
