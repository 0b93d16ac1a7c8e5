package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/app"
	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/store"
)

// cannedDB answers the store's calls from memory: the benchmarks measure
// the handler path (decoding, authorisation, marshalling, encoding) without
// any I/O.
type cannedDB struct {
	store.Client
	caller   []map[string]types.AttributeValue
	page     []map[string]types.AttributeValue
	customer map[string]types.AttributeValue
}

func (c *cannedDB) Query(ctx context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	if in.IndexName != nil {
		return &dynamodb.QueryOutput{Items: c.page}, nil
	}
	return &dynamodb.QueryOutput{Items: c.caller}, nil
}

// GetItem answers the customer for its key (the operator path reads its
// standing beside the listing), the first member for any other.
func (c *cannedDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if sk, ok := in.Key["sk"].(*types.AttributeValueMemberS); ok && sk.Value == "C" {
		return &dynamodb.GetItemOutput{Item: c.customer}, nil
	}
	return &dynamodb.GetItemOutput{Item: c.page[0]}, nil
}

func item(t testing.TB, v any) map[string]types.AttributeValue {
	av, err := attributevalue.MarshalMap(v)
	if err != nil {
		t.Fatal(err)
	}
	return av
}

func benchDeps(b *testing.B, n int) (*api.Services, events.APIGatewayV2HTTPRequest, *cannedDB) {
	now := time.Now().UTC()
	cid := domain.NewID(domain.PrefixCustomer)
	op := domain.Member{ID: domain.NewID(domain.PrefixOperator), Email: "op@provider.example", Name: "Op",
		Status: domain.StatusEnabled, Role: domain.RoleAdmin, Sub: "sub-op", Version: 1, CreatedAt: now, UpdatedAt: now,
		MFAEnrolledAt: &now} // operators sign in with a second factor

	db := &cannedDB{caller: []map[string]types.AttributeValue{item(b, struct {
		PK   string `dynamodbav:"pk"`
		SK   string `dynamodbav:"sk"`
		Type string `dynamodbav:"type"`
		domain.Member
	}{"S#sub-op", "OPS", "membership", op})}}
	db.customer = item(b, struct {
		PK   string `dynamodbav:"pk"`
		SK   string `dynamodbav:"sk"`
		Type string `dynamodbav:"type"`
		domain.Customer
	}{"C#" + cid, "C", "customer", domain.Customer{ID: cid, Name: "Acme", Locale: "en", CreatedAt: now, UpdatedAt: now, Version: 1}})
	for i := range n {
		m := domain.Member{ID: domain.NewID(domain.PrefixUser), CustomerID: cid, Email: fmt.Sprintf("user%03d@acme.example", i),
			Name: "User", Status: domain.StatusUnconfirmed, Roles: []string{"Portal managers"}, PortalIDs: []string{"ptl_aaaaaaaaaaaaaaaaaaaaaaaaaa"},
			Version: 1, CreatedAt: now, UpdatedAt: now,
			Invitation: &domain.Invitation{State: domain.InvitationPending, TokenHash: strings.Repeat("a", 64), ExpiresAt: now, Delivery: domain.DeliverySent, SendCount: 1}}
		db.page = append(db.page, item(b, struct {
			PK    string `dynamodbav:"pk"`
			SK    string `dynamodbav:"sk"`
			CatPK string `dynamodbav:"catPk"`
			CatSK string `dynamodbav:"catSk"`
			domain.Member
		}{"C#" + cid, "U#" + m.ID, "C#" + cid + "#unconfirmed", m.Email, m}))
	}
	d := api.NewServices(app.Env{
		Config: config.Config{AppClientID: "client", CursorSecret: make([]byte, 32)},
		Store:  store.New(db, "t"),
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	ev := events.APIGatewayV2HTTPRequest{
		RawQueryString: "status=unconfirmed&limit=" + strconv.Itoa(n-1),
		PathParameters: map[string]string{"customerId": cid},
	}
	ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
		Claims: map[string]string{"sub": "sub-op", "token_use": "access", "client_id": "client", "exp": strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)}}}
	return d, ev, db
}

// A page of 50 users through the whole handler: token claims, the caller,
// the query, the listing, the views and the JSON answer.
func BenchmarkListUsersPage(b *testing.B) {
	d, ev, _ := benchDeps(b, 51)
	// The operator path checks the customer beside the listing.
	h := api.Handler("list-users", api.ListUsers, d)
	b.ReportAllocs()
	for b.Loop() {
		res, err := h(context.Background(), ev)
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("%d %v", res.StatusCode, err)
		}
	}
}

// One user's JSON answer.
func BenchmarkGetUserAnswer(b *testing.B) {
	d, ev, db := benchDeps(b, 1)
	var m struct {
		ID string `dynamodbav:"id"`
	}
	_ = attributevalue.UnmarshalMap(db.page[0], &m)
	ev.PathParameters["userId"] = m.ID
	h := api.Handler("get-user", api.GetUser, d)
	b.ReportAllocs()
	for b.Loop() {
		res, err := h(context.Background(), ev)
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("%d %v %s", res.StatusCode, err, res.Body)
		}
	}
}
