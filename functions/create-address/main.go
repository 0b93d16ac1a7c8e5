// Command create-address is the Lambda function of POST /v1/customers/{customerId}/addresses.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("create-address", api.CreateAddress) }
