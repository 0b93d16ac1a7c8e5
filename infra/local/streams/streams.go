// Package streams reads the local table's stream, as Lambda's event source
// mapping does on AWS, and hands each batch of records to the same
// publisher the publish-events function runs (shared/events).
package streams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/portalaccess/portalaccess/shared/events"
)

// Poller follows every shard of a table's stream.
type Poller struct {
	Table     string
	DynamoDB  *dynamodb.Client
	Streams   *dynamodbstreams.Client
	Publisher *events.Publisher
	Log       *slog.Logger
	// Every is how often an idle shard is read again.
	Every time.Duration

	arn     string
	shards  map[string]*shard // by shard id
	cancel  context.CancelFunc
	done    chan struct{}
	mu      sync.Mutex
	gen     int // reads ended
	stopped bool
	idle    *sync.Cond
}

type shard struct {
	iterator *string
	closed   bool
	// pending are records read and not yet published (a failed publish
	// keeps them, as the event source mapping retries from the failure).
	pending []types.Record
}

// Start reads where each open shard ends now (LATEST: what was committed
// while the stack was stopped is not published again on a restart), and
// follows the stream until Stop. Shards that open later are read from
// their start.
func (p *Poller) Start(ctx context.Context) error {
	d, err := p.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &p.Table})
	if err != nil {
		return fmt.Errorf("streams: describe the table: %w", err)
	}
	if d.Table.LatestStreamArn == nil {
		return errors.New("streams: the table has no stream")
	}
	p.arn, p.shards = *d.Table.LatestStreamArn, map[string]*shard{}
	p.idle = sync.NewCond(&p.mu)
	if p.Every == 0 {
		p.Every = 100 * time.Millisecond
	}
	if err := p.discover(ctx, types.ShardIteratorTypeLatest); err != nil {
		return err
	}
	run, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go p.loop(run)
	return nil
}

// Stop stops following the stream.
func (p *Poller) Stop() {
	if p.cancel != nil {
		p.cancel()
		<-p.done
	}
}

// discover adds the shards not yet followed.
func (p *Poller) discover(ctx context.Context, from types.ShardIteratorType) error {
	var start *string
	for {
		out, err := p.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: &p.arn, ExclusiveStartShardId: start})
		if err != nil {
			return fmt.Errorf("streams: describe the stream: %w", err)
		}
		for _, s := range out.StreamDescription.Shards {
			id := aws.ToString(s.ShardId)
			if _, ok := p.shards[id]; ok {
				continue
			}
			typ := from
			if s.SequenceNumberRange != nil && s.SequenceNumberRange.EndingSequenceNumber != nil && from == types.ShardIteratorTypeLatest {
				// A closed shard at start: nothing new will come of it.
				p.shards[id] = &shard{closed: true}
				continue
			}
			it, err := p.Streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: &p.arn, ShardId: &id, ShardIteratorType: typ})
			if err != nil {
				return fmt.Errorf("streams: shard iterator: %w", err)
			}
			p.shards[id] = &shard{iterator: it.ShardIterator}
		}
		start = out.StreamDescription.LastEvaluatedShardId
		if start == nil {
			return nil
		}
	}
}

func (p *Poller) loop(ctx context.Context) {
	defer func() {
		p.mu.Lock()
		p.stopped = true
		p.idle.Broadcast()
		p.mu.Unlock()
		close(p.done)
	}()
	tick := time.NewTicker(p.Every)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		closed := p.poll(ctx)
		if closed || n%20 == 0 {
			if err := p.discover(ctx, types.ShardIteratorTypeTrimHorizon); err != nil && ctx.Err() == nil {
				p.Log.Error("stream shards not read", "error", err.Error())
			}
		}
		p.mu.Lock()
		p.gen++
		p.idle.Broadcast()
		p.mu.Unlock()
	}
}

// poll reads each open shard once and publishes what it read; it reports
// whether a shard closed.
func (p *Poller) poll(ctx context.Context) bool {
	closed := false
	for _, s := range p.shards {
		if s.closed {
			continue
		}
		if len(s.pending) == 0 {
			out, err := p.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: s.iterator})
			if err != nil {
				if ctx.Err() == nil {
					p.Log.Error("stream not read", "error", err.Error())
				}
				continue
			}
			s.pending, s.iterator = out.Records, out.NextShardIterator
			if s.iterator == nil {
				s.closed, closed = true, true
			}
		}
		for len(s.pending) > 0 {
			n := min(len(s.pending), 100)
			failed, err := p.Publisher.Publish(ctx, records(s.pending[:n]))
			if err != nil {
				// Again next time, from the record that failed.
				for i, r := range s.pending {
					if aws.ToString(r.Dynamodb.SequenceNumber) == failed {
						s.pending = s.pending[i:]
						break
					}
				}
				break
			}
			s.pending = s.pending[n:]
		}
	}
	return closed
}

// Settle waits until a read of every shard that began after the call has
// ended, so that what was committed before it has been published (or has
// failed to be, and waits for the next read).
func (p *Poller) Settle() {
	p.mu.Lock()
	defer p.mu.Unlock()
	want := p.gen + 2 // the read under way may have begun before the call
	for p.gen < want && !p.stopped {
		p.idle.Wait()
	}
}

func records(rs []types.Record) []events.Record {
	out := make([]events.Record, 0, len(rs))
	for _, r := range rs {
		out = append(out, events.Record{
			Sequence: aws.ToString(r.Dynamodb.SequenceNumber),
			Insert:   r.EventName == types.OperationTypeInsert,
			NewImage: item(r.Dynamodb.NewImage),
		})
	}
	return out
}

func item(m map[string]types.AttributeValue) map[string]ddbtypes.AttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]ddbtypes.AttributeValue, len(m))
	for k, v := range m {
		out[k] = value(v)
	}
	return out
}

func value(v types.AttributeValue) ddbtypes.AttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return &ddbtypes.AttributeValueMemberS{Value: v.Value}
	case *types.AttributeValueMemberN:
		return &ddbtypes.AttributeValueMemberN{Value: v.Value}
	case *types.AttributeValueMemberB:
		return &ddbtypes.AttributeValueMemberB{Value: v.Value}
	case *types.AttributeValueMemberBOOL:
		return &ddbtypes.AttributeValueMemberBOOL{Value: v.Value}
	case *types.AttributeValueMemberSS:
		return &ddbtypes.AttributeValueMemberSS{Value: v.Value}
	case *types.AttributeValueMemberNS:
		return &ddbtypes.AttributeValueMemberNS{Value: v.Value}
	case *types.AttributeValueMemberBS:
		return &ddbtypes.AttributeValueMemberBS{Value: v.Value}
	case *types.AttributeValueMemberL:
		l := make([]ddbtypes.AttributeValue, 0, len(v.Value))
		for _, e := range v.Value {
			l = append(l, value(e))
		}
		return &ddbtypes.AttributeValueMemberL{Value: l}
	case *types.AttributeValueMemberM:
		return &ddbtypes.AttributeValueMemberM{Value: item(v.Value)}
	}
	return &ddbtypes.AttributeValueMemberNULL{Value: true}
}
