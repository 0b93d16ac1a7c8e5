// Package public starts a function that needs neither configuration nor
// AWS (the health check), linking no AWS client.
package public

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/portalaccess/portalaccess/shared/httpapi"
)

// Start runs the endpoint as the named function.
func Start(name string, ep httpapi.Endpoint) {
	lambda.Start(httpapi.Wrap(name, ep, nil, lambdacontext.NewLogger()))
}
