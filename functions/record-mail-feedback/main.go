// Command record-mail-feedback records on each invitation what SES reports
// of its e-mail: delivered, bounced or complained (an EventBridge rule on
// the configuration set's events).
package main

import "github.com/portalaccess/portalaccess/shared/lambdafn"

func main() { lambdafn.StartMailFeedback("record-mail-feedback") }
