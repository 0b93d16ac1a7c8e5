// Command delete-address is the Lambda function of DELETE /v1/customers/{customerId}/addresses/{addressId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("delete-address", api.DeleteAddress) }
