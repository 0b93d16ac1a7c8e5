// Command get-customer is the Lambda function of GET /v1/customers/{customerId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("get-customer", api.GetCustomer) }
