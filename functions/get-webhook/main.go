// Command get-webhook is the Lambda function of GET /v1/customers/{customerId}/webhooks/{webhookId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("get-webhook", api.GetWebhook) }
