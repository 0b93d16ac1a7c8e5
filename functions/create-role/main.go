// Command create-role is the Lambda function of POST /v1/customers/{customerId}/roles.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("create-role", api.CreateRole) }
