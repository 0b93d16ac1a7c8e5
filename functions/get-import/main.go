// Command get-import is the Lambda function of GET /v1/customers/{customerId}/imports/{importId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("get-import", api.GetImport) }
