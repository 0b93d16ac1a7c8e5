// Package lambdafn starts one operation as an AWS Lambda function: it reads
// the configuration (and on AWS its secrets, from Secrets Manager) and
// builds the SDK clients once, at cold start, then
// serves API Gateway events. Each function asks only for the clients its
// operation uses (withidentity, withmail), so the others are neither linked
// into its binary nor initialised at its cold start.
package lambdafn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/app"
	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/lambdafn/origin"
	"github.com/portalaccess/portalaccess/shared/lambdafn/secrets"
	"github.com/portalaccess/portalaccess/shared/store"
)

// Env is what options build clients from, and add them to.
type Env struct {
	App app.Env
	AWS aws.Config
}

// Option adds a client to the function's dependencies; see the packages
// withidentity and withmail.
type Option func(e *Env) error

// Start runs the operation as the named function until the runtime stops it.
func Start(name string, op api.Operation, opts ...Option) {
	e, log := MustEnv(name, opts...)
	e.Require(name, len(e.App.Config.CursorSecret) > 0, "CURSOR_SECRET is not set: an API function signs its paging cursors with it")
	// On AWS, refuse what did not come through the distribution before
	// anything else runs (ORIGIN_SECRET; unset locally).
	lambda.Start(origin.Check(name, e.App.Config.OriginSecrets, api.Handler(name, op, api.NewServices(e.App)), log))
}

// env reads the configuration and builds the table client and the clients
// the options ask for, once, at cold start. On AWS the secrets come from
// Secrets Manager, by the ARNs in the environment (shared/lambdafn/secrets).
func env(log *slog.Logger, opts ...Option) (*Env, error) {
	getenv, err := secrets.Resolve(context.Background(), os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	awsCfg, err := awsFromEnv()
	if err != nil {
		return nil, err
	}
	e := &Env{AWS: awsCfg, App: app.Env{Config: cfg, Log: log}}
	e.App.Store = store.New(dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = Endpoint("DynamoDB")
	}), cfg.TableName)
	for _, o := range opts {
		if err := o(e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// MustEnv is what every function starts from: the function's logger and
// its Env (the configuration, the table, and the options' clients), built
// once at cold start. A function that cannot start says why and exits, so
// that the runtime reports the failed init rather than serve without its
// clients. A further check of the function's own can fail the same way
// (the deliverer's: see [Env.Require]).
func MustEnv(name string, opts ...Option) (*Env, *slog.Logger) {
	log := lambdacontext.NewLogger()
	e, err := env(log, opts...)
	if err != nil {
		CannotStart(log, name, err)
	}
	return e, log
}

// CannotStart logs why the named function cannot start, and exits.
func CannotStart(log *slog.Logger, name string, err error) {
	log.Error("function cannot start", "function", name, "error", err.Error())
	os.Exit(1)
}

// Require ends a function's start, as MustEnv would, when ok is false: what
// names the setting the function cannot run without.
func (e *Env) Require(name string, ok bool, what string) {
	if !ok {
		CannotStart(e.App.Log, name, errors.New(what))
	}
}
