// Command list-operators is the Lambda function of GET /v1/operators.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("list-operators", api.ListOperators) }
