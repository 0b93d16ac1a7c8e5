// Command bootstrap-admin runs at deploy, as a CloudFormation custom
// resource: it creates the first operator admin from the stack's adminEmail
// and sends the invitation, once.
package main

import "github.com/portalaccess/portalaccess/shared/lambdafn"

func main() { lambdafn.StartBootstrap("bootstrap-admin", lambdafn.WithMail) }
