// Command health is the Lambda function of GET /v1/health.
package main

import (
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/lambdafn/public"
)

func main() { public.Start("health", httpapi.Health) }
