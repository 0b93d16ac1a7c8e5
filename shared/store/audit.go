package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// ListAudit pages through a scope's audit trail, newest first.
func (s *Store) ListAudit(ctx context.Context, sc domain.Scope, limit int32, start state.PageKey) (state.Page[domain.AuditEvent], error) {
	kc := expression.Key(AttrPK).Equal(expression.Value(auditPK(sc)))
	return newestFirst(ctx, s, kc, limit, start, "read the audit trail", func(it auditItem) domain.AuditEvent { return it.AuditEvent })
}

// newestFirst reads one page of the items under kc, newest (highest sort
// key) first, each read as an I and kept as a T.
func newestFirst[I, T any](ctx context.Context, s *Store, kc expression.KeyConditionBuilder, limit int32, start state.PageKey, what string, keep func(I) T) (state.Page[T], error) {
	var out state.Page[T]
	if limit < 1 {
		return out, errs.Wrap("store: "+what, errLimit)
	}
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return out, errs.Wrap("store: "+what, err)
	}
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(limit + 1),
		ExclusiveStartKey: pageKeyAV(start), ReturnConsumedCapacity: s.capacityMode(),
	})
	if err != nil {
		return out, dbError(err, what)
	}
	s.consumed("Query", res.ConsumedCapacity)
	items, next := page(res.Items, res.LastEvaluatedKey, limit, AttrPK, AttrSK)
	out.Items = make([]T, 0, len(items))
	for _, item := range items {
		var it I
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return out, errs.Wrap("store: "+what+": decode an item", err)
		}
		out.Items = append(out.Items, keep(it))
	}
	out.Next = next
	return out, nil
}
