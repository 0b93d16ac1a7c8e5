// Command list-roles is the Lambda function of GET /v1/customers/{customerId}/roles.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("list-roles", api.ListRoles) }
