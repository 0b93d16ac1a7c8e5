// Command disable-user is the Lambda function of POST /v1/customers/{customerId}/users/{userId}/disable.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("disable-user", api.DisableUser, lambdafn.WithIdentity) }
