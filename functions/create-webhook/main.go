// Command create-webhook is the Lambda function of POST /v1/customers/{customerId}/webhooks.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("create-webhook", api.CreateWebhook) }
