// Command get-user is the Lambda function of GET /v1/customers/{customerId}/users/{userId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("get-user", api.GetUser) }
