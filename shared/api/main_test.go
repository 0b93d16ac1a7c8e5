package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/provision"
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/cursor"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/mail"
	"github.com/portalaccess/portalaccess/shared/store"
)

// The handlers' integration tests run against DynamoDB Local, with fakes
// for Cognito and SES where a test is about the table.
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

// newTable makes a fresh table for one test.
func newTable(t testing.TB) *store.Store {
	t.Helper()
	name := fmt.Sprintf("api-%d", time.Now().UnixNano())
	if err := provision.Table(context.Background(), db, name); err != nil {
		t.Fatal(err)
	}
	return store.New(db, name)
}

// fakeIdentity records what it is asked and keeps identities in memory.
type fakeIdentity struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeIdentity) record(s string) { f.mu.Lock(); f.calls = append(f.calls, s); f.mu.Unlock() }
func (f *fakeIdentity) Lookup(ctx context.Context, email string) (identity.Identity, bool, error) {
	f.record("lookup " + email)
	return identity.Identity{}, false, nil
}
func (f *fakeIdentity) Create(ctx context.Context, email, password string) (identity.Identity, error) {
	f.record("create " + email)
	return identity.Identity{Sub: "sub-" + email, Email: email, Enabled: true}, nil
}
func (f *fakeIdentity) SetPassword(ctx context.Context, sub, password string) error {
	f.record("password " + sub)
	return nil
}
func (f *fakeIdentity) Enable(ctx context.Context, sub string) error {
	f.record("enable " + sub)
	return nil
}
func (f *fakeIdentity) Disable(ctx context.Context, sub string) error {
	f.record("disable " + sub)
	return nil
}
func (f *fakeIdentity) Delete(ctx context.Context, sub string) error {
	f.record("delete " + sub)
	return nil
}

// fakeMail keeps what was sent.
type fakeMail struct {
	mu   sync.Mutex
	sent []mail.Message
	fail bool
}

func (f *fakeMail) Send(ctx context.Context, m mail.Message) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return "", fmt.Errorf("mail refused")
	}
	f.sent = append(f.sent, m)
	return fmt.Sprint(len(f.sent)), nil
}

func (f *fakeMail) count() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.sent) }

func newDeps(t testing.TB, s *store.Store, now func() time.Time) (*api.Deps, *fakeIdentity, *fakeMail) {
	t.Helper()
	cfg := config.Config{
		TableName: s.Table(), UserPoolID: "pool", AppClientID: "client", PortalURL: "https://portal.example",
		SenderEmail: "no-reply@example.com", CursorSecret: make([]byte, 32),
		InvitationTTL: config.DefaultInvitationTTL, InvitationReminder: config.DefaultInvitationReminder,
		ReinviteCooldown: config.DefaultReinviteCooldown,
		InviteRateLimit:  1_000_000, PublicRateLimit: 1_000_000,
	}
	idp, ml := &fakeIdentity{}, &fakeMail{}
	return &api.Deps{Config: cfg, Store: s, Identity: idp, Mail: ml, Cursors: cursor.New(cfg.CursorSecret),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now}, idp, ml
}
