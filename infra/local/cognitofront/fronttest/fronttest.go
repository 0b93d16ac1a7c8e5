// Package fronttest starts, for a test binary, cognito-local and the SES
// emulator with the Cognito front and the local Lambda endpoint before
// them, wired as the local stack wires them: tokens issued for the front,
// the CustomMessage trigger invoked at the Lambda endpoint, codes delivered
// to the SES emulator's mailbox.
package fronttest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/portalaccess/portalaccess/infra/local/cognitofront"
	"github.com/portalaccess/portalaccess/infra/local/cognitofront/lambdalocal"
	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/provision"
	"github.com/portalaccess/portalaccess/shared/mail/sesmail"
)

// CustomMessage is the name the CustomMessage trigger is invoked under.
const CustomMessage = "custom-message"

// Sender is the address codes are sent from.
const Sender = "no-reply@portal-access.example"

// Options are the test's hooks.
type Options struct {
	// Locale is the front's Locale hook.
	Locale func(ctx context.Context, clientID string) (locale, customerName, portalName string)
	// Log receives the front's and the Lambda endpoint's lines,
	// EmulatorLog the emulators' own; nil discards.
	Log, EmulatorLog io.Writer
	// Now is the front's clock; nil is time.Now.
	Now func() time.Time
}

// Env is a running front with its emulators and one user pool.
type Env struct {
	Emulators *emulators.Emulators
	Front     *cognitofront.Front
	// URL is the front's base URL; Issuer the tokens' iss.
	URL, Issuer string
	// Functions is the Lambda endpoint: register the CustomMessage
	// trigger's handler under CustomMessage.
	Functions *lambdalocal.Functions
	// Cognito talks to cognito-local straight (set-up, look-behind).
	Cognito *cip.Client
	SES     *sesv2.Client
	PoolID  string

	servers []*http.Server
}

// Start starts everything; Stop ends it.
func Start(ctx context.Context, o Options) (*Env, error) {
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	log := slog.New(slog.NewTextHandler(logw, nil))
	frontL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	lambdaL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		frontL.Close()
		return nil, err
	}
	e := &Env{URL: "http://" + frontL.Addr().String(), Functions: lambdalocal.New(log)}
	em, err := emulators.Start(ctx, emulators.Options{
		Only: []string{"cognito", "ses"}, Log: o.EmulatorLog,
		Cognito: emulators.CognitoConfig{
			IssuerDomain:     e.URL,
			LambdaEndpoint:   "http://" + lambdaL.Addr().String(),
			TriggerFunctions: map[string]string{"CustomMessage": CustomMessage},
		},
	})
	if err != nil {
		frontL.Close()
		lambdaL.Close()
		return nil, err
	}
	e.Emulators = em
	awsCfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	e.Cognito = cip.NewFromConfig(awsCfg, func(o *cip.Options) { o.BaseEndpoint = aws.String(em.CognitoURL) })
	e.SES = sesv2.NewFromConfig(awsCfg, sesmail.ClientOptions, func(o *sesv2.Options) { o.BaseEndpoint = aws.String(em.SESURL) })
	pool, err := e.Cognito.CreateUserPool(ctx, provision.NewUserPool("portal-access"))
	if err != nil {
		e.Stop()
		return nil, fmt.Errorf("create user pool: %w", err)
	}
	e.PoolID = aws.ToString(pool.UserPool.Id)
	e.Issuer = e.URL + "/" + e.PoolID
	e.Front, err = cognitofront.New(cognitofront.Options{
		URL: e.URL, CognitoURL: em.CognitoURL, UserPoolID: func() string { return e.PoolID },
		CognitoDir: em.CognitoDir, SES: e.SES, Sender: Sender, Functions: e.Functions,
		Locale: o.Locale, Log: log, Now: o.Now,
	})
	if err != nil {
		e.Stop()
		return nil, err
	}
	e.serve(frontL, e.Front)
	e.serve(lambdaL, e.Functions)
	return e, nil
}

func (e *Env) serve(l net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	e.servers = append(e.servers, srv)
	go func() { _ = srv.Serve(l) }()
}

// Stop stops the servers and the emulators.
func (e *Env) Stop() {
	for _, s := range e.servers {
		_ = s.Close()
	}
	if e.Emulators != nil {
		e.Emulators.Stop()
	}
}

// Client makes a public app client (no secret) of the pool, as a portal
// setup's: the code flow with PKCE, these callback and logout URLs.
func (e *Env) Client(ctx context.Context, name string, callbacks, logouts []string) (string, error) {
	out, err := e.Cognito.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: &e.PoolID, ClientName: &name,
		CallbackURLs: callbacks, LogoutURLs: logouts,
		AllowedOAuthFlows:               []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeCode},
		AllowedOAuthFlowsUserPoolClient: true,
		AllowedOAuthScopes:              []string{"openid", "email", "profile"},
		SupportedIdentityProviders:      []string{"COGNITO"},
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{
			ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
		PreventUserExistenceErrors: ciptypes.PreventUserExistenceErrorTypesEnabled,
		EnableTokenRevocation:      aws.Bool(true),
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.UserPoolClient.ClientId), nil
}

// User makes an enabled, confirmed identity (as the product's identity
// port does: no message, a permanent password) and returns its sub.
func (e *Env) User(ctx context.Context, email, password string) (string, error) {
	out, err := e.Cognito.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: &e.PoolID, Username: &email, MessageAction: ciptypes.MessageActionTypeSuppress,
		UserAttributes: []ciptypes.AttributeType{
			{Name: aws.String("email"), Value: &email},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
	})
	if err != nil {
		return "", err
	}
	sub := aws.ToString(out.User.Username)
	_, err = e.Cognito.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: &e.PoolID, Username: &sub, Password: &password, Permanent: true,
	})
	return sub, err
}
