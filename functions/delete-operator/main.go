// Command delete-operator is the Lambda function of DELETE /v1/operators/{operatorId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("delete-operator", api.DeleteOperator, lambdafn.WithIdentity) }
