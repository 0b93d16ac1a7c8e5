package emulators

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// startSQSClient starts the emulator for one test, stopped when it ends,
// and returns aws-sdk-go-v2's own SQS client pointed at it.
func startSQSClient(t *testing.T) *sqs.Client {
	t.Helper()
	s, err := StartSQS(context.Background(), SQSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
}

// What the product's queues use of SQS works against the emulator with
// aws-sdk-go-v2's own client: a queue and its dead-letter queue, a delayed
// message, receive and delete, and a message that keeps failing moved to
// the dead-letter queue after maxReceiveCount receives.
func TestSQSEmulator(t *testing.T) {
	ctx := context.Background()
	c := startSQSClient(t)

	dlq, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work"), Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"` + attrs.Attributes["QueueArn"] + `","maxReceiveCount":"2"}`,
	}})
	if err != nil {
		t.Fatal(err)
	}

	// A delayed message is not there at once, and arrives.
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("later"), DelaySeconds: 2}); err != nil {
		t.Fatal(err)
	}
	now, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
	if err != nil || len(now.Messages) != 0 {
		t.Fatalf("a message delayed 2 s was received at once: %v %v", now, err)
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 10})
	if err != nil || len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "later" {
		t.Fatalf("the delayed message: %v %v", got, err)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: got.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}

	// A message received and given back twice goes to the dead-letter queue.
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("poison")}); err != nil {
		t.Fatal(err)
	}
	receives := 0
	for {
		m, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Messages) == 0 {
			break
		}
		if receives++; receives > 2 {
			t.Fatalf("received %d times, past maxReceiveCount", receives)
		}
		if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.Messages[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
			t.Fatal(err)
		}
	}
	if receives == 0 {
		t.Fatal("the message was never received")
	}
	dead, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dlq.QueueUrl, WaitTimeSeconds: 5})
	if err != nil || len(dead.Messages) != 1 || aws.ToString(dead.Messages[0].Body) != "poison" {
		t.Fatalf("the dead-letter queue: %v %v", dead, err)
	}
	left, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
	if err != nil || len(left.Messages) != 0 {
		t.Fatalf("the queue still has %v %v", left, err)
	}
}
