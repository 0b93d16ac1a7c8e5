// Command update-operator is the Lambda function of PATCH /v1/operators/{operatorId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("update-operator", api.UpdateOperator) }
