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
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portalaccess/portalaccess/infra/local/cognitofront"
	"github.com/portalaccess/portalaccess/infra/local/cognitofront/lambdalocal"
	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/eventbus"
	"github.com/portalaccess/portalaccess/infra/local/gateway"
	"github.com/portalaccess/portalaccess/infra/local/provision"
	"github.com/portalaccess/portalaccess/infra/local/sampleportal"
	"github.com/portalaccess/portalaccess/infra/local/sqsconsume"
	"github.com/portalaccess/portalaccess/infra/local/streams"
	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/app"
	"github.com/portalaccess/portalaccess/shared/app/imports"
	"github.com/portalaccess/portalaccess/shared/app/portals"
	"github.com/portalaccess/portalaccess/shared/app/sweep"
	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/console"
	"github.com/portalaccess/portalaccess/shared/domain"
	pevents "github.com/portalaccess/portalaccess/shared/events"
	"github.com/portalaccess/portalaccess/shared/events/bridge"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/identity/cognito"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/mail/sesmail"
	"github.com/portalaccess/portalaccess/shared/queue"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/store"
)

// Options configure a local stack.
type Options struct {
	// Root is the repository root; found from the working directory if empty.
	Root string
	// DataDir keeps data across restarts (make run uses .local); empty for
	// throw-away stacks (tests).
	DataDir string
	// Ports; 0 picks free ones. FrontPort is the Cognito front's (the API
	// clients use, and the stand-in managed login); SamplePortalPort the
	// sample portal's.
	APIPort, DynamoPort, CognitoPort, SESPort, FrontPort, SamplePortalPort int
	// SampleReceiverPort is the sample webhook receiver's; 0 picks one.
	SampleReceiverPort int
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
	// EnrolAdmin sets up an authenticator app for the first operator admin
	// (in the Cognito front) and confirms it, so that tests can sign them
	// in and work at once (Stack.SignIn gives the app's code). Without it
	// the admin is asked to enrol, in the console, on first sign-in.
	EnrolAdmin bool
}

// Clients are the SDK clients of the stack, pointed at the emulators.
type Clients struct {
	AWS      aws.Config
	DynamoDB store.Client
	Cognito  CognitoClient
	SES      sesmail.Client
}

// CognitoClient is what the product asks of Cognito: its users, and its
// app clients.
type CognitoClient interface {
	cognito.Client
	cognito.ClientsAPI
}

