// Command update-webhook is the Lambda function of PATCH /v1/customers/{customerId}/webhooks/{webhookId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("update-webhook", api.UpdateWebhook) }
