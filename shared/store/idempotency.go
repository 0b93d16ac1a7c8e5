package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portalaccess/portalaccess/shared/apperr"
)

// IdempotencyTTL is how long a key is remembered.
const IdempotencyTTL = 24 * time.Hour

// Idempotency is the record of a creating request made with an
// Idempotency-Key: what the request was (its fingerprint) and what it
// created (Ref). It is written in the same transaction as the creation, so
// a retry either finds the record and what it points to, or nothing at all.
type Idempotency struct {
	ID          string    `dynamodbav:"-"`
	Fingerprint string    `dynamodbav:"fingerprint"`
	Ref         string    `dynamodbav:"ref"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
	// Response is the answer of a request made of many transactions (a bulk
	// invite), recorded once it is complete: a replay answers it again and
	// does nothing more.
	Response string `dynamodbav:"response,omitempty"`
}

type idemItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Type string `dynamodbav:"type"`
	TTL  int64  `dynamodbav:"ttl"`
	Idempotency
}

// ErrIdempotencyRace is returned when another request with the same key
// committed first; the caller re-reads the record and replays.
var ErrIdempotencyRace = &apperr.Error{Kind: apperr.Conflict, Code: "idempotency_race", Detail: "A request with the same Idempotency-Key was processed at the same time."}

func idemPK(id string) string { return "IDEM#" + id }

// IdempotencyRecord reads the record of a key, if any.
func (s *Store) IdempotencyRecord(ctx context.Context, id string) (*Idempotency, error) {
	var it idemItem
	found, err := s.get(ctx, idemPK(id), skIdem, true, &it)
	if err != nil || !found {
		return nil, err
	}
	// TTL deletion lags; an expired record no longer counts.
	if time.Unix(it.TTL, 0).Before(time.Now()) {
		return nil, nil
	}
	rec := it.Idempotency
	rec.ID = id
	return &rec, nil
}

// WithIdempotency adds the record to an operation's transaction.
func WithIdempotency(rec *Idempotency) Writes {
	if rec == nil {
		return nil
	}
	return Writes{func(t *tx) {
		t.putNew(idemItem{
			PK: idemPK(rec.ID), SK: skIdem, Type: typeIdem,
			TTL: epoch(rec.CreatedAt.Add(IdempotencyTTL)), Idempotency: *rec,
		}, ErrIdempotencyRace)
	}}
}

// PutIdempotency writes a record on its own (for operations made of many
// transactions, such as a bulk invite); it returns ErrIdempotencyRace when
// the key has a record already.
func (s *Store) PutIdempotency(ctx context.Context, rec *Idempotency) error {
	av, err := attributevalue.MarshalMap(idemItem{
		PK: idemPK(rec.ID), SK: skIdem, Type: typeIdem,
		TTL: epoch(rec.CreatedAt.Add(IdempotencyTTL)), Idempotency: *rec,
	})
	if err != nil {
		return apperr.Wrap(err, "")
	}
	c, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name(AttrPK))).Build()
	if err != nil {
		return apperr.Wrap(err, "")
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: av, ConditionExpression: c.Condition(),
		ExpressionAttributeNames: c.Names(), ExpressionAttributeValues: c.Values(),
	})
	if isConditionFailed(err) {
		return ErrIdempotencyRace
	}
	if err != nil {
		return dbError(err, "write an idempotency record")
	}
	return nil
}

// CompleteIdempotency records the final answer of a request that wrote its
// record on its own (PutIdempotency) before doing its work.
func (s *Store) CompleteIdempotency(ctx context.Context, id, fingerprint, response string) error {
	u := expression.Set(expression.Name("response"), expression.Value(response))
	c := expression.Name("fingerprint").Equal(expression.Value(fingerprint))
	_, err := s.updateIf(ctx, idemPK(id), skIdem, u, c, "complete an idempotency record")
	if err == errConditionFailed {
		return nil // expired and taken by another request meanwhile: nothing to record
	}
	return err
}
