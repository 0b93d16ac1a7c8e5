// Command get-operator is the Lambda function of GET /v1/operators/{operatorId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("get-operator", api.GetOperator) }
