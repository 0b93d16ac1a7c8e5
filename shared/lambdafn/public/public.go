// Package public starts a function that needs neither configuration nor
// AWS (the health check), linking no AWS client but Secrets Manager's. Like
// every API function, it refuses requests that did not come through the
// CloudFront distribution when ORIGIN_SECRET is set, or on AWS read at cold
// start from the secret ORIGIN_SECRET_ARN names.
package public

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/lambdafn/origin"
	"github.com/portalaccess/portalaccess/shared/lambdafn/secrets"
)

// Start runs the endpoint as the named function.
func Start(name string, ep httpapi.Endpoint) {
	log := lambdacontext.NewLogger()
	getenv, err := secrets.Resolve(context.Background(), os.Getenv)
	var values []string
	if err == nil {
		values, err = config.OriginSecrets(getenv)
	}
	if err != nil {
		log.Error("function cannot start", "function", name, "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(origin.Check(name, values, httpapi.Wrap(name, ep, nil, log), log))
}
