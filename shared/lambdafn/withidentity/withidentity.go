// Package withidentity adds the Cognito user pool to a function. It is a
// package of its own so that only the functions that call Cognito link (and
// initialise) its client.
package withidentity

import (
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/portalaccess/portalaccess/shared/identity/cognito"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

// Cognito is the lambdafn option.
func Cognito(e *lambdafn.Env) error {
	e.App.Identity = cognito.New(cip.NewFromConfig(e.AWS, func(o *cip.Options) {
		o.BaseEndpoint = lambdafn.Endpoint("Cognito Identity Provider")
	}), e.App.Config.UserPoolID)
	return nil
}

// Clients is the lambdafn option of the functions that keep portal setups'
// app clients in step: the user pool's app clients, and its users (which
// the sweep needs too).
func Clients(e *lambdafn.Env) error {
	c := cip.NewFromConfig(e.AWS, func(o *cip.Options) {
		o.BaseEndpoint = lambdafn.Endpoint("Cognito Identity Provider")
	})
	e.App.Identity = cognito.New(c, e.App.Config.UserPoolID)
	e.App.Clients = cognito.NewClients(c, e.App.Config.UserPoolID)
	return nil
}
