package store

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// CreateCustomer writes a new customer and its audit event.
func (s *Store) CreateCustomer(ctx context.Context, c domain.Customer, ev domain.AuditEvent, x state.Extras) error {
	t := s.newTx()
	t.putNew(newCustomerItem(c), state.ErrConcurrent)
	t.putNew(newAuditItem(ev), nil)
	t.extras(x, domain.ProviderScope)
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
		return domain.Customer{}, state.ErrNotFound
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
		return domain.Customer{}, nil, errs.Wrap("store: read a customer", err)
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
			sk, _ := stringAttr(item, AttrSK)
			if sk == skCustomer {
				var it customerItem
				if err := attributevalue.UnmarshalMap(item, &it); err != nil {
					return c, nil, errs.Wrap("store: decode a customer", err)
				}
				c, found = it.Customer, true
			} else if strings.HasPrefix(sk, skPortalPre) {
				var it portalItem
				if err := attributevalue.UnmarshalMap(item, &it); err != nil {
					return c, nil, errs.Wrap("store: decode a portal setup", err)
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
		return c, nil, state.ErrNotFound
	}
	return c, portals, nil
}

// ListCustomers pages through all customers, sorted by name.
func (s *Store) ListCustomers(ctx context.Context, limit int32, start state.PageKey) (state.Page[domain.Customer], error) {
	kc := expression.Key("listPk").Equal(expression.Value(pkCustomers))
	var out state.Page[domain.Customer]
	next, err := s.queryIndex(ctx, IndexListing, kc, limit, start, func(item map[string]types.AttributeValue) error {
		var it customerItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return err
		}
		out.Items = append(out.Items, it.Customer)
		return nil
	})
	out.Next = next
	return out, err
}

// CreatePortal writes a portal setup of an existing customer.
func (s *Store) CreatePortal(ctx context.Context, p domain.Portal, ev domain.AuditEvent, x state.Extras) error {
	t := s.newTx()
	t.check(customerPK(p.CustomerID), skCustomer, expression.AttributeExists(expression.Name(AttrPK)), state.ErrNotFound)
	t.putNew(portalItem{PK: customerPK(p.CustomerID), SK: portalSK(p.ID), Type: typePortal, Portal: p}, state.ErrConcurrent)
	t.putNew(newAuditItem(ev), nil)
	t.extras(x, domain.CustomerScope(p.CustomerID))
	return t.commit(ctx)
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
	var ix Index
	for _, i := range Indexes {
		if i.Name == index {
			ix = i
		}
	}
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: &index,
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		Limit: aws.Int32(limit + 1), ExclusiveStartKey: pageKeyAV(start), ReturnConsumedCapacity: s.capacityMode(),
	})
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
