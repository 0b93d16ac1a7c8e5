package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// idemItem is the record of a creating request made with an
// Idempotency-Key, written in the same transaction as the creation (or on
// its own first, for a request made of many transactions), so a retry
// either finds the record and what it points to, or nothing at all.
type idemItem struct {
	PK          string    `dynamodbav:"pk"`
	SK          string    `dynamodbav:"sk"`
	Type        string    `dynamodbav:"type"`
	TTL         int64     `dynamodbav:"ttl"`
	Fingerprint string    `dynamodbav:"fingerprint"`
	Ref         string    `dynamodbav:"ref"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
	Response    string    `dynamodbav:"response,omitempty"`
}

func idemPK(id string) string { return "IDEM#" + id }

// idemFree is the condition of writing a record at now: the key has none,
// or only one older than state.IdempotencyTTL, which TTL has not deleted
// yet (its ttl is its creation plus the TTL, in epoch seconds).
func idemFree(now time.Time) expression.ConditionBuilder {
	return expression.AttributeNotExists(expression.Name(AttrPK)).
		Or(expression.Name(AttrTTL).LessThanEqual(expression.Value(epoch(now))))
}

func newIdemItem(rec state.Idempotency) idemItem {
	return idemItem{
		PK: idemPK(rec.ID), SK: skIdem, Type: typeIdem,
		TTL:         epoch(rec.CreatedAt.Add(state.IdempotencyTTL)),
		Fingerprint: rec.Fingerprint, Ref: rec.Ref, CreatedAt: rec.CreatedAt, Response: rec.Response,
	}
}

// IdempotencyRecord reads the record of a key; nil when there is none, or
// when it is older than state.IdempotencyTTL (TTL deletion lags).
func (s *Store) IdempotencyRecord(ctx context.Context, id string, now time.Time) (*state.Idempotency, error) {
	var it idemItem
	found, err := s.get(ctx, idemPK(id), skIdem, true, &it)
	if err != nil || !found {
		return nil, err
	}
	if !now.Before(it.CreatedAt.Add(state.IdempotencyTTL)) {
		return nil, nil
	}
	return &state.Idempotency{ID: id, Fingerprint: it.Fingerprint, Ref: it.Ref, CreatedAt: it.CreatedAt, Response: it.Response}, nil
}

// PutIdempotency writes a record on its own (for requests made of many
// transactions, such as a bulk invite); ErrIdempotencyRace when the key has
// a record already.
func (s *Store) PutIdempotency(ctx context.Context, rec state.Idempotency) error {
	av, err := attributevalue.MarshalMap(newIdemItem(rec))
	if err != nil {
		return errs.Wrap("store: write an idempotency record", err)
	}
	c, err := expression.NewBuilder().WithCondition(idemFree(rec.CreatedAt)).Build()
	if err != nil {
		return errs.Wrap("store: write an idempotency record", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: av, ConditionExpression: c.Condition(),
		ExpressionAttributeNames: c.Names(), ExpressionAttributeValues: c.Values(),
	})
	if isConditionFailed(err) {
		return state.ErrIdempotencyRace
	}
	if err != nil {
		return dbError(err, "write an idempotency record")
	}
	return nil
}

// CompleteIdempotency records the final answer of a request that wrote its
// record on its own before doing its work.
func (s *Store) CompleteIdempotency(ctx context.Context, id, fingerprint, response string) error {
	u := expression.Set(expression.Name("response"), expression.Value(response))
	c := expression.Name("fingerprint").Equal(expression.Value(fingerprint))
	_, err := s.updateIf(ctx, idemPK(id), skIdem, u, c, "complete an idempotency record")
	if err == errConditionFailed {
		return nil // expired and taken by another request meanwhile: nothing to record
	}
	return err
}
