// Package public starts a function that needs neither configuration nor
// AWS (the health check), linking no AWS client. Like every API function,
// it refuses requests that did not come through the CloudFront
// distribution when ORIGIN_SECRET is set.
package public

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/lambdafn/origin"
)

// Start runs the endpoint as the named function.
func Start(name string, ep httpapi.Endpoint) {
	log := lambdacontext.NewLogger()
	secrets, err := config.OriginSecrets(os.Getenv)
	if err != nil {
		log.Error("function cannot start", "function", name, "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(origin.Check(name, secrets, httpapi.Wrap(name, ep, nil, log), log))
}
