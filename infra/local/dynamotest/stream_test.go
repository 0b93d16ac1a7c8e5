package dynamotest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/infra/local/provision"
	"github.com/portalaccess/portalaccess/shared/store"
)

// A table made before events (no stream) gets its stream when the local
// stack provisions it again, so that a kept .local/ publishes events too;
// a new table has it from the start.
func TestProvisionGivesTheTableItsStream(t *testing.T) {
	ctx := context.Background()
	name := fmt.Sprintf("old-%d", time.Now().UnixNano())
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: &name, BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(store.AttrPK), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(store.AttrPK), AttributeType: types.ScalarAttributeTypeS}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := provision.Table(ctx, db, name); err != nil {
		t.Fatal(err)
	}
	fresh := fmt.Sprintf("new-%d", time.Now().UnixNano())
	if err := provision.Table(ctx, db, fresh); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{name, fresh} {
		d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(n)})
		if err != nil {
			t.Fatal(err)
		}
		sp := d.Table.StreamSpecification
		if sp == nil || !aws.ToBool(sp.StreamEnabled) || sp.StreamViewType != types.StreamViewTypeNewImage || d.Table.LatestStreamArn == nil {
			t.Errorf("%s: stream %+v %v", n, sp, d.Table.LatestStreamArn)
		}
	}
}
