// Command create-portal is the Lambda function of POST /v1/customers/{customerId}/portals.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withidentity"
)

func main() { lambdafn.Start("create-portal", api.CreatePortal, withidentity.Clients) }
