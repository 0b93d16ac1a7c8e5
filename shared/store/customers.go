package store

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
)

// CreateCustomer writes a new customer and its audit event.
func (s *Store) CreateCustomer(ctx context.Context, c domain.Customer, ev domain.AuditEvent, w Writes) error {
	t := s.newTx()
	t.putNew(newCustomerItem(c), ErrConflict)
	t.putNew(newAuditItem(ev), nil)
	w.apply(t)
	return t.commit(ctx)
}

// Customer reads one customer.
func (s *Store) Customer(ctx context.Context, id string) (domain.Customer, error) {
	var it customerItem
	found, err := s.get(ctx, customerPK(id), skCustomer, false, &it)
	if err != nil {
		return domain.Customer{}, err
	}
	if !found {
		return domain.Customer{}, apperr.ErrNotFound
	}
	return it.Customer, nil
}

// CustomerWithPortals reads a customer and all its portal setups in one
// Query: they share the partition, and their sort keys begin with "C".
func (s *Store) CustomerWithPortals(ctx context.Context, id string) (domain.Customer, []domain.Portal, error) {
	kc := expression.Key(AttrPK).Equal(expression.Value(customerPK(id))).
		And(expression.Key(AttrSK).BeginsWith(skCustomer))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return domain.Customer{}, nil, apperr.Wrap(err, "")
	}
	var c domain.Customer
	var portals []domain.Portal
	found := false
	in := &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: s.capacityMode(),
	}
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return c, nil, dbError(err, "read a customer")
		}
		s.consumed("Query", res.ConsumedCapacity)
		for _, item := range res.Items {
			sk := item[AttrSK].(*types.AttributeValueMemberS).Value
			if sk == skCustomer {
				var it customerItem
				if err := attributevalue.UnmarshalMap(item, &it); err != nil {
					return c, nil, apperr.Wrap(err, "")
				}
				c, found = it.Customer, true
			} else if strings.HasPrefix(sk, skPortalPre) {
				var it portalItem
				if err := attributevalue.UnmarshalMap(item, &it); err != nil {
					return c, nil, apperr.Wrap(err, "")
				}
				portals = append(portals, it.Portal)
			}
		}
		if res.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	if !found {
		return c, nil, apperr.ErrNotFound
	}
	return c, portals, nil
}

// ListCustomers pages through all customers, sorted by name.
func (s *Store) ListCustomers(ctx context.Context, limit int32, start Key) ([]domain.Customer, Key, error) {
	kc := expression.Key("listPk").Equal(expression.Value(pkCustomers))
	var out []domain.Customer
	next, err := s.queryIndex(ctx, IndexListing, kc, limit, start, func(item map[string]types.AttributeValue) error {
		var it customerItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return err
		}
		out = append(out, it.Customer)
		return nil
	})
	return out, next, err
}

// CreatePortal writes a portal setup of an existing customer.
func (s *Store) CreatePortal(ctx context.Context, p domain.Portal, ev domain.AuditEvent, w Writes) error {
	t := s.newTx()
	t.check(customerPK(p.CustomerID), skCustomer, expression.AttributeExists(expression.Name(AttrPK)), apperr.ErrNotFound)
	t.putNew(portalItem{PK: customerPK(p.CustomerID), SK: portalSK(p.ID), Type: typePortal, Portal: p}, ErrConflict)
	t.putNew(newAuditItem(ev), nil)
	w.apply(t)
	return t.commit(ctx)
}

// queryIndex reads one page of an index, in key order (see page).
func (s *Store) queryIndex(ctx context.Context, index string, kc expression.KeyConditionBuilder, limit int32, start Key, each func(map[string]types.AttributeValue) error) (Key, error) {
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, apperr.Wrap(err, "")
	}
	var ix Index
	for _, i := range Indexes {
		if i.Name == index {
			ix = i
		}
	}
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: &index,
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		Limit: aws.Int32(limit + 1), ExclusiveStartKey: start.av(), ReturnConsumedCapacity: s.capacityMode(),
	})
	if err != nil {
		return nil, dbError(err, "query "+index)
	}
	s.consumed("Query", res.ConsumedCapacity)
	items, next := page(res.Items, limit, AttrPK, AttrSK, ix.PK, ix.SK)
	for _, item := range items {
		if err := each(item); err != nil {
			return nil, apperr.Wrap(err, "decode an item")
		}
	}
	return next, nil
}

// page trims the items of a query read with Limit limit+1 to the page. The
// extra item makes the last page reliably have no next key: the key of the
// page's last item (the given key attributes) is the next page's start only
// when something follows it.
func page(items []map[string]types.AttributeValue, limit int32, keyAttrs ...string) ([]map[string]types.AttributeValue, Key) {
	if len(items) <= int(limit) {
		return items, nil
	}
	items = items[:limit]
	last := items[len(items)-1]
	next := Key{}
	for _, a := range keyAttrs {
		if v, ok := last[a].(*types.AttributeValueMemberS); ok {
			next[a] = v.Value
		}
	}
	return items, next
}
