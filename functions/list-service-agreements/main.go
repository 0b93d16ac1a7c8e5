// Command list-service-agreements is the Lambda function of GET /v1/customers/{customerId}/service-agreements.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("list-service-agreements", api.ListServiceAgreements) }
