package stack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/portalaccess/portalaccess/infra/local/eventbus"
	"github.com/portalaccess/portalaccess/infra/local/samplereceiver"
	"github.com/portalaccess/portalaccess/infra/local/sqsconsume"
	pevents "github.com/portalaccess/portalaccess/shared/events"
	"github.com/portalaccess/portalaccess/shared/lambdafn/deliver"
	"github.com/portalaccess/portalaccess/shared/store"
)

// The webhooks' queues as the CDK stack makes them: the events queue the
// bus's rule sends customers' events to, and the deliveries queue (FIFO),
// each with a dead-letter queue. A delivery is retried with its own
// backoff, so the deliveries queue's receives are many before one is
// dead (WebhookMaxReceives).
const (
	webhookEventsQueue      = "portal-access-webhook-events"
	webhookDeliveriesQueue  = "portal-access-webhook-deliveries.fifo"
	WebhookEventMaxReceives = 5
	WebhookMaxReceives      = 500
)

// Webhooks is the local stack's part of webhooks.
type Webhooks struct {
	Events, EventsDead, Deliveries, DeliveriesDead string
	// FanOut and Deliver are the stand-ins of deliver-webhooks' two
	// event source mappings.
	FanOut, Deliver *sqsconsume.Consumer
	// Receiver is the sample receiver.
	Receiver  *samplereceiver.Receiver
	receiverL net.Listener
}

// webhookKey is the key that seals subscriptions' secrets: kept in the data
// directory (.local/webhook.key) so that a restart opens what the table
// holds, or made afresh for a throw-away stack.
func webhookKey(dataDir string) (string, error) {
	if dataDir != "" {
		if b, err := os.ReadFile(filepath.Join(dataDir, "webhook.key")); err == nil {
			return strings.TrimSpace(string(b)), nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	v := base64.StdEncoding.EncodeToString(k)
	if dataDir != "" {
		if err := os.WriteFile(filepath.Join(dataDir, "webhook.key"), []byte(v+"\n"), 0o600); err != nil {
			return "", err
		}
	}
	return v, nil
}

// queueWithDLQ makes a queue and its dead-letter queue.
func (s *Stack) queueWithDLQ(ctx context.Context, name string, receives int, attrs map[string]string) (string, string, error) {
	dlqName, fifo := name+"-dlq", strings.HasSuffix(name, ".fifo")
	dlqAttrs := map[string]string{}
	if fifo {
		dlqName = strings.TrimSuffix(name, ".fifo") + "-dlq.fifo"
		dlqAttrs["FifoQueue"] = "true"
	}
	dlq, err := s.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(dlqName), Attributes: dlqAttrs})
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", dlqName, err)
	}
	a, err := s.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", "", err
	}
	attrs["RedrivePolicy"] = `{"deadLetterTargetArn":"` + a.Attributes["QueueArn"] + `","maxReceiveCount":"` + strconv.Itoa(receives) + `"}`
	q, err := s.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", name, err)
	}
	return aws.ToString(q.QueueUrl), aws.ToString(dlq.QueueUrl), nil
}

// startWebhookQueues makes the webhooks' queues, adds the stand-in for the
// bus's rule (customers' events, their detail only, to the events queue),
// and listens for the sample receiver.
func (s *Stack) startWebhookQueues(ctx context.Context, port int) error {
	var err error
	w := &Webhooks{Receiver: samplereceiver.New()}
	s.Webhooks = w
	if w.Events, w.EventsDead, err = s.queueWithDLQ(ctx, webhookEventsQueue, WebhookEventMaxReceives, map[string]string{"VisibilityTimeout": "10"}); err != nil {
		return err
	}
	if w.Deliveries, w.DeliveriesDead, err = s.queueWithDLQ(ctx, webhookDeliveriesQueue, WebhookMaxReceives,
		map[string]string{"FifoQueue": "true", "VisibilityTimeout": "30"}); err != nil {
		return err
	}
	s.Info.Queues.WebhookEvents, s.Info.Queues.WebhookDeliveries = w.Events, w.Deliveries
	events := w.Events
	s.Bus.AddRule(eventbus.Rule{Source: pevents.Source, Target: func(ctx context.Context, ev eventbus.Event) error {
		// The rule's pattern: events of a customer (data.customerId a
		// string); its input path: $.detail.
		var e pevents.Event
		if err := json.Unmarshal(ev.Detail, &e); err != nil || e.Customer() == "" {
			return nil
		}
		_, err := s.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &events, MessageBody: aws.String(string(ev.Detail))})
		return err
	}})
	if w.receiverL, err = listen(port, "the sample webhook receiver"); err != nil {
		return err
	}
	return nil
}

// startWebhooks runs deliver-webhooks' own code on both queues, as its two
// event source mappings do on AWS, and serves the sample receiver.
func (s *Stack) startWebhooks(o Options) {
	w := s.Webhooks
	plain := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	env := s.Env
	env.Store = store.New(dynamodb.NewFromConfig(plain, func(do *dynamodb.Options) { do.BaseEndpoint = aws.String(s.emulators.DynamoURL) }), TableName)
	worker := &deliver.Worker{D: env.Deliverer(), Q: s.SQS, Deliveries: w.Deliveries, Log: o.Log}
	handler := func(arn string) sqsconsume.Handler {
		return func(ctx context.Context, ev events.SQSEvent) events.SQSEventResponse {
			for i := range ev.Records {
				ev.Records[i].EventSourceARN = arn
			}
			return worker.Work(ctx, ev)
		}
	}
	w.FanOut = &sqsconsume.Consumer{SQS: s.SQS, QueueURL: w.Events, BatchSize: 10, Concurrency: 1, Log: o.Log,
		Handler: handler("arn:aws:sqs:us-east-1:000000000000:" + webhookEventsQueue)}
	w.Deliver = &sqsconsume.Consumer{SQS: s.SQS, QueueURL: w.Deliveries, BatchSize: 10, Concurrency: 2, Log: o.Log, FIFO: true,
		Handler: handler("arn:aws:sqs:us-east-1:000000000000:" + webhookDeliveriesQueue)}
	w.FanOut.Start()
	w.Deliver.Start()
	s.serve(w.receiverL, w.Receiver, o.Log)
	s.Info.Webhooks.Receiver = "http://127.0.0.1:" + strconv.Itoa(w.receiverL.Addr().(*net.TCPAddr).Port)
}

func (w *Webhooks) stop() {
	if w == nil {
		return
	}
	for _, c := range []*sqsconsume.Consumer{w.FanOut, w.Deliver} {
		if c != nil {
			c.Stop()
		}
	}
}
