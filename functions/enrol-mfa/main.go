// Command enrol-mfa is the Lambda function of POST /v1/me/mfa.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withidentity"
)

func main() { lambdafn.Start("enrol-mfa", api.EnrolMFA, withidentity.Cognito) }
