// Command update-user is the Lambda function of PATCH /v1/customers/{customerId}/users/{userId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("update-user", api.UpdateUser) }
