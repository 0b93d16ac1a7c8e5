package store

import (
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// tx collects the writes of one transaction. Each write may carry the error
// that its condition failing stands for, so that a cancelled transaction
// answers with the reason a client can act on (already_member, last_admin…).
type tx struct {
	s     *Store
	items []types.TransactWriteItem
	fails []error
	err   error
}

func (s *Store) newTx() *tx { return &tx{s: s} }

// fail makes the transaction refuse before it is sent.
func (t *tx) fail(err error) { t.err = errors.Join(t.err, err) }

func (t *tx) add(item types.TransactWriteItem, onFail error) {
	t.items = append(t.items, item)
	t.fails = append(t.fails, onFail)
}

func (t *tx) cond(c *expression.ConditionBuilder) (*string, map[string]string, map[string]types.AttributeValue) {
	if c == nil {
		return nil, nil, nil
	}
	e, err := expression.NewBuilder().WithCondition(*c).Build()
	if err != nil {
		t.err = errors.Join(t.err, err)
		return nil, nil, nil
	}
	return e.Condition(), e.Names(), e.Values()
}

// put writes a whole item.
func (t *tx) put(item any, c *expression.ConditionBuilder, onFail error) {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		t.err = errors.Join(t.err, err)
		return
	}
	ce, names, values := t.cond(c)
	t.add(types.TransactWriteItem{Put: &types.Put{
		TableName: &t.s.table, Item: av, ConditionExpression: ce,
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureNone,
	}}, onFail)
}

// putNew writes an item that must not exist yet.
func (t *tx) putNew(item any, onFail error) {
	c := expression.AttributeNotExists(expression.Name(AttrPK))
	t.put(item, &c, onFail)
}

// del deletes an item.
func (t *tx) del(pk, sk string, c *expression.ConditionBuilder, onFail error) {
	ce, names, values := t.cond(c)
	t.add(types.TransactWriteItem{Delete: &types.Delete{
		TableName: &t.s.table, Key: itemKey(pk, sk), ConditionExpression: ce,
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	}}, onFail)
}

// update applies an update expression.
func (t *tx) update(pk, sk string, u expression.UpdateBuilder, c *expression.ConditionBuilder, onFail error) {
	b := expression.NewBuilder().WithUpdate(u)
	if c != nil {
		b = b.WithCondition(*c)
	}
	e, err := b.Build()
	if err != nil {
		t.err = errors.Join(t.err, err)
		return
	}
	t.add(types.TransactWriteItem{Update: &types.Update{
		TableName: &t.s.table, Key: itemKey(pk, sk), UpdateExpression: e.Update(),
		ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	}}, onFail)
}

// check asserts a condition on an item without writing it.
func (t *tx) check(pk, sk string, c expression.ConditionBuilder, onFail error) {
	ce, names, values := t.cond(&c)
	t.add(types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &t.s.table, Key: itemKey(pk, sk), ConditionExpression: ce,
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	}}, onFail)
}

// commit writes everything or nothing. A failed condition returns the error
// registered with it. A transaction cancelled because another one held an
// item (TransactionConflict, which DynamoDB raises under contention) is tried
// again, with jittered backoff, until the conditions decide; past that it
// returns state.ErrConcurrent, caused by state.ErrContended (not to be tried
// again). Each attempt carries its own ClientRequestToken, so that the
// SDK's own retries of one attempt (after a timeout, say) cannot apply it
// twice.
func (t *tx) commit(ctx context.Context) error {
	if t.err != nil {
		if e := errs.As(t.err); e != nil && e.Kind != errs.Internal {
			return e // a refusal decided while building (a rate limit)
		}
		return errs.Wrap("store: build a transaction", t.err)
	}
	const attempts = 5
	for attempt := 1; ; attempt++ {
		token := newRequestToken()
		out, err := t.s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: t.items, ClientRequestToken: &token,
			ReturnConsumedCapacity: t.s.capacityMode()})
		if err == nil {
			for i := range ptrOr(out).ConsumedCapacity {
				t.s.consumed("TransactWriteItems", &ptrOr(out).ConsumedCapacity[i])
			}
			return nil
		}
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			var tip *types.TransactionInProgressException
			if errors.As(err, &tip) && attempt < attempts {
				backoff(ctx, attempt)
				continue
			}
			return dbError(err, "write a transaction")
		}
		conflict := false
		for i, r := range tce.CancellationReasons {
			if r.Code == nil {
				continue
			}
			switch *r.Code {
			case "ConditionalCheckFailed":
				if i < len(t.fails) && t.fails[i] != nil {
					return t.fails[i]
				}
				return state.ErrConcurrent
			case "TransactionConflict":
				conflict = true
			case "ThrottlingError", "ProvisionedThroughputExceeded":
				return dbError(&types.RequestLimitExceeded{Message: r.Message}, "write a transaction")
			}
		}
		if !conflict {
			return dbError(err, "write a transaction")
		}
		if attempt == attempts {
			return state.ErrConcurrent.In("", state.ErrContended)
		}
		backoff(ctx, attempt)
	}
}

func backoff(ctx context.Context, attempt int) {
	d := time.Duration(5<<attempt) * time.Millisecond
	d += time.Duration(rand.Int64N(int64(d)))
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func newRequestToken() string {
	var b [18]byte
	_, _ = crand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ptrOr is the output, or an empty one from a client that answered none.
func ptrOr(out *dynamodb.TransactWriteItemsOutput) *dynamodb.TransactWriteItemsOutput {
	if out == nil {
		return &dynamodb.TransactWriteItemsOutput{}
	}
	return out
}
