// Command delete-portal is the Lambda function of DELETE /v1/customers/{customerId}/portals/{portalId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withidentity"
)

func main() { lambdafn.Start("delete-portal", api.DeletePortal, withidentity.Clients) }
