// Command rotate-webhook-secret is the Lambda function of POST /v1/customers/{customerId}/webhooks/{webhookId}/rotate-secret.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("rotate-webhook-secret", api.RotateWebhookSecret) }
