// Command portal-access is the Lambda function of GET /v1/portal-access.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("portal-access", api.PortalAccess) }
