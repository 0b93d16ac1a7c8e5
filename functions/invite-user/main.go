// Command invite-user is the Lambda function of POST /v1/customers/{customerId}/users.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withmail"
)

func main() { lambdafn.Start("invite-user", api.InviteUser, withmail.SES) }
