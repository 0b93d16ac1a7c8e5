// Command delete-customer is the Lambda function of DELETE /v1/customers/{customerId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("delete-customer", api.DeleteCustomer) }
