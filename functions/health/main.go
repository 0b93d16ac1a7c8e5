// Command health is the Lambda function of GET /v1/health.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.StartPublic("health", api.Health) }
