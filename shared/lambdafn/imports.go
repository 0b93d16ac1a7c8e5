package lambdafn

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/portalaccess/portalaccess/shared/app/imports"
)

// StartImports runs import-users: the imports queue's event source mapping
// hands it batches of messages, each naming one chunk.
func StartImports(name string, opts ...Option) {
	e, log := MustEnv(name, opts...)
	svc := e.App.Imports()
	lambda.Start(func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		return WorkImports(ctx, svc, log, ev), nil
	})
}

// WorkImports works a batch of the imports queue's messages, one after the
// other, and answers those that failed (partial batch response): SQS
// delivers them again after their visibility timeout, and after
// maxReceiveCount tries moves them to the dead-letter queue. A message
// that is not one of ours is answered as failed too, so it ends there,
// seen. The local consumer runs exactly this.
func WorkImports(ctx context.Context, svc *imports.Service, log *slog.Logger, ev events.SQSEvent) events.SQSEventResponse {
	var out events.SQSEventResponse
	for _, rec := range ev.Records {
		var m imports.Message
		err := json.Unmarshal([]byte(rec.Body), &m)
		if err == nil {
			err = svc.Work(ctx, m)
		}
		if err != nil {
			log.WarnContext(ctx, "import chunk failed; it is delivered again", "message", rec.MessageId, "error", err.Error())
			out.BatchItemFailures = append(out.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return out
}
