// Command create-portal is the Lambda function of POST /v1/customers/{customerId}/portals.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("create-portal", api.CreatePortal) }
