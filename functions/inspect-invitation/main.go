// Command inspect-invitation is the Lambda function of POST /v1/invitations/inspect.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withidentity"
)

func main() { lambdafn.Start("inspect-invitation", api.InspectInvitation, withidentity.Cognito) }
