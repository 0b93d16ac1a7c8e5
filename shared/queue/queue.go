// Package queue sends messages to an SQS queue: the imports' chunks. It is
// a package of its own so that only the functions that send link the SQS
// client. (The webhook deliveries keep their own.)
package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// API is what sending needs of the SQS client.
type API interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// SQS sends to one queue.
type SQS struct {
	API API
	URL string
}

// batch is the most messages one SendMessageBatch takes.
const batch = 10

// Send sends every body, ten a call; entries that SQS refused for now are
// sent again (three tries), and what still fails is the error.
func (q SQS) Send(ctx context.Context, bodies []string) error {
	if q.URL == "" {
		return errors.New("queue: no queue URL (IMPORT_QUEUE_URL)")
	}
	for start := 0; start < len(bodies); start += batch {
		part := bodies[start:min(start+batch, len(bodies))]
		entries := make([]types.SendMessageBatchRequestEntry, len(part))
		for i, b := range part {
			entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(b)}
		}
		for try := 1; len(entries) > 0; try++ {
			out, err := q.API.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &q.URL, Entries: entries})
			if err != nil {
				return fmt.Errorf("queue: send: %w", err)
			}
			if len(out.Failed) == 0 {
				break
			}
			if try == 3 {
				return fmt.Errorf("queue: %d messages refused: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
			}
			failed := map[string]bool{}
			for _, f := range out.Failed {
				failed[aws.ToString(f.Id)] = true
			}
			var again []types.SendMessageBatchRequestEntry
			for _, e := range entries {
				if failed[aws.ToString(e.Id)] {
					again = append(again, e)
				}
			}
			entries = again
		}
	}
	return nil
}
