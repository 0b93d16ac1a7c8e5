// Package stack runs the whole product on one machine: the emulators, the
// table, user pool and first admin they need, and the local gateway in front
// of the same handlers the Lambda functions run. make run and the end-to-end
// tests both start it.
package stack

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/smithy-go/middleware"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/gateway"
	"github.com/portalaccess/portalaccess/infra/local/provision"
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/app"
	"github.com/portalaccess/portalaccess/shared/app/sweep"
	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/console"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/identity/cognito"
	"github.com/portalaccess/portalaccess/shared/mail/sesmail"
	"github.com/portalaccess/portalaccess/shared/store"
)

// Options configure a local stack.
type Options struct {
	// Root is the repository root; found from the working directory if empty.
	Root string
	// DataDir keeps data across restarts (make run uses .local); empty for
	// throw-away stacks (tests).
	DataDir string
	// Ports; 0 picks free ones.
	APIPort, DynamoPort, CognitoPort, SESPort int
	// AdminEmail is the first operator admin.
	AdminEmail string
	// Getenv reads INVITATION_TTL, INVITATION_REMINDER, REINVITE_COOLDOWN.
	Getenv func(string) string
	Log    *slog.Logger
	// EmulatorLog receives the emulators' own output.
	EmulatorLog io.Writer
	// Now replaces the clock of the handlers (tests).
	Now func() time.Time
	// Tune, when set, may change the clients before the handlers are built
	// (tests wrap them to count or fail calls).
	Tune func(*Clients)
	// SweepInterval runs the expiry sweep this often, as the schedule does
	// on AWS; 0 leaves it to the caller (tests run it themselves).
	SweepInterval time.Duration
	// APIOptions are added to every SDK client (tests inject faults and
	// count calls with them).
	APIOptions []func(*middleware.Stack) error
	// MaxBackoff, when set, shortens the SDK retryers' backoff (tests).
	MaxBackoff time.Duration
}

// Clients are the SDK clients of the stack, pointed at the emulators.
type Clients struct {
	AWS      aws.Config
	DynamoDB store.Client
	Cognito  cognito.Client
	SES      sesmail.Client
}

// Info is what .local/stack.json holds.
type Info struct {
	APIURL   string `json:"apiUrl"`
	DynamoDB struct {
		Endpoint string `json:"endpoint"`
		Table    string `json:"table"`
	} `json:"dynamodb"`
	Cognito struct {
		Endpoint   string `json:"endpoint"`
		UserPoolID string `json:"userPoolId"`
		ClientID   string `json:"clientId"`
	} `json:"cognito"`
	SES struct {
		Endpoint string `json:"endpoint"`
	} `json:"ses"`
	Admin struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	} `json:"admin"`
}

// Stack is a running local stack.
type Stack struct {
	Info   Info
	Config config.Config
	// Env is what the handlers are made of; Store and Identity are its
	// store and sign-in client, for tests that look behind the API.
	Env      app.Env
	Store    *store.Store
	Identity identity.Provider
	Sweeper  *sweep.Sweeper
	// Services are what the handlers call (tests lower a limit on them).
	Services *api.Services
	Clients  Clients
	Handlers map[string]httpapi.Handler
	Gateway  *gateway.Gateway
	// Repaired says what was wrong with the first admin and is now put
	// right (make run prints it).
	Repaired  []string
	emulators *emulators.Emulators
	server    *http.Server
	stopSweep context.CancelFunc
}

// TableName is the local table.
const TableName = "portal-access"

