package store

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// listOf reads one page of an index whose items are of type I, each made
// into a T by pick.
func listOf[I, T any](ctx context.Context, s *Store, index string, kc expression.KeyConditionBuilder, limit int32, start state.PageKey, pick func(*I) T) (state.Page[T], error) {
	var out state.Page[T]
	next, err := s.queryIndex(ctx, index, kc, limit, start, appendAs(&out.Items, pick))
	out.Next = next
	return out, err
}

// appendAs is the each of a read whose items are of type I: it decodes an
// item and appends what pick makes of it to out. A decoding error is
// returned as it is, for the read to name.
func appendAs[I, T any](out *[]T, pick func(*I) T) func(map[string]types.AttributeValue) error {
	return func(item map[string]types.AttributeValue) error {
		var it I
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return err
		}
		*out = append(*out, pick(&it))
		return nil
	}
}

// queryAll reads every item of a key condition on the table, strongly
// consistently (a change committed a moment ago is seen), page after page;
// what names the read in errors ("read memberships").
func (s *Store) queryAll(ctx context.Context, kc expression.KeyConditionBuilder, what string, each func(map[string]types.AttributeValue) error) error {
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return errs.Wrap("store: "+what, err)
	}
	return s.queryPages(ctx, &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: s.capacityMode(),
	}, what, each)
}

// queryPages runs a Query page after page until the last, giving each
// item to each; what names the read in errors. An error of each that is
// not already the product's is a fault in decoding the item.
func (s *Store) queryPages(ctx context.Context, in *dynamodb.QueryInput, what string, each func(map[string]types.AttributeValue) error) error {
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return dbError(err, what)
		}
		s.consumed("Query", res.ConsumedCapacity)
		for _, item := range res.Items {
			if err := each(item); err != nil {
				return errs.Wrap("store: "+what+": decode an item", err)
			}
		}
		if res.LastEvaluatedKey == nil {
			return nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// queryIndex reads one page of an index, in key order (see page).
func (s *Store) queryIndex(ctx context.Context, index string, kc expression.KeyConditionBuilder, limit int32, start state.PageKey, each func(map[string]types.AttributeValue) error) (state.PageKey, error) {
	if limit < 1 {
		return nil, errs.Wrap("store: query "+index, errLimit)
	}
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, errs.Wrap("store: query "+index, err)
	}
	// No index is the table itself, read strongly consistently.
	ix := Index{PK: AttrPK, SK: AttrSK}
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		Limit: aws.Int32(limit + 1), ExclusiveStartKey: pageKeyAV(start), ReturnConsumedCapacity: s.capacityMode(),
	}
	if index == "" {
		in.ConsistentRead = aws.Bool(true)
	} else {
		in.IndexName = &index
		for _, i := range Indexes {
			if i.Name == index {
				ix = i
			}
		}
	}
	res, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, dbError(err, "query "+index)
	}
	s.consumed("Query", res.ConsumedCapacity)
	items, next := page(res.Items, res.LastEvaluatedKey, limit, AttrPK, AttrSK, ix.PK, ix.SK)
	for _, item := range items {
		if err := each(item); err != nil {
			return nil, errs.Wrap("store: decode an item of "+index, err)
		}
	}
	return next, nil
}

// page trims the items of a query read with Limit limit+1 to the page. The
// extra item makes the last page reliably have no next key: the key of the
// page's last item (the given key attributes) is the next page's start only
// when something follows it. A read that DynamoDB cut short (1 MB) goes on
// from where it stopped.
func page(items []map[string]types.AttributeValue, lastEvaluated map[string]types.AttributeValue, limit int32, keyAttrs ...string) ([]map[string]types.AttributeValue, state.PageKey) {
	if len(items) <= int(limit) {
		if len(lastEvaluated) == 0 || len(items) == 0 {
			return items, nil
		}
		if len(items) < int(limit) {
			return items, keyOf(lastEvaluated, keyAttrs)
		}
		// Exactly a page, and more may follow: the page's last item is the start.
	}
	items = items[:limit]
	return items, keyOf(items[len(items)-1], keyAttrs)
}

func keyOf(item map[string]types.AttributeValue, keyAttrs []string) state.PageKey {
	next := state.PageKey{}
	for _, a := range keyAttrs {
		if v, ok := stringAttr(item, a); ok {
			next[a] = v
		}
	}
	return next
}

// errLimit is a listing asked for less than one item.
var errLimit = errors.New("a page holds at least one item")
