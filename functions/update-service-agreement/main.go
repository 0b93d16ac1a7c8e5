// Command update-service-agreement is the Lambda function of PATCH /v1/customers/{customerId}/service-agreements/{agreementId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("update-service-agreement", api.UpdateServiceAgreement) }
