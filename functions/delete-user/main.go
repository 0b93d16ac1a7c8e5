// Command delete-user is the Lambda function of DELETE /v1/customers/{customerId}/users/{userId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withidentity"
)

func main() { lambdafn.Start("delete-user", api.DeleteUser, withidentity.Cognito) }
