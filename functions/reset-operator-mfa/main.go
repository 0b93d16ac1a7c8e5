// Command reset-operator-mfa is the Lambda function of DELETE /v1/operators/{operatorId}/mfa.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withidentity"
)

func main() { lambdafn.Start("reset-operator-mfa", api.ResetOperatorMFA, withidentity.Cognito) }
