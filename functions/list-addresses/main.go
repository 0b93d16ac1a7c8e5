// Command list-addresses is the Lambda function of GET /v1/customers/{customerId}/addresses.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("list-addresses", api.ListAddresses) }
