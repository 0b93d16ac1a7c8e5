package faults

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/store"
)

// client is a DynamoDB client whose calls never reach a service: nothing
// listens at its endpoint, so only the injector answers.
func client(i *Injector) *dynamodb.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", ""),
		Retryer: func() aws.Retryer {
			return retry.AddWithMaxBackoffDelay(retry.NewStandard(), time.Millisecond)
		},
		APIOptions: append([]func(*middleware.Stack) error{}, i.APIOption),
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String("http://127.0.0.1:1") })
}

func tx(n int) *dynamodb.TransactWriteItemsInput {
	in := &dynamodb.TransactWriteItemsInput{}
	for k := range n {
		in.TransactItems = append(in.TransactItems, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: aws.String("t"), ConditionExpression: aws.String("attribute_exists(pk)"),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: string(rune('a' + k))}},
		}})
	}
	return in
}

// The conflict is the service's own answer, as the SDK surfaces it: the
// store finds the TransactionCanceledException through the OperationError,
// one reason per item, at least one of them a conflict, and the SDK's
// retryer does not send the call again.
func TestTransactionConflictIsTheServicesAnswerAndIsNotRetried(t *testing.T) {
	i := New()
	db := client(i)
	for seed := range uint64(20) {
		n := 1 + int(seed%5)
		i.Arm(Fault{Call: "DynamoDB.TransactWriteItems", Nth: 1, Kind: TransactionConflict, Attempts: 1, Seed: seed})
		i.Record()
		_, err := db.TransactWriteItems(context.Background(), tx(n))
		if !i.Disarm() {
			t.Fatal("the fault did not strike")
		}
		var oe *smithy.OperationError
		var tce *types.TransactionCanceledException
		if !errors.As(err, &oe) || !errors.As(err, &tce) {
			t.Fatalf("%T %v", err, err)
		}
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "TransactionCanceledException" {
			t.Fatalf("error code: %v", err)
		}
		if len(tce.CancellationReasons) != n {
			t.Fatalf("%d reasons for %d items", len(tce.CancellationReasons), n)
		}
		conflicts := 0
		for _, r := range tce.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "TransactionConflict":
				conflicts++
			case "None":
			default:
				t.Fatalf("reason %q", aws.ToString(r.Code))
			}
		}
		if conflicts == 0 {
			t.Fatal("no reason names the conflict")
		}
		calls := i.Calls()
		if len(calls) != 1 || calls[0].Attempts != 1 {
			t.Fatalf("the SDK retried the conflict: %+v", calls)
		}
	}
}

// Attempts counts calls in a row: the ones after them go through.
func TestTransactionConflictStrikesCallsInARow(t *testing.T) {
	i := New()
	db := client(i)
	i.Arm(Fault{Call: "DynamoDB.TransactWriteItems", Nth: 2, Kind: TransactionConflict, Attempts: 2})
	conflicted := func(err error) bool {
		var tce *types.TransactionCanceledException
		return errors.As(err, &tce)
	}
	var got []bool
	for range 4 {
		_, err := db.TransactWriteItems(context.Background(), tx(2))
		got = append(got, conflicted(err))
	}
	if want := []bool{false, true, true, false}; !equal(got, want) {
		t.Fatalf("conflicted calls %v, want %v", got, want)
	}
	// Other operations are never struck.
	if _, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("t"),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}}); conflicted(err) {
		t.Fatal("GetItem was cancelled")
	}
	i.Disarm()
}

func equal(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

// The store retries a conflicted transaction, five calls in all, then
// answers 409 concurrent_change; a conflict that ends sooner is retried
// through to the service.
func TestTheStoreRetriesAConflictFiveTimes(t *testing.T) {
	i := New()
	st := store.New(client(i), "t")
	m := domain.Member{ID: domain.NewID(domain.PrefixUser), CustomerID: domain.NewID(domain.PrefixCustomer), Email: "a@b.example", Status: domain.StatusUnconfirmed, Version: 1}
	ev := domain.AuditEvent{ID: domain.NewID(domain.PrefixEvent), At: time.Now(), CustomerID: m.CustomerID}

	i.Arm(Fault{Call: "DynamoDB.TransactWriteItems", Nth: 1, Kind: TransactionConflict})
	i.Record()
	err := st.CreateMember(context.Background(), state.NewMember{Member: m, Event: ev})
	i.Disarm()
	if !errors.Is(err, state.ErrConcurrent) {
		t.Fatalf("after conflicts on every call: %v", err)
	}
	if n := len(i.Calls()); n != 5 {
		t.Fatalf("%d calls, want 5", n)
	}

	i.Arm(Fault{Call: "DynamoDB.TransactWriteItems", Nth: 1, Kind: TransactionConflict, Attempts: 4})
	i.Record()
	err = st.CreateMember(context.Background(), state.NewMember{Member: m, Event: ev})
	i.Disarm()
	if errors.Is(err, state.ErrConcurrent) {
		t.Fatal("four conflicts exhausted the store's retries")
	}
	if n := len(i.Calls()); n != 5 {
		t.Fatalf("%d calls, want 5 (the fifth reaches the endpoint)", n)
	}
}

// An interleaved function runs before the call, once, and the call then
// goes through as if nothing happened.
func TestInterleaveRunsOnceBeforeTheCall(t *testing.T) {
	i := New()
	db := client(i)
	ran := 0
	i.Arm(Fault{Call: "DynamoDB.TransactWriteItems", Nth: 1, Kind: Interleave, During: func() {
		ran++
		// What runs meanwhile may make calls through the same injector.
		_, _ = db.TransactWriteItems(context.Background(), tx(1))
	}})
	_, err := db.TransactWriteItems(context.Background(), tx(1))
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		t.Fatal("the interleaved call was cancelled")
	}
	if !i.Disarm() || ran != 1 {
		t.Fatalf("ran %d times", ran)
	}
}
