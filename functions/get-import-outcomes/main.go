// Command get-import-outcomes is the Lambda function of GET /v1/customers/{customerId}/imports/{importId}/outcomes.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("get-import-outcomes", api.GetImportOutcomes) }
