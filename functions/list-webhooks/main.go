// Command list-webhooks is the Lambda function of GET /v1/customers/{customerId}/webhooks.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("list-webhooks", api.ListWebhooks) }
