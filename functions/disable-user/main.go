// Command disable-user is the Lambda function of POST /v1/customers/{customerId}/users/{userId}/disable.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withidentity"
)

func main() { lambdafn.Start("disable-user", api.DisableUser, withidentity.Cognito) }