// Info is what .local/stack.json holds.
type Info struct {
	APIURL   string `json:"apiUrl"`
	DynamoDB struct {
		Endpoint string `json:"endpoint"`
		Table    string `json:"table"`
	} `json:"dynamodb"`
	Cognito struct {
		// Endpoint is where clients call the Cognito API: the front, which
		// passes calls to cognito-local and closes its gaps (a reset code
		// reaches the mailbox however ForgotPassword is called; a disabled
		// identity cannot sign in). Emulator is cognito-local itself.
		Endpoint   string `json:"endpoint"`
		Emulator   string `json:"emulator"`
		Issuer     string `json:"issuer"`
		UserPoolID string `json:"userPoolId"`
		ClientID   string `json:"clientId"`
	} `json:"cognito"`
	// ManagedLogin is the stand-in for Cognito's managed login: sign-in,
	// sign-out and password reset pages, and the OAuth endpoints.
	ManagedLogin struct {
		URL string `json:"url"`
	} `json:"managedLogin"`
	// SamplePortal is a customer's portal that signs in through it.
	SamplePortal struct {
		URL string `json:"url"`
	} `json:"samplePortal"`
	SES struct {
		Endpoint string `json:"endpoint"`
	} `json:"ses"`
	// Events: the stand-in for the stack's EventBridge bus (PutEvents).
	Events struct {
		Bus string `json:"bus"`
	} `json:"events"`
	// Queues: the SQS emulator, and the imports' queue and dead-letter queue.
	Queues struct {
		Endpoint    string `json:"endpoint"`
		Imports     string `json:"imports"`
		ImportsDead string `json:"importsDeadLetter"`
		// The webhooks' events queue and deliveries queue (FIFO).
		WebhookEvents     string `json:"webhookEvents"`
		WebhookDeliveries string `json:"webhookDeliveries"`
	} `json:"queues"`
	// Webhooks: the sample receiver (its page lists what it received).
	Webhooks struct {
		Receiver string `json:"receiver"`
	} `json:"webhooks"`
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
	Repaired []string
	// Front is the Cognito front; Functions the local Lambda endpoint
	// cognito-local invokes its triggers at.
	Front     *cognitofront.Front
	Functions *lambdalocal.Functions
	// Events: the local bus every committed change is published to, and
	// the poller of the table's stream that publishes them.
	Bus    *eventbus.Bus
	Stream *streams.Poller
	busL   net.Listener
	// Imports is the import-users consumer's service (tests interrupt it),
	// Consumer the local stand-in of its event source mapping.
	Imports  *imports.Service
	Consumer *sqsconsume.Consumer
	SQS      *sqs.Client
	sqsEm    *emulators.SQS
	// Webhooks are the webhooks' queues, consumers and sample receiver;
	// WebhookKey is WEBHOOK_KEY (the Runtime API test gives it its
	// functions).
	Webhooks   *Webhooks
	WebhookKey string

	portals   *portals.Service
	emulators *emulators.Emulators
	servers   []*http.Server
	stopSweep context.CancelFunc
	frontL    net.Listener
	lambdaL   net.Listener
	portalL   net.Listener
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
	s := &Stack{}
	var err error
	if s.frontL, err = listen(o.FrontPort, "the Cognito front"); err != nil {
		return nil, err
	}
	if s.lambdaL, err = listen(0, "the Lambda endpoint"); err != nil {
		s.Stop()
		return nil, err
	}
	if s.portalL, err = listen(o.SamplePortalPort, "the sample portal"); err != nil {
		s.Stop()
		return nil, err
	}
	frontURL := "http://" + s.frontL.Addr().String()
	em, err := emulators.Start(ctx, emulators.Options{Root: o.Root, DataDir: o.DataDir,
		DynamoPort: o.DynamoPort, CognitoPort: o.CognitoPort, SESPort: o.SESPort, Log: o.EmulatorLog,
		Cognito: emulators.CognitoConfig{
			IssuerDomain: frontURL, LambdaEndpoint: "http://" + s.lambdaL.Addr().String(),
			TriggerFunctions: map[string]string{"CustomMessage": customMessage},
		}})
	if err != nil {
		s.Stop()
		return nil, err
	}
	s.emulators = em
	if err := s.start(ctx, o, prior, frontURL); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// senderEmail is the address the e-mails come from.
const senderEmail = "no-reply@portal-access.example"

// customMessage is the name cognito-local invokes the custom message
// trigger under, the function's own (routes.Tasks).
const customMessage = "custom-message"

// listen listens on a port of this machine; 0 picks a free one.
func listen(port int, what string) (net.Listener, error) {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return nil, fmt.Errorf("%s cannot listen on port %d: %w", what, port, err)
	}
	return l, nil
}

func (s *Stack) serve(l net.Listener, h http.Handler, log *slog.Logger) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("server stopped", "address", l.Addr().String(), "error", err.Error())
		}
	}()
}

