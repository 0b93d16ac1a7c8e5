// Command custom-message is the user pool's custom message trigger: a
// password reset's e-mail in the language of the customer whose portal asked.
package main

import "github.com/portalaccess/portalaccess/shared/lambdafn"

func main() { lambdafn.StartCustomMessage("custom-message") }
