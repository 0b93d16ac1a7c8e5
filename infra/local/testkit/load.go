package testkit

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/store"
)

// PutItems writes items into table with BatchWriteItem, 25 a request and
// parallel requests at once, sending again what DynamoDB leaves
// unprocessed. It is how the benchmarks and the cost tests load large
// tables: DynamoDB Local commits about a hundred transactions a second on
// a small machine, and a batch of 25 puts costs about what one of them
// does.
func PutItems(ctx context.Context, db *dynamodb.Client, table string, items []map[string]types.AttributeValue, parallel int) error {
	p := newPutter(ctx, db, table, parallel)
	for _, it := range items {
		p.add(it)
	}
	return p.wait()
}

// A putter sends the items added to it 25 a request, parallel requests at
// once; add waits while they are all under way, so that a large load is
// never all in memory.
type putter struct {
	ctx   context.Context
	db    *dynamodb.Client
	table string
	g     errgroup.Group
	batch []types.WriteRequest
}

func newPutter(ctx context.Context, db *dynamodb.Client, table string, parallel int) *putter {
	p := &putter{ctx: ctx, db: db, table: table}
	p.g.SetLimit(max(1, parallel))
	return p
}

func (p *putter) add(item map[string]types.AttributeValue) {
	p.batch = append(p.batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	if len(p.batch) == 25 {
		p.send()
	}
}

func (p *putter) send() {
	req := p.batch
	p.batch = nil
	p.g.Go(func() error {
		for len(req) > 0 {
			out, err := p.db.BatchWriteItem(p.ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{p.table: req}})
			if err != nil {
				return err
			}
			req = out.UnprocessedItems[p.table]
		}
		return nil
	})
}

func (p *putter) wait() error {
	if len(p.batch) > 0 {
		p.send()
	}
	return p.g.Wait()
}

// LoadMembers writes new members of customers (none of them an admin)
// into the store's table without its transactions: the items the store's
// CreateMember puts for each (store.MemberItems: the member, its e-mail
// record, its invitation's token record, its identity's copy, its audit
// event "invited"), through BatchWriteItem as PutItems sends them, then
// each customer's counts by category added to its item in one update, as
// the CreateMembers would have added them one by one. Seats are not
// counted: the customers must have no seat limit. The customers must
// exist.
func LoadMembers(ctx context.Context, db *dynamodb.Client, st *store.Store, ms []domain.Member, parallel int) error {
	p := newPutter(ctx, db, st.Table(), parallel)
	counts := map[string]domain.MemberCounts{}
	for _, m := range ms {
		if m.CountsAsAdmin() || m.Scope().IsProvider() {
			_ = p.wait()
			return fmt.Errorf("LoadMembers loads a customer's non-admin members only (%s)", m.Email)
		}
		ev := domain.NewEvent(m.CreatedAt, domain.SystemActor, domain.Action(m.Kind(), domain.ActionInvited), domain.TargetOf(&m), m.Scope())
		its, err := st.MemberItems(state.NewMember{Member: m, Event: ev})
		if err != nil {
			_ = p.wait()
			return err
		}
		for _, it := range its {
			p.add(it)
		}
		c := counts[m.CustomerID]
		c.Add(m.Status, 1)
		counts[m.CustomerID] = c
	}
	if err := p.wait(); err != nil {
		return err
	}
	for id, c := range counts {
		if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(st.Table()), Key: map[string]types.AttributeValue{
				store.AttrPK: &types.AttributeValueMemberS{Value: "C#" + id}, store.AttrSK: &types.AttributeValueMemberS{Value: "C"}},
			UpdateExpression:    aws.String("ADD enabledCount :e, disabledCount :d, unconfirmedCount :u"),
			ConditionExpression: aws.String("attribute_exists(" + store.AttrPK + ")"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":e": &types.AttributeValueMemberN{Value: fmt.Sprint(c.Enabled)},
				":d": &types.AttributeValueMemberN{Value: fmt.Sprint(c.Disabled)},
				":u": &types.AttributeValueMemberN{Value: fmt.Sprint(c.Unconfirmed)}},
		}); err != nil {
			return fmt.Errorf("the counts of customer %s: %w", id, err)
		}
	}
	return nil
}
