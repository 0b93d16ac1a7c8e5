// Command update-address is the Lambda function of PATCH /v1/customers/{customerId}/addresses/{addressId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("update-address", api.UpdateAddress) }
