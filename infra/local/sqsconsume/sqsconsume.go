// Package sqsconsume stands in locally for a Lambda event source mapping on
// an SQS queue: it long-polls the queue, hands batches to the function's
// own handler (the events.SQSEvent a mapping would send), deletes the
// messages the handler did not answer as failed (partial batch responses),
// and leaves the failed ones to come back after their visibility timeout,
// and to the dead-letter queue after the queue's maxReceiveCount. Its
// Concurrency is the mapping's maximum concurrency. (The imports use it;
// it knows nothing of them.)
package sqsconsume

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Handler is a function of an SQS event source mapping.
type Handler func(ctx context.Context, ev events.SQSEvent) events.SQSEventResponse

// Consumer polls one queue.
type Consumer struct {
	SQS      *sqs.Client
	QueueURL string
	QueueARN string
	Handler  Handler
	// BatchSize is the most messages a batch holds (1 to 10; default 5).
	BatchSize int32
	// Concurrency is how many batches are worked at once (default 2).
	Concurrency int
	Log         *slog.Logger
	// FIFO: the queue is a FIFO queue, and the consumer holds back the
	// rest of a message group while one of its messages is in flight or
	// failed and not yet deleted, as SQS does and local-aws-sqs 2.0.2 does
	// not (TestSQSEmulatorFIFO): such a message waits in the consumer, kept
	// invisible, and is handed on when the one before it is deleted.
	FIFO bool

	recv    sync.Mutex // a receive and its turn-taking, one poller at a time
	mu      sync.Mutex
	head    map[string]string          // group → its message in flight or failed
	waiting map[string][]types.Message // group → received, waiting their turn
	ready   []types.Message            // their turn came

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start polls until Stop.
func (c *Consumer) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	n := c.Concurrency
	if n < 1 {
		n = 2
	}
	for range n {
		c.wg.Go(func() { c.poll(ctx) })
	}
}

// Stop stops polling, as a consumer killed between batches would: no new
// batch is received, and a batch being worked is let finish but none of
// its messages is deleted, so that all of them come back after their
// visibility timeout. (A kill inside a row is the sweep's to finish, as
// after any crash of a request.)
func (c *Consumer) Stop() {
	if c.cancel != nil {
		c.cancel()
	}
	c.wg.Wait()
}

func (c *Consumer) poll(ctx context.Context) {
	size := c.BatchSize
	if size < 1 || size > 10 {
		size = 5
	}
	for ctx.Err() == nil {
		if c.FIFO {
			if ready := c.takeReady(int(size)); len(ready) > 0 {
				if c.work(ctx, ready) {
					return
				}
				continue
			}
		}
		if c.FIFO {
			c.recv.Lock()
		}
		out, err := c.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &c.QueueURL, MaxNumberOfMessages: size,
			WaitTimeSeconds: 1, MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			// local-aws-sqs 2.0.2 reads only the older AttributeNames.
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}}) //nolint:staticcheck
		if err == nil && c.FIFO {
			out.Messages = c.inTurn(ctx, out.Messages)
		}
		if c.FIFO {
			c.recv.Unlock()
		}
		if err != nil {
			if ctx.Err() == nil {
				c.Log.Warn("queue receive failed", "queue", c.QueueURL, "error", err.Error())
				sleep(ctx, time.Second)
			}
			continue
		}
		if len(out.Messages) == 0 {
			continue
		}
		if c.work(ctx, out.Messages) {
			return
		}
	}
}

// work hands a batch to the handler and deletes what it did not answer as
// failed; true when the consumer was killed meanwhile (nothing deleted).
func (c *Consumer) work(ctx context.Context, ms []types.Message) bool {
	ev := events.SQSEvent{}
	for _, m := range ms {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
			Body: aws.ToString(m.Body), Attributes: m.Attributes, EventSource: "aws:sqs", EventSourceARN: c.QueueARN, AWSRegion: "us-east-1"})
	}
	res := c.Handler(context.WithoutCancel(ctx), ev)
	if ctx.Err() != nil {
		return true // killed: nothing is deleted
	}
	failed := map[string]bool{}
	for _, f := range res.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	var del []types.DeleteMessageBatchRequestEntry
	var gone []types.Message
	for i, m := range ms {
		if !failed[aws.ToString(m.MessageId)] {
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
			gone = append(gone, m)
		}
	}
	if len(del) > 0 {
		if _, err := c.SQS.DeleteMessageBatch(context.WithoutCancel(ctx), &sqs.DeleteMessageBatchInput{QueueUrl: &c.QueueURL, Entries: del}); err != nil {
			c.Log.Warn("queue delete failed; the messages come back", "queue", c.QueueURL, "error", err.Error())
			return false
		}
	}
	if c.FIFO {
		for _, m := range gone {
			c.done(m)
		}
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// inTurn keeps the messages whose group has no other message in flight
// or failed; the others wait, in the order received (which is the group's:
// none of them was given back), kept invisible, until the one before them
// is deleted.
func (c *Consumer) inTurn(ctx context.Context, ms []types.Message) []types.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.head == nil {
		c.head, c.waiting = map[string]string{}, map[string][]types.Message{}
	}
	var keep []types.Message
	for _, m := range ms {
		id, g := aws.ToString(m.MessageId), m.Attributes["MessageGroupId"]
		if h, ok := c.head[g]; ok && h != id {
			_, _ = c.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &c.QueueURL, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 12 * 3600})
			c.waiting[g] = append(c.waiting[g], m)
			continue
		}
		c.head[g] = id
		keep = append(keep, m)
	}
	return keep
}

// done: the message is deleted, so the next of its group is ready.
func (c *Consumer) done(m types.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, g := aws.ToString(m.MessageId), m.Attributes["MessageGroupId"]
	if c.head[g] != id {
		return
	}
	delete(c.head, g)
	if w := c.waiting[g]; len(w) > 0 {
		c.head[g] = aws.ToString(w[0].MessageId)
		c.ready = append(c.ready, w[0])
		if c.waiting[g] = w[1:]; len(w) == 1 {
			delete(c.waiting, g)
		}
	}
}

// takeReady is up to n messages that waited for their turn.
func (c *Consumer) takeReady(n int) []types.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := min(n, len(c.ready))
	out := c.ready[:k:k]
	c.ready = c.ready[k:]
	return out
}
