// Command list-webhook-deliveries is the Lambda function of GET /v1/customers/{customerId}/webhooks/{webhookId}/deliveries.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("list-webhook-deliveries", api.ListWebhookDeliveries) }
