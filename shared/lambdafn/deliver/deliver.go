// Package deliver runs deliver-webhooks. It is a package of its own so
// that only that function links (and initialises) the SQS client it sends
// and retries with.
package deliver

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/portalaccess/portalaccess/shared/app/subscriptions"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
)

// Queue is what the function does with SQS: send the fanned-out jobs to
// the deliveries queue, and put a failed delivery back for its backoff.
type Queue interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// Worker is the function's work: both queues' batches.
type Worker struct {
	D *subscriptions.Deliverer
	Q Queue
	// Deliveries is the deliveries queue's URL (WEBHOOK_QUEUE_URL).
	Deliveries string
	Log        *slog.Logger
}

// Start runs the function: two event source mappings invoke it, the
// events queue's (events from the bus's rule) and the deliveries queue's.
func Start(name string) {
	e, log := lambdafn.MustEnv(name)
	e.Require(name, e.App.Config.WebhookQueueURL != "" && len(e.App.Config.WebhookKey) > 0, "WEBHOOK_QUEUE_URL and WEBHOOK_KEY must be set")
	w := &Worker{D: e.App.Deliverer(), Log: log, Deliveries: e.App.Config.WebhookQueueURL,
		Q: sqs.NewFromConfig(e.AWS, func(o *sqs.Options) { o.BaseEndpoint = lambdafn.Endpoint("SQS") })}
	lambda.Start(func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		return w.Work(ctx, ev), nil
	})
}

type startError string

func (e startError) Error() string { return string(e) }

// Work works a batch of either queue (a FIFO queue's ARN ends in .fifo)
// and answers the messages that failed (partial batch response).
func (w *Worker) Work(ctx context.Context, ev events.SQSEvent) events.SQSEventResponse {
	if len(ev.Records) > 0 && strings.HasSuffix(ev.Records[0].EventSourceARN, ".fifo") {
		return w.deliver(ctx, ev)
	}
	return w.fanOut(ctx, ev)
}

// fanOut sends each event's jobs to the deliveries queue, grouped by
// subscription and target, deduplicated by subscription and event: an
// event fanned out again (its message failed after a send) is queued once.
func (w *Worker) fanOut(ctx context.Context, ev events.SQSEvent) events.SQSEventResponse {
	var out events.SQSEventResponse
	for _, rec := range ev.Records {
		if err := w.fanOne(ctx, rec.Body); err != nil {
			w.Log.WarnContext(ctx, "an event not fanned out; it comes again", "message", rec.MessageId, "error", err.Error())
			out.BatchItemFailures = append(out.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return out
}

func (w *Worker) fanOne(ctx context.Context, body string) error {
	jobs, evs, err := w.D.FanOut(ctx, []byte(body))
	if err != nil {
		return err
	}
	for start := 0; start < len(jobs); start += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for i := start; i < min(start+10, len(jobs)); i++ {
			b, _ := json.Marshal(jobs[i])
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(b)),
				MessageGroupId: aws.String(jobs[i].Group(evs[i])), MessageDeduplicationId: aws.String(jobs[i].Dedup(evs[i]))})
		}
		res, err := w.Q.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &w.Deliveries, Entries: entries})
		if err != nil {
			return err
		}
		if len(res.Failed) > 0 {
			return startError("the deliveries queue refused " + strconv.Itoa(len(res.Failed)) + " messages: " + aws.ToString(res.Failed[0].Message))
		}
	}
	return nil
}

// deliver tries each job once, in the batch's order. A job that fails is
// put back for its backoff (its visibility timeout), and so are the later
// jobs of its group in the batch, untried: SQS gives the group nothing
// more until they are deleted, so the group's order holds.
func (w *Worker) deliver(ctx context.Context, ev events.SQSEvent) events.SQSEventResponse {
	var out events.SQSEventResponse
	held := map[string]time.Duration{}
	fail := func(rec events.SQSMessage, d time.Duration) {
		secs := int32(min(max(d, time.Second), 12*time.Hour) / time.Second)
		if _, err := w.Q.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(queueURL(rec.EventSourceARN, w.Deliveries)),
			ReceiptHandle: aws.String(rec.ReceiptHandle), VisibilityTimeout: secs}); err != nil {
			w.Log.WarnContext(ctx, "a delivery's backoff not set; it comes back after the queue's visibility timeout", "error", err.Error())
		}
		out.BatchItemFailures = append(out.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
	}
	for _, rec := range ev.Records {
		group := rec.Attributes["MessageGroupId"]
		if d, ok := held[group]; ok {
			fail(rec, d)
			continue
		}
		var j subscriptions.Job
		if err := json.Unmarshal([]byte(rec.Body), &j); err != nil || j.SubscriptionID == "" {
			w.Log.WarnContext(ctx, "a deliveries message that is not a job, dropped", "message", rec.MessageId)
			continue
		}
		attempt, _ := strconv.Atoi(rec.Attributes["ApproximateReceiveCount"])
		o, err := w.D.Deliver(ctx, j, max(attempt, 1))
		switch {
		case err != nil:
			w.Log.WarnContext(ctx, "a delivery not worked; it comes again", "message", rec.MessageId, "error", err.Error())
			held[group] = w.D.Config.RetryBase
			fail(rec, w.D.Config.RetryBase)
		case !o.Done:
			held[group] = o.Retry
			fail(rec, o.Retry)
		}
	}
	return out
}

// queueURL is the deliveries queue's URL (the one configured).
func queueURL(_, configured string) string { return configured }
