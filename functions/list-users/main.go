// Command list-users is the Lambda function of GET /v1/customers/{customerId}/users.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("list-users", api.ListUsers) }
