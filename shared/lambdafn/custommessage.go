package lambdafn

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/portalaccess/portalaccess/shared/app/portals"
)

// StartCustomMessage runs the user pool's custom message trigger: a
// password reset's e-mail (CustomMessage_ForgotPassword) is written in the
// language of the customer whose portal asked, naming it. Every other
// message the pool sends is left as the pool writes it. The trigger never
// fails: a reset asked for is a reset sent.
func StartCustomMessage(name string, opts ...Option) {
	e, _ := MustEnv(name, opts...)
	svc := e.App.Portals()
	lambda.Start(func(ctx context.Context, ev events.CognitoEventUserPoolsCustomMessage) (events.CognitoEventUserPoolsCustomMessage, error) {
		return CustomMessage(ctx, svc, ev), nil
	})
}

// CustomMessage answers one custom message event.
func CustomMessage(ctx context.Context, svc *portals.Service, ev events.CognitoEventUserPoolsCustomMessage) events.CognitoEventUserPoolsCustomMessage {
	if ev.TriggerSource != "CustomMessage_ForgotPassword" {
		return ev
	}
	str := func(k string) string { s, _ := ev.Request.UserAttributes[k].(string); return s }
	msg := svc.CodeMessage(ctx, portals.CodeRequest{
		ClientID: ev.CallerContext.ClientID, Sub: str("sub"), Email: str("email"), Code: ev.Request.CodeParameter,
	})
	ev.Response.EmailSubject, ev.Response.EmailMessage = msg.Subject, msg.HTML
	return ev
}
