// Command act-on-users is the Lambda function of POST /v1/customers/{customerId}/users/actions.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withidentity"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withmail"
)

func main() { lambdafn.Start("act-on-users", api.ActOnUsers, withidentity.Cognito, withmail.SES) }
