// Command bootstrap-admin runs at deploy, as a CloudFormation custom
// resource: it creates the first operator admin from the stack's adminEmail
// and sends the invitation, once.
package main

import (
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/lambdafn/withmail"
)

func main() { lambdafn.StartBootstrap("bootstrap-admin", withmail.SES) }
