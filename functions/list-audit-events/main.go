// Command list-audit-events is the Lambda function of GET /v1/customers/{customerId}/audit-events.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("list-audit-events", api.ListAuditEvents) }
