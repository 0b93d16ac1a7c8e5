// Command list-portals is the Lambda function of GET /v1/customers/{customerId}/portals.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("list-portals", api.ListPortals) }
