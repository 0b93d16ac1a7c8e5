// Command create-customer is the Lambda function of POST /v1/customers.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("create-customer", api.CreateCustomer) }
