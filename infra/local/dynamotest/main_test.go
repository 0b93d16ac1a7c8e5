package dynamotest

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/provision"
	"github.com/portalaccess/portalaccess/infra/local/testkit"
	"github.com/portalaccess/portalaccess/shared/store"
	"github.com/portalaccess/portalaccess/shared/store/storetest"
)

// db is DynamoDB Local, started once for this test binary on a free port.
var db *dynamodb.Client

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	em, err := emulators.Start(context.Background(), emulators.Options{Only: []string{"dynamodb"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start DynamoDB Local:", err)
		return 1
	}
	defer em.Stop()
	db = dynamodb.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")},
		func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(em.DynamoURL) })
	return m.Run()
}

var tables atomic.Int64

// newTable makes a fresh table (DynamoDB Local makes one in a few tens of
// milliseconds) and the store over it.
func newTable(t testing.TB) *store.Store {
	t.Helper()
	name := fmt.Sprintf("dt-%d-%d", time.Now().UnixNano(), tables.Add(1))
	if err := provision.Table(context.Background(), db, name); err != nil {
		t.Fatal(err)
	}
	return store.New(db, name)
}

// The DynamoDB store keeps the conformance suite, on a table of its own for
// each subtest.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return newTable(t) })
}

// meter sums the read capacity a store reports (store.Store.Capacity).
type meter = testkit.Meter

// metered is a second store over the table of s, whose reads m counts.
func metered(s *store.Store, m *meter) *store.Store {
	ms := store.New(db, s.Table())
	ms.Capacity = func(op string, units float64) {
		if op != "TransactWriteItems" { // the store reports its transactions' writes too
			m.Add(op, units)
		}
	}
	return ms
}
