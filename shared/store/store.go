// Package store keeps the product's state in one DynamoDB table. It is the
// source of truth: every change is a conditional write, and every change that
// a person makes is written together with its audit event in one transaction.
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

// Client is the part of the DynamoDB client the store uses.
type Client interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ Client = (*dynamodb.Client)(nil)

// Store reads and writes the table.
type Store struct {
	db    Client
	table string
	// Capacity, when set, is told the capacity every read consumed. Tests
	// and benchmarks use it to show that costs do not grow with the table.
	Capacity func(op string, units float64)
}

// New makes a store over the table.
func New(db Client, table string) *Store { return &Store{db: db, table: table} }

// Table is the table's name.
func (s *Store) Table() string { return s.table }

func pageKeyAV(k state.PageKey) map[string]types.AttributeValue {
	if len(k) == 0 {
		return nil
	}
	m := make(map[string]types.AttributeValue, len(k))
	for n, v := range k {
		m[n] = &types.AttributeValueMemberS{Value: v}
	}
	return m
}

func itemKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: pk},
		AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// stringAttr reads a string attribute of an item; ok is false when it is
// missing or not a string.
func stringAttr(item map[string]types.AttributeValue, name string) (string, bool) {
	v, ok := item[name].(*types.AttributeValueMemberS)
	if !ok {
		return "", false
	}
	return v.Value, true
}

func (s *Store) consumed(op string, cc *types.ConsumedCapacity) {
	if s.Capacity != nil && cc != nil && cc.CapacityUnits != nil {
		s.Capacity(op, *cc.CapacityUnits)
	}
}

func (s *Store) capacityMode() types.ReturnConsumedCapacity {
	if s.Capacity != nil {
		return types.ReturnConsumedCapacityTotal
	}
	return types.ReturnConsumedCapacityNone
}

// get reads one item into out; found is false when there is none.
func (s *Store) get(ctx context.Context, pk, sk string, consistent bool, out any) (bool, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:              &s.table,
		Key:                    itemKey(pk, sk),
		ConsistentRead:         aws.Bool(consistent),
		ReturnConsumedCapacity: s.capacityMode(),
	})
	if err != nil {
		return false, dbError(err, "read an item")
	}
	s.consumed("GetItem", res.ConsumedCapacity)
	if res.Item == nil {
		return false, nil
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return false, errs.Wrap("store: decode an item", err)
	}
	return true, nil
}

// getOne reads one item into out, strongly consistently; ErrNotFound when
// there is none.
func (s *Store) getOne(ctx context.Context, pk, sk string, out any) error {
	found, err := s.get(ctx, pk, sk, true, out)
	if err == nil && !found {
		return state.ErrNotFound
	}
	return err
}

// getAs reads one item of type I as getOne does, made into a T by pick.
func getAs[I, T any](ctx context.Context, s *Store, pk, sk string, pick func(*I) T) (T, error) {
	var it I
	if err := s.getOne(ctx, pk, sk, &it); err != nil {
		var zero T
		return zero, err
	}
	return pick(&it), nil
}

// dbError turns SDK errors into the product's error model. Throttling and
// timeouts are transient; everything else is a fault of ours.
func dbError(err error, what string) error {
	if errs.As(err) != nil {
		return err
	}
	op := "store: " + what
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return state.ErrUnavailable.In(op, err)
	}
	var thr *types.ProvisionedThroughputExceededException
	var lim *types.RequestLimitExceeded
	var tip *types.TransactionInProgressException
	if errors.As(err, &thr) || errors.As(err, &lim) || errors.As(err, &tip) {
		return state.ErrUnavailable.In(op, err)
	}
	return errs.Wrap(op, err)
}

// updateIf applies an update to one item on a condition. It returns the
// item as it is afterwards; a failed condition is ErrConditionFailed.
func (s *Store) updateIf(ctx context.Context, pk, sk string, u expression.UpdateBuilder, c expression.ConditionBuilder, what string) (map[string]types.AttributeValue, error) {
	e, err := expression.NewBuilder().WithUpdate(u).WithCondition(c).Build()
	if err != nil {
		return nil, errs.Wrap("store: "+what, err)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: itemKey(pk, sk),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ReturnValues: types.ReturnValueAllNew,
	})
	if isConditionFailed(err) {
		return nil, errConditionFailed
	}
	if err != nil {
		return nil, dbError(err, what)
	}
	return out.Attributes, nil
}

// errConditionFailed is what updateIf returns when its condition fails.
var errConditionFailed = errors.New("condition failed")
