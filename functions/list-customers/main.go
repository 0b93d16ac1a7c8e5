// Command list-customers is the Lambda function of GET /v1/customers.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("list-customers", api.ListCustomers) }
