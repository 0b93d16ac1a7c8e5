package store_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/provision"
	"github.com/portalaccess/portalaccess/shared/store"
)

// The integration tests of the store run against DynamoDB Local, started
// once for this test binary on a free port.
var (
	db    *dynamodb.Client
	table = "store-test"
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	em, err := emulators.Start(ctx, emulators.Options{Only: []string{"dynamodb"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start DynamoDB Local:", err)
		return 1
	}
	defer em.Stop()
	db = dynamodb.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")},
		func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(em.DynamoURL) })
	if err := provision.Table(ctx, db, table); err != nil {
		fmt.Fprintln(os.Stderr, "create the table:", err)
		return 1
	}
	return m.Run()
}

func newStore() *store.Store { return store.New(db, table) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}
