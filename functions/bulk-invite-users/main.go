// Command bulk-invite-users is the Lambda function of POST /v1/customers/{customerId}/users/bulk.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withmail"
)

func main() { lambdafn.Start("bulk-invite-users", api.BulkInviteUsers, withmail.SES) }
