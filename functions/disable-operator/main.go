// Command disable-operator is the Lambda function of POST /v1/operators/{operatorId}/disable.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("disable-operator", api.DisableOperator, lambdafn.WithIdentity) }
