// Command invite-operator is the Lambda function of POST /v1/operators.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withmail"
)

func main() { lambdafn.Start("invite-operator", api.InviteOperator, withmail.SES) }
