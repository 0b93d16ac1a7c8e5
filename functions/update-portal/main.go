// Command update-portal is the Lambda function of PATCH /v1/customers/{customerId}/portals/{portalId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withidentity"
)

func main() { lambdafn.Start("update-portal", api.UpdatePortal, withidentity.Clients) }
