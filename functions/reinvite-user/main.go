// Command reinvite-user is the Lambda function of POST /v1/customers/{customerId}/users/{userId}/reinvite.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withmail"
)

func main() { lambdafn.Start("reinvite-user", api.ReinviteUser, withmail.SES) }
