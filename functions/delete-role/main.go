// Command delete-role is the Lambda function of DELETE /v1/customers/{customerId}/roles/{roleId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("delete-role", api.DeleteRole) }
