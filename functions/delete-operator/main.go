// Command delete-operator is the Lambda function of DELETE /v1/operators/{operatorId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withidentity"
)

func main() { lambdafn.Start("delete-operator", api.DeleteOperator, withidentity.Cognito) }
