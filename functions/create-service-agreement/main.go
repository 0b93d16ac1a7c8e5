// Command create-service-agreement is the Lambda function of POST /v1/customers/{customerId}/service-agreements.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("create-service-agreement", api.CreateServiceAgreement) }
