// Command update-customer is the Lambda function of PATCH /v1/customers/{customerId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("update-customer", api.UpdateCustomer) }
