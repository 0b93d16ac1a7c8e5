// Command reinvite-operator is the Lambda function of POST /v1/operators/{operatorId}/reinvite.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withmail"
)

func main() { lambdafn.Start("reinvite-operator", api.ReinviteOperator, withmail.SES) }
