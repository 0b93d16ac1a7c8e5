package events

import (
	"context"
	"errors"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
)

// Record is one record of the table's stream, whichever reader brought
// it: Lambda's event source mapping on AWS, the local stack's poller on a
// laptop.
type Record struct {
	// Sequence is the record's sequence number in its shard, what a partial
	// batch response names.
	Sequence string
	// Insert: the record is a new item (INSERT); audit events are only
	// ever inserted.
	Insert   bool
	NewImage map[string]types.AttributeValue
}

// Bus is where events go: PutEvents on an EventBridge bus, or the local
// stack's bus. Put publishes events in order and answers how many of them,
// from the first, it published, with the error that stopped it.
type Bus interface {
	Put(ctx context.Context, evs []Event) (int, error)
}

// Publisher turns the stream's audit event items into events.
type Publisher struct {
	Bus Bus
	Log *slog.Logger
}

// auditImage is the part of an item the publisher reads: its type, and
// the audit event it holds (shared/store's auditItem).
type auditImage struct {
	Type string `dynamodbav:"type"`
	domain.AuditEvent
}

// typeAudit is shared/store's item type of audit events.
const typeAudit = "audit"

// Publish publishes one event per audit event item inserted, in the
// stream's order, and answers the sequence number of the first record it
// could not publish ("" when all were): Lambda then retries the batch from
// that record (a partial batch response), so nothing after a failure is
// published ahead of it. A record published again after a retry makes an
// event with the same id, which receivers dedupe on.
func (p *Publisher) Publish(ctx context.Context, recs []Record) (string, error) {
	var evs []Event
	var seqs []string
	for _, r := range recs {
		if !r.Insert || r.NewImage == nil {
			continue
		}
		var img auditImage
		if err := attributevalue.UnmarshalMap(r.NewImage, &img); err != nil {
			// An item that is not ours to read is no event; retrying cannot
			// mend it.
			p.Log.WarnContext(ctx, "a stream record that does not decode", "sequence", r.Sequence, "error", err.Error())
			continue
		}
		if img.Type != typeAudit || img.ID == "" {
			continue
		}
		evs = append(evs, FromAudit(img.AuditEvent))
		seqs = append(seqs, r.Sequence)
	}
	for len(evs) > 0 {
		n := min(len(evs), maxPut)
		done, err := p.Bus.Put(ctx, evs[:n])
		if err == nil && done < n {
			err = errors.New("events: the bus took fewer events than it was given")
		}
		if err != nil {
			p.Log.ErrorContext(ctx, "events not published", "event", evs[done].ID, "type", evs[done].Type, "error", err.Error())
			return seqs[done], err
		}
		evs, seqs = evs[n:], seqs[n:]
	}
	return "", nil
}

// maxPut is the most entries one PutEvents call takes.
const maxPut = 10
