// Command create-import is the Lambda function of POST /v1/customers/{customerId}/imports.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withqueue"
)

func main() { lambdafn.Start("create-import", api.CreateImport, withqueue.SQS) }