// Start brings the stack up and returns when it serves requests.
func Start(ctx context.Context, o Options) (*Stack, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.AdminEmail == "" {
		o.AdminEmail = "admin@example.com"
	}
	var prior Info
	if o.DataDir != "" {
		if b, err := os.ReadFile(filepath.Join(o.DataDir, "stack.json")); err == nil {
			_ = json.Unmarshal(b, &prior)
		}
	}
	em, err := emulators.Start(ctx, emulators.Options{Root: o.Root, DataDir: o.DataDir,
		DynamoPort: o.DynamoPort, CognitoPort: o.CognitoPort, SESPort: o.SESPort, Log: o.EmulatorLog})
	if err != nil {
		return nil, err
	}
	s := &Stack{emulators: em}
	if err := s.start(ctx, o, prior); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Stack) start(ctx context.Context, o Options, prior Info) error {
	em := s.emulators
	awsCfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		APIOptions:  o.APIOptions,
	}
	shorter := func(r aws.Retryer) aws.Retryer {
		if o.MaxBackoff > 0 {
			return retry.AddWithMaxBackoffDelay(r, o.MaxBackoff)
		}
		return r
	}
	awsCfg.Retryer = func() aws.Retryer { return shorter(retry.NewStandard()) }
	ddb := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(em.DynamoURL) })
	cog := cip.NewFromConfig(awsCfg, func(o *cip.Options) { o.BaseEndpoint = aws.String(em.CognitoURL) })
	ses := sesv2.NewFromConfig(awsCfg, sesmail.ClientOptions, func(o *sesv2.Options) {
		o.BaseEndpoint = aws.String(em.SESURL)
		o.Retryer = shorter(o.Retryer)
	})

	if err := provision.Table(ctx, ddb, TableName); err != nil {
		return err
	}
	poolID, clientID, err := provision.UserPool(ctx, cog, "portal-access", prior.Cognito.UserPoolID, prior.Cognito.ClientID, o.AdminEmail)
	if err != nil {
		return err
	}
	password := prior.Admin.Password
	if password == "" || prior.Admin.Email != o.AdminEmail {
		password = provision.NewPassword()
	}

	apiPort := o.APIPort
	if apiPort == 0 {
		if apiPort, err = emulators.FreePort(); err != nil {
			return err
		}
	}
	apiURL := "http://127.0.0.1:" + strconv.Itoa(apiPort)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	env := map[string]string{
		"TABLE_NAME": TableName, "USER_POOL_ID": poolID, "APP_CLIENT_ID": clientID,
		"PORTAL_URL": apiURL, "SENDER_EMAIL": "no-reply@portal-access.example",
		"CURSOR_SECRET": base64Std(secret),
	}
	cfg, err := config.Load(func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return o.Getenv(k)
	})
	if err != nil {
		return err
	}
	s.Config = cfg
	// cognito-local has no AdminUserGlobalSignOut: the gap is kept here, in
	// the local wiring, and not in the product's code.
	s.Clients = Clients{AWS: awsCfg, DynamoDB: ddb, Cognito: noGlobalSignOut{cog}, SES: ses}
	if o.Tune != nil {
		o.Tune(&s.Clients)
	}
	st := store.New(s.Clients.DynamoDB, TableName)
	idp := cognito.New(s.Clients.Cognito, poolID)
	repaired, err := provision.FirstAdmin(ctx, st, idp, o.AdminEmail, password)
	if err != nil {
		return fmt.Errorf("first admin %s: %w (to begin again from nothing, stop the stack and delete %s)", o.AdminEmail, err, dataDirOr(o.DataDir))
	}
	s.Repaired = repaired
	s.Store, s.Identity = st, idp
	s.Env = app.Env{
		Config: cfg, Store: st, Identity: idp,
		Mail: sesmail.New(s.Clients.SES, cfg.SenderEmail, ""),
		Log:  o.Log, Now: o.Now,
	}
	s.Sweeper = s.Env.Sweeper()
	s.Services = api.NewServices(s.Env)
	s.Handlers = map[string]httpapi.Handler{}
	for name, op := range api.Operations {
		s.Handlers[name] = api.Handler(name, op, s.Services)
	}
	issuer := em.CognitoURL + "/" + poolID
	site := console.Config{
		Mode: console.ModeLocal, APIURL: apiURL, Region: awsCfg.Region,
		UserPoolID: poolID, ClientID: clientID, CognitoEndpoint: em.CognitoURL,
	}
	if err := site.Validate(); err != nil {
		return fmt.Errorf("web console: %w", err)
	}
	gw, err := gateway.New(ctx, s.Handlers, gateway.Options{
		Issuer: issuer, JWKSURL: issuer + "/.well-known/jwks.json", Audience: clientID, Log: o.Log,
		Site: console.Handler(site),
	})
	if err != nil {
		return err
	}
	s.Gateway = gw
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(apiPort))
	if err != nil {
		return fmt.Errorf("the API port %d is in use: set PORT to another one", apiPort)
	}
	s.server = &http.Server{Handler: gw, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.server.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.Log.Error("API server stopped", "error", err.Error())
		}
	}()

	if o.SweepInterval > 0 {
		sweepCtx, cancel := context.WithCancel(context.Background())
		s.stopSweep = cancel
		go func() {
			tick := time.NewTicker(o.SweepInterval)
			defer tick.Stop()
			for {
				select {
				case <-sweepCtx.Done():
					return
				case <-tick.C:
					if _, err := s.Sweeper.Run(sweepCtx, o.SweepInterval); err != nil && sweepCtx.Err() == nil {
						o.Log.Error("sweep failed", "error", err.Error())
					}
				}
			}
		}()
	}

	s.Info.APIURL = apiURL
	s.Info.DynamoDB.Endpoint, s.Info.DynamoDB.Table = em.DynamoURL, TableName
	s.Info.Cognito.Endpoint, s.Info.Cognito.UserPoolID, s.Info.Cognito.ClientID = em.CognitoURL, poolID, clientID
	s.Info.SES.Endpoint = em.SESURL
	s.Info.Admin.Email, s.Info.Admin.Password = o.AdminEmail, password
	if o.DataDir != "" {
		b, _ := json.MarshalIndent(s.Info, "", "  ")
		if err := os.WriteFile(filepath.Join(o.DataDir, "stack.json"), append(b, '\n'), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// Stop stops the gateway and every emulator.
func (s *Stack) Stop() {
	if s.stopSweep != nil {
		s.stopSweep()
	}
	if s.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.server.Shutdown(ctx)
		cancel()
	}
	if s.emulators != nil {
		s.emulators.Stop()
	}
}

// noGlobalSignOut stands in for AdminUserGlobalSignOut, which cognito-local
// does not implement (it answers 500). On AWS the call revokes the user's
// refresh tokens; locally there is nothing to revoke it with. The API's own
// check (the caller read from the table on every request) refuses a disabled
// user's next request either way.
type noGlobalSignOut struct{ *cip.Client }

func (noGlobalSignOut) AdminUserGlobalSignOut(context.Context, *cip.AdminUserGlobalSignOutInput, ...func(*cip.Options)) (*cip.AdminUserGlobalSignOutOutput, error) {
	return &cip.AdminUserGlobalSignOutOutput{}, nil
}

func dataDirOr(dir string) string {
	if dir == "" {
		return "the data directory"
	}
	return dir
}

// Sweep runs the sweep once, as the schedule does on AWS.
func (s *Stack) Sweep(ctx context.Context, budget time.Duration) (sweep.Report, error) {
	return s.Sweeper.Run(ctx, budget)
}
