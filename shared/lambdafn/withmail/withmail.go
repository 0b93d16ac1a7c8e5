// Package withmail adds the SES sender to a function. It is a package of its
// own so that only the functions that send e-mail link (and initialise) the
// SES client.
package withmail

import (
	"os"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/mail/sesmail"
)

// SES is the lambdafn option (SES_CONFIGURATION_SET is optional).
func SES(e *lambdafn.Env) error {
	e.App.Mail = sesmail.New(sesv2.NewFromConfig(e.AWS, sesmail.ClientOptions, func(o *sesv2.Options) {
		o.BaseEndpoint = lambdafn.Endpoint("SESv2")
	}), e.App.Config.SenderEmail, os.Getenv("SES_CONFIGURATION_SET"))
	return nil
}
