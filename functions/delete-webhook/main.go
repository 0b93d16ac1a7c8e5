// Command delete-webhook is the Lambda function of DELETE /v1/customers/{customerId}/webhooks/{webhookId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("delete-webhook", api.DeleteWebhook) }
