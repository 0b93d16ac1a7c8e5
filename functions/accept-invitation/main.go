// Command accept-invitation is the Lambda function of POST /v1/invitations/accept.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withidentity"
)

func main() { lambdafn.Start("accept-invitation", api.AcceptInvitation, withidentity.Cognito) }
