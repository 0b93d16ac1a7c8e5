// Command delete-service-agreement is the Lambda function of DELETE /v1/customers/{customerId}/service-agreements/{agreementId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("delete-service-agreement", api.DeleteServiceAgreement) }
