// Command get-job is the Lambda function of GET /v1/jobs/{jobId}.
package main

import (
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

func main() { lambdafn.Start("get-job", api.GetJob) }
