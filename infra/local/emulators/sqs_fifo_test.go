package emulators

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// What the emulator does of a FIFO queue, which the webhooks' deliveries
// use: messages of one group come in order, a repeated deduplication id is
// kept once, and a message given back comes first again. What it does not
// do, and this test pins so that a fixed version is noticed: hold back the
// rest of a group while one of its messages is in flight (SQS does). The
// local stand-in for the event source mapping holds a group back itself
// (sqsconsume.Consumer.FIFO).
func TestSQSEmulatorFIFO(t *testing.T) {
	ctx := context.Background()
	c := startSQSClient(t)
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work.fifo"), Attributes: map[string]string{"FifoQueue": "true", "VisibilityTimeout": "30"}})
	if err != nil {
		t.Fatal(err)
	}
	send := func(group, dedup, body string) {
		t.Helper()
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body),
			MessageGroupId: aws.String(group), MessageDeduplicationId: aws.String(dedup)}); err != nil {
			t.Fatal(err)
		}
	}
	send("a", "1", "a1")
	send("a", "2", "a2")
	send("a", "2", "a2 again")
	send("b", "3", "b1")
	recv := func(n int32) []string {
		t.Helper()
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: n})
		if err != nil {
			t.Fatal(err)
		}
		var bodies []string
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body)+"|"+aws.ToString(m.ReceiptHandle))
		}
		return bodies
	}
	first := recv(1)
	if len(first) != 1 || first[0][:2] != "a1" {
		t.Fatalf("first receive: %v", first)
	}
	second := recv(10)
	t.Logf("while a1 is in flight: %v", second)
	if len(second) != 2 || second[0][:2] != "a2" || second[1][:2] != "b1" {
		t.Fatalf("local-aws-sqs 2.0.2 hands out a group's next message while one is in flight; now it answers %v (if it holds the group back now, sqsconsume's FIFO need not)", second)
	}
	// a1 given back at once: it comes again before a2.
	h := first[0][3:]
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q.QueueUrl, ReceiptHandle: &h, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	again := recv(10)
	t.Logf("after a1 given back: %v", again)
	if len(again) == 0 || again[0][:2] != "a1" {
		t.Fatalf("a1 did not come first again: %v", again)
	}
}
