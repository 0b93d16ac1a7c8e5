// Command enable-operator is the Lambda function of POST /v1/operators/{operatorId}/enable.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withidentity"
)

func main() { lambdafn.Start("enable-operator", api.EnableOperator, withidentity.Cognito) }
