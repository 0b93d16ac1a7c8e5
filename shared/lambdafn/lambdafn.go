// Package lambdafn starts one operation as an AWS Lambda function: it reads
// the configuration and builds the SDK clients once, at cold start, then
// serves API Gateway events. Each function asks only for the clients its
// operation uses, so the others are not linked into its binary.
package lambdafn

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/cursor"
	"github.com/portalaccess/portalaccess/shared/identity/cognito"
	"github.com/portalaccess/portalaccess/shared/mail/sesmail"
	"github.com/portalaccess/portalaccess/shared/store"
)

// Env is what options build clients from.
type Env struct {
	Deps *api.Deps
	aws  func() (awsConfig, error)
}

// Option adds a client to the function's dependencies.
type Option func(e *Env) error

// WithIdentity adds the Cognito user pool.
func WithIdentity(e *Env) error {
	c, err := e.aws()
	if err != nil {
		return err
	}
	e.Deps.Identity = cognito.New(cip.NewFromConfig(c), e.Deps.Config.UserPoolID)
	return nil
}

// WithMail adds the SES sender (SES_CONFIGURATION_SET is optional).
func WithMail(e *Env) error {
	c, err := e.aws()
	if err != nil {
		return err
	}
	e.Deps.Mail = sesmail.New(sesv2.NewFromConfig(c, sesmail.ClientOptions), e.Deps.Config.SenderEmail, os.Getenv("SES_CONFIGURATION_SET"))
	return nil
}

// Start runs the operation as the named function until the runtime stops it.
func Start(name string, op api.Operation, opts ...Option) {
	log := lambdacontext.NewLogger()
	h, err := build(name, op, log, opts...)
	if err != nil {
		log.Error("function cannot start", "function", name, "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}

// StartPublic runs an operation that needs neither configuration nor AWS.
func StartPublic(name string, op api.Operation) {
	log := lambdacontext.NewLogger()
	lambda.Start(api.Handler(name, op, &api.Deps{Log: log}))
}

func build(name string, op api.Operation, log *slog.Logger, opts ...Option) (func(context.Context, eventIn) (eventOut, error), error) {
	e, err := env(log, opts...)
	if err != nil {
		return nil, err
	}
	return api.Handler(name, op, e.Deps), nil
}

// env reads the configuration and builds the table client and the clients
// the options ask for.
func env(log *slog.Logger, opts ...Option) (*Env, error) {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	var loaded *awsConfig
	e := &Env{
		Deps: &api.Deps{Config: cfg, Log: log, Cursors: cursor.New(cfg.CursorSecret)},
		aws: func() (awsConfig, error) {
			if loaded == nil {
				c, err := awsconfig.LoadDefaultConfig(context.Background())
				if err != nil {
					return c, fmt.Errorf("AWS configuration: %w", err)
				}
				loaded = &c
			}
			return *loaded, nil
		},
	}
	c, err := e.aws()
	if err != nil {
		return nil, err
	}
	e.Deps.Store = store.New(dynamodb.NewFromConfig(c), cfg.TableName)
	for _, o := range opts {
		if err := o(e); err != nil {
			return nil, err
		}
	}
	return e, nil
}
