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
	var out state.Page[domain.AuditEvent]
	if limit < 1 {
		return out, errs.Wrap("store: read the audit trail", errLimit)
	}
	kc := expression.Key(AttrPK).Equal(expression.Value(auditPK(sc)))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return out, errs.Wrap("store: read the audit trail", err)
	}
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(limit + 1),
		ExclusiveStartKey: pageKeyAV(start), ReturnConsumedCapacity: s.capacityMode(),
	})
	if err != nil {
		return out, dbError(err, "read the audit trail")
	}
	s.consumed("Query", res.ConsumedCapacity)
	items, next := page(res.Items, res.LastEvaluatedKey, limit, AttrPK, AttrSK)
	out.Items = make([]domain.AuditEvent, 0, len(items))
	for _, item := range items {
		var it auditItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return out, errs.Wrap("store: decode an audit event", err)
		}
		out.Items = append(out.Items, it.AuditEvent)
	}
	out.Next = next
	return out, nil
}
