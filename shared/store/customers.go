package store

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

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
	return listOf(ctx, s, IndexListing, kc, limit, start, func(it *customerItem) domain.Customer { return it.Customer })
}
