// Command portal-preflight is the Lambda function of OPTIONS /v1/{proxy+}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("portal-preflight", api.PortalPreflight) }
