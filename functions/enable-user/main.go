// Command enable-user is the Lambda function of POST /v1/customers/{customerId}/users/{userId}/enable.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("enable-user", api.EnableUser, lambdafn.WithIdentity) }