func (s *Stack) start(ctx context.Context, o Options, prior Info, frontURL string) error {
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
	// The product calls Cognito through the front, as every client does: it
	// answers the few calls cognito-local lacks (standIn).
	cog := cip.NewFromConfig(awsCfg, func(o *cip.Options) { o.BaseEndpoint = aws.String(frontURL) })
	ses := sesv2.NewFromConfig(awsCfg, sesmail.ClientOptions, func(o *sesv2.Options) {
		o.BaseEndpoint = aws.String(em.SESURL)
		o.Retryer = shorter(o.Retryer)
	})

	// The front and the Lambda endpoint serve before the user pool is made:
	// the product's calls go through the front. poolID is known below.
	var poolID, clientID string
	var err error
	// The user pool's custom message trigger runs the function's own code.
	s.Functions = lambdalocal.New(o.Log)
	s.Functions.Register(customMessage, lambdalocal.Typed(func(ctx context.Context, ev events.CognitoEventUserPoolsCustomMessage) (events.CognitoEventUserPoolsCustomMessage, error) {
		if s.portals == nil { // not yet started: Cognito writes its own text
			return ev, nil
		}
		return lambdafn.CustomMessage(ctx, s.portals, ev), nil
	}))
	front, err := cognitofront.New(cognitofront.Options{
		URL: frontURL, CognitoURL: em.CognitoURL, UserPoolID: func() string { return poolID },
		CognitoDir: em.CognitoDir, SES: ses, Sender: senderEmail, Functions: s.Functions,
		Locale: func(ctx context.Context, clientID string) (string, string, string) {
			if s.Store == nil {
				return "", "", ""
			}
			p, cu, err := s.Store.PortalByClient(ctx, clientID)
			if err != nil {
				return "", "", ""
			}
			return cu.Locale, cu.Name, p.Name
		},
		Log: o.Log, Now: o.Now, MFAFile: mfaFile(o.DataDir),
	})
	if err != nil {
		return err
	}
	s.Front = front
	s.serve(s.frontL, front, o.Log)
	s.serve(s.lambdaL, s.Functions, o.Log)

	if err := provision.Table(ctx, ddb, TableName); err != nil {
		return err
	}
	if err := s.startEvents(ctx, o, em.DynamoURL); err != nil {
		return err
	}
	if err := s.startQueues(ctx, o, awsCfg); err != nil {
		return err
	}
	if err := s.startWebhookQueues(ctx, o.SampleReceiverPort); err != nil {
		return err
	}
	whKey, err := webhookKey(o.DataDir)
	if err != nil {
		return fmt.Errorf("the webhooks' key: %w", err)
	}
	s.WebhookKey = whKey
	poolID, clientID, err = provision.UserPool(ctx, cog, "portal-access", prior.Cognito.UserPoolID, prior.Cognito.ClientID, o.AdminEmail)
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
	issuer := frontURL + "/" + poolID
	env := map[string]string{
		"TABLE_NAME": TableName, "USER_POOL_ID": poolID, "APP_CLIENT_ID": clientID,
		"PORTAL_URL": apiURL, "SENDER_EMAIL": senderEmail,
		"CURSOR_SECRET": base64Std(secret),
		// Portals sign in at the front; locally their app clients also take
		// a password, for scripts and tests.
		"USER_POOL_ISSUER": issuer, "MANAGED_LOGIN_URL": frontURL, "PORTAL_PASSWORD_AUTH": "true",
		// Webhooks: the sealing key from .local/, the sample receiver at
		// http://127.0.0.1 allowed, and the deliveries' queue.
		"WEBHOOK_KEY": whKey, "WEBHOOK_LOCAL": "true", "WEBHOOK_QUEUE_URL": s.Webhooks.Deliveries,
	}
	// Locally deliveries retry within seconds, not minutes (unless set).
	for k, v := range map[string]string{"WEBHOOK_RETRY_BASE": "1s", "WEBHOOK_RETRY_MAX": "10s", "WEBHOOK_HOLD": "2s"} {
		if o.Getenv(k) == "" {
			env[k] = v
		}
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
	s.Clients = Clients{AWS: awsCfg, DynamoDB: ddb, Cognito: cog, SES: ses}
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
		Config: cfg, Store: st, Identity: idp, Clients: cognito.NewClients(s.Clients.Cognito, poolID),
		Mail:  sesmail.New(s.Clients.SES, cfg.SenderEmail, ""),
		Queue: queue.SQS{API: sqs.NewFromConfig(awsCfg, func(so *sqs.Options) { so.BaseEndpoint = aws.String(s.Info.Queues.Endpoint) }), URL: s.Info.Queues.Imports},
		Log:   o.Log, Now: o.Now,
	}
	s.Sweeper = s.Env.Sweeper()
	s.Services = api.NewServices(s.Env)
	s.startConsumer(o)
	s.startWebhooks(o)
	s.portals = s.Services.Portals
	s.Handlers = map[string]httpapi.Handler{}
	for name, op := range api.Operations {
		s.Handlers[name] = api.Handler(name, op, s.Services)
	}
	site := console.Config{
		Mode: console.ModeLocal, APIURL: apiURL, Region: awsCfg.Region,
		UserPoolID: poolID, ClientID: clientID, CognitoEndpoint: frontURL,
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
	s.serve(l, gw, o.Log)

	// The sample portal: a customer's portal on an origin of its own, at
	// localhost (Cognito takes plain http there only).
	portalURL := "http://localhost:" + strconv.Itoa(s.portalL.Addr().(*net.TCPAddr).Port) + "/"
	sample, err := sampleportal.New(sampleportal.Options{
		URL: portalURL, Authority: issuer, APIURL: apiURL, Root: o.Root,
		ClientID: func(ctx context.Context) (string, bool) { return s.portalClient(ctx, portalURL) },
	})
	if err != nil {
		return err
	}
	s.serve(s.portalL, sample, o.Log)

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
	s.Info.Cognito.Endpoint, s.Info.Cognito.UserPoolID, s.Info.Cognito.ClientID = frontURL, poolID, clientID
	s.Info.Cognito.Emulator, s.Info.Cognito.Issuer = em.CognitoURL, issuer
	s.Info.ManagedLogin.URL, s.Info.SamplePortal.URL = frontURL, portalURL
	s.Info.SES.Endpoint = em.SESURL
	s.Info.Events.Bus = "http://" + s.busL.Addr().String()
	s.Info.Admin.Email, s.Info.Admin.Password = o.AdminEmail, password
	if o.EnrolAdmin {
		if err := s.enrolAdmin(ctx); err != nil {
			return fmt.Errorf("enrol the first admin: %w", err)
		}
	}
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
	if s.Stream != nil {
		s.Stream.Stop()
	}
	if s.Consumer != nil {
		s.Consumer.Stop()
	}
	s.Webhooks.stop()
	if s.sqsEm != nil {
		s.sqsEm.Stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	for _, srv := range s.servers {
		_ = srv.Shutdown(ctx)
	}
	cancel()
	for _, l := range []net.Listener{s.frontL, s.lambdaL, s.portalL, s.busL} {
		if l != nil {
			_ = l.Close() // those never served
		}
	}
	if s.emulators != nil {
		s.emulators.Stop()
	}
}

// portalClient is the app client of the portal setup at the sample
// portal's address, for its page; false while there is none. It looks
// through every customer: the local stack has few.
func (s *Stack) portalClient(ctx context.Context, url string) (string, bool) {
	var start state.PageKey
	for {
		page, err := s.Store.ListCustomers(ctx, 100, start)
		if err != nil {
			return "", false
		}
		for _, cu := range page.Items {
			_, ps, err := s.Store.CustomerWithPortals(ctx, cu.ID)
			if err != nil {
				continue
			}
			for _, p := range ps {
				if p.ClientID != "" && domain.DefaultRedirectURI(p.URL) == url {
					return p.ClientID, true
				}
			}
		}
		if page.Next == nil {
			return "", false
		}
		start = page.Next
	}
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

// BusName is the local event bus's name, as the stack's on AWS.
const BusName = "portal-access"

// startEvents serves the local bus and follows the table's stream with the
// publisher publish-events runs. Their SDK clients leave out the tests'
// APIOptions: the calls a request costs and the faults injected into it
// are the request's, not the stream's.
func (s *Stack) startEvents(ctx context.Context, o Options, dynamoURL string) error {
	var err error
	if s.busL, err = listen(0, "the event bus"); err != nil {
		return err
	}
	s.Bus = eventbus.New(BusName)
	s.serve(s.busL, s.Bus, o.Log)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	busURL := "http://" + s.busL.Addr().String()
	eb := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(busURL) })
	s.Stream = &streams.Poller{
		Table:     TableName,
		DynamoDB:  dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(dynamoURL) }),
		Streams:   dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(dynamoURL) }),
		Publisher: &pevents.Publisher{Log: o.Log, Bus: bridge.Bus{API: eb, BusName: BusName}},
		Log:       o.Log,
	}
	return s.Stream.Start(ctx)
}

// Published are the events published so far, oldest first, once what was
// committed before the call has reached the bus.
func (s *Stack) Published() []pevents.Event {
	s.Stream.Settle()
	var out []pevents.Event
	for _, e := range s.Bus.Events() {
		var ev pevents.Event
		if e.Source == pevents.Source && json.Unmarshal(e.Detail, &ev) == nil {
			out = append(out, ev)
		}
	}
	return out
}
