package lambdafn

import (
	"context"
	"errors"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/portalaccess/portalaccess/shared/app/delivery"
)

// StartMailFeedback runs the function that SES's events reach through
// EventBridge: each event's detail is an SES event record.
func StartMailFeedback(name string, opts ...Option) {
	e, _ := MustEnv(name, opts...)
	fb := e.App.Feedback()
	lambda.Start(func(ctx context.Context, ev events.EventBridgeEvent) error {
		return MailFeedback(ctx, fb, ev)
	})
}

// MailFeedback handles one event. One that is not an SES record is logged
// and dropped (retrying cannot mend it); any other failure is returned, so
// that Lambda retries the event and, failing that, keeps it in the
// function's dead-letter queue.
func MailFeedback(ctx context.Context, fb *delivery.Feedback, ev events.EventBridgeEvent) error {
	err := fb.RecordJSON(ctx, ev.Detail)
	if errors.Is(err, delivery.ErrBadEvent) {
		fb.Log.WarnContext(ctx, "an event that is not an SES event record", "source", ev.Source, "detailType", ev.DetailType)
		return nil
	}
	return err
}
