// Command list-provider-audit-events is the Lambda function of GET /v1/audit-events.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("list-provider-audit-events", api.ListProviderAuditEvents) }
