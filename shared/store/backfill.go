package store

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// The backfill of the counts by category. Members written before the
// counts were kept have no "counted" attribute, and their scope's meta item
// no countsExact. The backfill walks the scopes (the provider, then every
// customer in the listing), and in each the member items in key order, in
// bounded steps; each uncounted member is counted in a transaction of two
// writes — the member marked counted (on condition that it is still the
// version read and still uncounted) and one ADD to its category — so a
// change that lands meanwhile (it counts an uncounted member itself, see
// ChangeMember) and the backfill never both count one member. A scope whose
// every member has been seen is marked countsExact. Where it stands is kept
// in a marker item, so a step resumes where the last one stopped; running
// it again when it is done reads the marker only.

const (
	pkMigration      = "MIGRATION#counts"
	skMigration      = "M"
	typeMigration    = "migration"
	backfillPageSize = 100
)

type backfillMarker struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Type string `dynamodbav:"type"`
	// Scope is the scope being counted (its partition key); empty before
	// the first step, which begins with the provider.
	Scope string `dynamodbav:"scope,omitempty"`
	// After is the sort key of the last member seen in Scope.
	After string `dynamodbav:"after,omitempty"`
	// Customer is the listing key of Scope's customer, where the walk of
	// the customers goes on.
	Customer map[string]string `dynamodbav:"customer,omitempty"`
	Done     bool              `dynamodbav:"done"`
}

// BackfillCounts does up to limit members' worth of the backfill; more
// says there is work left.
func (s *Store) BackfillCounts(ctx context.Context, limit int) (more bool, err error) {
	var mk backfillMarker
	if _, err := s.get(ctx, pkMigration, skMigration, true, &mk); err != nil {
		return false, err
	}
	if mk.Done {
		return false, nil
	}
	mk.PK, mk.SK, mk.Type = pkMigration, skMigration, typeMigration
	if mk.Scope == "" {
		mk.Scope = pkProvider
	}
	for limit > 0 {
		seen, last, err := s.countPage(ctx, mk.Scope, mk.After, min(limit, backfillPageSize))
		if err != nil {
			return true, err
		}
		limit -= max(seen, 1)
		if last != "" {
			mk.After = last
			continue
		}
		// Every member of the scope seen: its counts are exact.
		if err := s.markExact(ctx, mk.Scope); err != nil {
			return true, err
		}
		next, key, err := s.nextUncountedCustomer(ctx, mk.Customer)
		if err != nil {
			return true, err
		}
		if next == "" {
			mk = backfillMarker{PK: pkMigration, SK: skMigration, Type: typeMigration, Done: true}
			return false, s.putMarker(ctx, mk)
		}
		mk.Scope, mk.After, mk.Customer = next, "", key
	}
	return true, s.putMarker(ctx, mk)
}

// countPage counts the uncounted members of one page of a scope's
// partition after the sort key after; last is where the next page starts,
// empty when the partition is done.
func (s *Store) countPage(ctx context.Context, scope, after string, limit int) (seen int, last string, err error) {
	kc := expression.Key(AttrPK).Equal(expression.Value(scope)).And(expression.Key(AttrSK).BeginsWith(skMemberPre))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return 0, "", errs.Wrap("store: backfill counts", err)
	}
	in := &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ConsistentRead: aws.Bool(true), Limit: aws.Int32(int32(limit)), ReturnConsumedCapacity: s.capacityMode(),
	}
	if after != "" {
		in.ExclusiveStartKey = itemKey(scope, after)
	}
	res, err := s.db.Query(ctx, in)
	if err != nil {
		return 0, "", dbError(err, "backfill counts")
	}
	s.consumed("Query", res.ConsumedCapacity)
	sc, _ := scopeFromKey(scope)
	for _, item := range res.Items {
		var it memberItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return 0, "", errs.Wrap("store: decode a member", err)
		}
		if it.Type != typeMember || it.Counted {
			continue
		}
		t := s.newTx()
		c := expression.Name("version").Equal(expression.Value(it.Version)).
			And(expression.AttributeNotExists(expression.Name("counted")))
		t.update(scope, it.SK, expression.Set(expression.Name("counted"), expression.Value(true)), &c, errCounted)
		pk, sk := metaKey(sc)
		exists := expression.AttributeExists(expression.Name(AttrPK)) // not a customer deleted meanwhile
		t.update(pk, sk, expression.Add(expression.Name(countAttr(it.Status)), expression.Value(1)), &exists, errCounted)
		if err := t.commit(ctx); err != nil && !errors.Is(err, errCounted) && !errors.Is(err, state.ErrConcurrent) {
			return 0, "", err
		}
		// Changed meanwhile: that change counted it.
	}
	if res.LastEvaluatedKey != nil && len(res.Items) > 0 {
		var k struct {
			SK string `dynamodbav:"sk"`
		}
		_ = attributevalue.UnmarshalMap(res.LastEvaluatedKey, &k)
		last = k.SK
	}
	return len(res.Items), last, nil
}

// errCounted: the member was changed (and so counted) since it was read,
// or its scope is gone.
var errCounted = errors.New("counted meanwhile")

// markExact marks a scope's counts exact, if its meta item exists (a
// customer offboarded meanwhile is left gone).
func (s *Store) markExact(ctx context.Context, scope string) error {
	sc, _ := scopeFromKey(scope)
	pk, sk := metaKey(sc)
	_, err := s.updateIf(ctx, pk, sk, expression.Set(expression.Name("countsExact"), expression.Value(true)),
		expression.AttributeExists(expression.Name(AttrPK)), "mark counts exact")
	if err == errConditionFailed {
		return nil
	}
	return err
}

// nextUncountedCustomer is the next customer of the listing after the
// listing key start whose counts are not exact, with its listing key;
// empty when there is none. Customers made since the counts are kept are
// exact from the start and passed over.
func (s *Store) nextUncountedCustomer(ctx context.Context, start map[string]string) (string, map[string]string, error) {
	for {
		p, err := s.ListCustomers(ctx, backfillPageSize, start)
		if err != nil {
			return "", nil, err
		}
		for i, c := range p.Items {
			if !c.Members.Exact {
				return customerPK(c.ID), customerListingKey(c), nil
			}
			if i == len(p.Items)-1 {
				start = customerListingKey(c)
			}
		}
		if p.Next == nil {
			return "", nil, nil
		}
		start = p.Next
	}
}

// customerListingKey is the listing index's key of a customer, where a
// page that follows it starts.
func customerListingKey(c domain.Customer) map[string]string {
	return map[string]string{AttrPK: customerPK(c.ID), AttrSK: skCustomer, "listPk": pkCustomers, "listSk": customerOrder(c)}
}

func (s *Store) putMarker(ctx context.Context, mk backfillMarker) error {
	av, err := attributevalue.MarshalMap(mk)
	if err != nil {
		return errs.Wrap("store: backfill marker", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: av})
	return dbError(err, "write the backfill marker")
}
