// Command me is the Lambda function of GET /v1/me.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("me", api.Me) }
