package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
)

// ListAudit pages through a scope's audit trail, newest first.
func (s *Store) ListAudit(ctx context.Context, sc domain.Scope, limit int32, start Key) ([]domain.AuditEvent, Key, error) {
	kc := expression.Key(AttrPK).Equal(expression.Value(auditPK(sc)))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, nil, apperr.Wrap(err, "")
	}
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(limit + 1),
		ExclusiveStartKey: start.av(), ReturnConsumedCapacity: s.capacityMode(),
	})
	if err != nil {
		return nil, nil, dbError(err, "read the audit trail")
	}
	s.consumed("Query", res.ConsumedCapacity)
	items, next := page(res.Items, limit, AttrPK, AttrSK)
	out := make([]domain.AuditEvent, 0, len(items))
	for _, item := range items {
		var it auditItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return nil, nil, apperr.Wrap(err, "decode an audit event")
		}
		out = append(out, it.AuditEvent)
	}
	return out, next, nil
}
