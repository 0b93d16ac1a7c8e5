// Command list-portal-users is the Lambda function of GET /v1/customers/{customerId}/portals/{portalId}/users.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("list-portal-users", api.ListPortalUsers) }
