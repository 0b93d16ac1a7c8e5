package lambdarun_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/portalaccess/portalaccess/infra/cdk/tableaccess"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/lambdarun"
	"github.com/portalaccess/portalaccess/infra/local/stack"
	"github.com/portalaccess/portalaccess/infra/local/testkit"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/routes"
)

var (
	st   *stack.Stack
	bins string
	root string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	ctx := context.Background()
	var err error
	if root, err = emulators.FindRoot(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	bins, err = os.MkdirTemp("", "bootstraps-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(bins)
	var names []string
	for _, r := range append(append([]routes.Route{}, routes.Table...), routes.Tasks...) {
		names = append(names, r.Function)
	}
	// Build while the emulators start.
	built := make(chan error, 1)
	go func() { built <- lambdarun.Build(ctx, root, bins, "", "", []string{"-tags", "lambda.norpc"}, names...) }()
	env := map[string]string{"REINVITE_COOLDOWN": "0s", "INVITE_RATE_LIMIT": "100000", "PUBLIC_RATE_LIMIT": "100000"}
	st, err = testkit.StartStack(ctx, env, stack.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), EnrolAdmin: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Stop()
	if err := <-built; err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// config is the environment of every function, as the CDK stack sets it,
// with the SDK's standard endpoint variables pointing at the emulators.
func config() map[string]string {
	c := st.Config
	return map[string]string{
		"TABLE_NAME": c.TableName, "USER_POOL_ID": c.UserPoolID, "APP_CLIENT_ID": c.AppClientID,
		"PORTAL_URL": c.PortalURL, "SENDER_EMAIL": c.SenderEmail, "CURSOR_SECRET": base64.StdEncoding.EncodeToString(c.CursorSecret),
		"REINVITE_COOLDOWN": "0s", "INVITE_RATE_LIMIT": "100000", "PUBLIC_RATE_LIMIT": "100000",
		"USER_POOL_ISSUER": c.Issuer, "MANAGED_LOGIN_URL": c.ManagedLoginURL, "PORTAL_PASSWORD_AUTH": "true",
		"AWS_ENDPOINT_URL_DYNAMODB":                  st.Info.DynamoDB.Endpoint,
		"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": st.Info.Cognito.Endpoint,
		"AWS_ENDPOINT_URL_SESV2":                     st.Info.SES.Endpoint,
		// Events: the local bus stands in for EventBridge.
		"EVENT_BUS_NAME": stack.BusName, "AWS_ENDPOINT_URL_EVENTBRIDGE": st.Info.Events.Bus,
		// The imports' queue, in the SQS emulator.
		"IMPORT_QUEUE_URL": st.Info.Queues.Imports, "AWS_ENDPOINT_URL_SQS": st.Info.Queues.Endpoint,
		// Webhooks: the stack's sealing key and deliveries queue.
		"WEBHOOK_KEY": st.WebhookKey, "WEBHOOK_QUEUE_URL": st.Info.Queues.WebhookDeliveries,
	}
}

// fixtures are real resources the sample events are pointed at, so that
// each function does its real work against the emulators.
type fixtures struct {
	customer, user, operator, token string
	// portal is a setup of the customer; its linked user signs in through
	// it (portalToken) and the operator admin through the console
	// (consoleToken), for the routes that check their token themselves.
	portal, portalToken, consoleToken string
	// address and agreement are the customer's; job offboards another.
	address, agreement, job string
	// imp is a finished import of the customer.
	imp string
	// role is a role of the customer's catalogue.
	role string
	// webhook is a subscription of the customer.
	webhook string
}

func newFixtures(t *testing.T) fixtures {
	t.Helper()
	ctx := context.Background()
	op := operatorCaller(t)
	call := func(fn string, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
		res, err := st.Handlers[fn](ctx, ev)
		if err != nil || res.StatusCode >= 300 {
			t.Fatalf("%s: %d %s %v", fn, res.StatusCode, res.Body, err)
		}
		return res
	}
	id := func(body string) string {
		var v struct{ ID string }
		_ = json.Unmarshal([]byte(body), &v)
		return v.ID
	}
	var f fixtures
	f.customer = id(call("create-customer", op.event("POST", "/v1/customers", `{"name":"Lambda"}`, nil)).Body)
	email := fmt.Sprintf("lr%d@acme.example", time.Now().UnixNano())
	f.user = id(call("invite-user", op.event("POST", "/v1/customers/"+f.customer+"/users", `{"email":"`+email+`"}`,
		map[string]string{"customerId": f.customer})).Body)
	f.operator = id(call("invite-operator", op.event("POST", "/v1/operators", `{"email":"o`+email+`","role":"technician"}`, nil)).Body)
	f.token = latestToken(t, email)

	var p struct {
		ID     string
		SignIn struct{ ClientID string }
	}
	_ = json.Unmarshal([]byte(call("create-portal", op.event("POST", "/v1/customers/"+f.customer+"/portals",
		`{"name":"Desk","url":"https://desk.acme.example/"}`, map[string]string{"customerId": f.customer})).Body), &p)
	f.portal = p.ID
	linked := "p" + email
	cp := map[string]string{"customerId": f.customer}
	// The role the invite and update samples give: members' roles come
	// from the catalogue. The linked user holds it too.
	call("create-role", op.event("POST", "/v1/customers/"+f.customer+"/roles", `{"name":"Portal managers"}`, cp))
	call("invite-user", op.event("POST", "/v1/customers/"+f.customer+"/users", `{"email":"`+linked+`","portalIds":["`+p.ID+`"],"roles":["Portal managers"]}`, cp))
	call("accept-invitation", op.event("POST", "/v1/invitations/accept", `{"token":"`+latestToken(t, linked)+`","password":"`+password+`"}`, nil))
	f.portalToken = signIn(t, p.SignIn.ClientID, linked, password)
	f.consoleToken = signIn(t, st.Config.AppClientID, st.Info.Admin.Email, st.Info.Admin.Password)
	f.address = id(call("create-address", op.event("POST", "/v1/customers/"+f.customer+"/addresses",
		`{"kind":"legal","lines":["Coolsingel 1"],"postalCode":"3011 AD","city":"Rotterdam","country":"NL"}`, cp)).Body)
	f.agreement = id(call("create-service-agreement", op.event("POST", "/v1/customers/"+f.customer+"/service-agreements",
		`{"name":"Maintenance","reference":"SLA-1","startsOn":"2026-01-01","endsOn":"2026-12-31"}`, cp)).Body)
	f.role = id(call("create-role", op.event("POST", "/v1/customers/"+f.customer+"/roles", `{"name":"Fixture role"}`, cp)).Body)
	gone := id(call("create-customer", op.event("POST", "/v1/customers", `{"name":"Leaving"}`, nil)).Body)
	var accepted struct{ Job struct{ ID string } }
	_ = json.Unmarshal([]byte(call("delete-customer", op.event("DELETE", "/v1/customers/"+gone, "", map[string]string{"customerId": gone})).Body), &accepted)
	f.job = accepted.Job.ID
	// An import of one invalid row: finished at once, its outcomes ready.
	imp := op.event("POST", "/v1/customers/"+f.customer+"/imports", "email\nnot an address\n", cp)
	imp.Headers["content-type"] = "text/csv"
	f.imp = id(call("create-import", imp).Body)
	f.webhook = id(call("create-webhook", op.event("POST", "/v1/customers/"+f.customer+"/webhooks",
		`{"url":"https://hooks.acme.example/lambda","eventTypes":["customer.offboarded"]}`, cp)).Body)
	return f
}

const password = "correct horse battery staple"

// signIn signs in through an app client with a password.
func signIn(t *testing.T, clientID, email, pw string) string {
	t.Helper()
	// An enrolled operator gives their authenticator app's code (Stack.SignInAt).
	out, err := st.SignInAt(context.Background(), clientID, email, pw)
	if err != nil {
		t.Fatalf("sign in as %s: %v", email, err)
	}
	return aws.ToString(out.AccessToken)
}

type caller struct{ claims map[string]string }

func operatorCaller(t *testing.T) caller {
	t.Helper()
	m, err := st.Store.MemberByEmail(context.Background(), domain.ProviderScope, st.Info.Admin.Email)
	if err != nil {
		t.Fatal(err)
	}
	return caller{claims: map[string]string{
		"sub": m.Sub, "token_use": "access", "client_id": st.Config.AppClientID,
		"exp": strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10),
	}}
}

func (c caller) event(method, path, body string, params map[string]string) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{RawPath: path, Body: body, PathParameters: params,
		Headers: map[string]string{"content-type": "application/json"}}
	ev.RequestContext.HTTP.Method = method
	ev.RequestContext.RequestID = "fixture"
	ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: c.claims}}
	return ev
}

var tokenInLink = regexp.MustCompile(`accept-invitation#token=([A-Za-z0-9_-]{43})`)

func latestToken(t *testing.T, addr string) string {
	t.Helper()
	mails, err := emulators.Mailbox(st.Info.SES.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	token := ""
	for _, e := range emulators.To(mails, addr) {
		if m := tokenInLink.FindStringSubmatch(e.Body.Text); m != nil {
			token = m[1]
		}
	}
	if token == "" {
		t.Fatalf("no invitation to %s", addr)
	}
	return token
}

// point rewrites a sample event to the fixtures and the operator's claims.
func point(t *testing.T, raw []byte, f fixtures, op caller) []byte {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{"customerId": f.customer, "userId": f.user, "operatorId": f.operator, "portalId": f.portal,
		"addressId": f.address, "agreementId": f.agreement, "jobId": f.job, "roleId": f.role, "importId": f.imp,
		"webhookId": f.webhook}
	for k := range ev.PathParameters {
		if _, ok := ids[k]; !ok {
			continue // {proxy+}: the path as it is
		}
		old := ev.PathParameters[k]
		ev.PathParameters[k] = ids[k]
		ev.RawPath = strings.ReplaceAll(ev.RawPath, old, ids[k])
		ev.RequestContext.HTTP.Path = ev.RawPath
	}
	if ev.RequestContext.Authorizer != nil {
		ev.RequestContext.Authorizer.JWT.Claims = op.claims
	}
	// The routes that check their token themselves get a real one.
	switch ev.RouteKey {
	case "GET /v1/portal-access":
		ev.Headers["authorization"] = "Bearer " + f.portalToken
	case "GET /v1/me":
		ev.Headers["authorization"] = "Bearer " + f.consoleToken
	}
	ev.Body = strings.ReplaceAll(ev.Body, "usr_bbbbbbbbbbbbbbbbbbbbbbbbbb", f.user) // a selection of users
	if strings.Contains(ev.Body, `"token"`) {
		var b map[string]any
		_ = json.Unmarshal([]byte(ev.Body), &b)
		b["token"] = f.token
		nb, _ := json.Marshal(b)
		ev.Body = string(nb)
	}
	if ev.Headers["idempotency-key"] != "" {
		ev.Headers["idempotency-key"] = fmt.Sprint("lambda-", time.Now().UnixNano())
	}
	out, _ := json.Marshal(ev)
	return out
}

// What each function answers to its sample, pointed at fresh fixtures.
var want = map[string]int{
	"health": 200, "me": 200, "list-customers": 200, "create-customer": 201, "get-customer": 200,
	"list-portals": 200, "create-portal": 201, "list-audit-events": 200,
	"list-users": 200, "invite-user": 201, "bulk-invite-users": 200, "act-on-users": 200, "get-user": 200, "update-user": 200,
	"enable-user": 409, "disable-user": 409, // the fixture user is unconfirmed
	"reinvite-user": 200, "delete-user": 204,
	"list-operators": 200, "invite-operator": 201, "get-operator": 200, "update-operator": 200,
	"enable-operator": 409, "disable-operator": 409, "reinvite-operator": 200, "delete-operator": 204,
	"inspect-invitation": 200, "accept-invitation": 200,
	"portal-access": 200, "portal-preflight": 204, "update-portal": 200, "delete-portal": 204, "list-portal-users": 200,
	// The organization profile, a customer's life time, the provider's trail.
	"list-addresses": 200, "create-address": 201, "update-address": 200, "delete-address": 204,
	"list-service-agreements": 200, "create-service-agreement": 201, "update-service-agreement": 200, "delete-service-agreement": 204,
	"update-customer": 200, "delete-customer": 202, "get-job": 200, "list-provider-audit-events": 200,
	// The operators' second factor: the admin is enrolled (enrolling again
	// changes nothing); the fixture operator is unconfirmed (nothing to reset).
	"enrol-mfa": 200, "reset-operator-mfa": 200,
	// The role catalogue (issue 14, part B).
	"list-roles": 200, "create-role": 201, "update-role": 200, "delete-role": 204,
	// Imports (issue 17): the sample is a dry run.
	"create-import": 200, "get-import": 200, "get-import-outcomes": 200,
	// Webhook subscriptions (issue 16): the samples act on the fixture's.
	"list-webhooks": 200, "create-webhook": 201, "get-webhook": 200, "update-webhook": 200, "delete-webhook": 204,
	"rotate-webhook-secret": 200, "list-webhook-deliveries": 200,
}

// Every function's built bootstrap runs under the Lambda Runtime API with
// its sample event, against the emulators: the thin mains are tested, not
// only the handlers.
func TestEveryFunctionRunsAsALambda(t *testing.T) {
	op := operatorCaller(t)
	var mu sync.Mutex
	inits := map[string]time.Duration{}
	for _, rt := range append(append([]routes.Route{}, routes.Table...), routes.Tasks...) {
		t.Run(rt.Function, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(root, "events", rt.Function+".json"))
			if err != nil {
				t.Fatal(err)
			}
			payload := raw
			var bounced domain.Member
			var cfn *httptest.Server
			cfnStatus := make(chan string, 1)
			switch {
			case rt.Trigger == routes.TriggerDeploy:
				// The custom resource answers CloudFormation at its ResponseURL.
				cfn = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var resp struct{ Status, Reason string }
					_ = json.NewDecoder(r.Body).Decode(&resp)
					cfnStatus <- resp.Status + " " + resp.Reason
				}))
				defer cfn.Close()
				var ev map[string]any
				_ = json.Unmarshal(raw, &ev)
				ev["ResponseURL"] = cfn.URL + "/response"
				ev["ResourceProperties"].(map[string]any)["AdminEmail"] = fmt.Sprintf("first%d@provider.example", time.Now().UnixNano())
				payload, _ = json.Marshal(ev)
			case rt.Method != "":
				payload = point(t, raw, newFixtures(t), op)
			case rt.Trigger == routes.TriggerCognito:
				// The code of a reset asked for through the fixture portal's
				// client, by its linked user, of a Dutch customer.
				payload = customMessageEvent(t, raw, op)
			case rt.Trigger == routes.TriggerMailEvents:
				// A hard bounce of the fixture user's invitation.
				payload, bounced = mailFeedbackEvent(t, raw, op)
			}
			publishedBefore := published("evt_example1")
			// A function whose table access is narrowed on AWS reaches
			// DynamoDB through a proxy that holds each call to its grants.
			env := config()
			if rt.Trigger != "" {
				delete(env, "CURSOR_SECRET") // the tasks page nothing: the stack gives them none
			}
			var narrow *checkingProxy
			if grants, ok := tableaccess.Narrowed[rt.Function]; ok {
				narrow = &checkingProxy{grants: grants, target: st.Info.DynamoDB.Endpoint}
				srv := httptest.NewServer(narrow)
				defer srv.Close()
				env["AWS_ENDPOINT_URL_DYNAMODB"] = srv.URL
			}
			run, err := lambdarun.Start(context.Background(), filepath.Join(bins, rt.Function, "bootstrap"), lambdarun.Env(rt.Function, env))
			if err != nil {
				t.Fatal(err)
			}
			defer run.Stop()
			mu.Lock()
			inits[rt.Function] = run.Init
			mu.Unlock()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := run.Invoke(ctx, payload)
			if err != nil {
				t.Fatal(err)
			}
			if res.Error != nil {
				t.Fatalf("the function reported an error: %s\n%s", res.Error, run.Output())
			}
			switch {
			case rt.Trigger == routes.TriggerSchedule:
				var rep struct {
					Failed *int `json:"failed"`
				}
				if err := json.Unmarshal(res.Payload, &rep); err != nil || rep.Failed == nil || *rep.Failed != 0 {
					t.Fatalf("sweep report %s", res.Payload)
				}
			case rt.Trigger == routes.TriggerCognito:
				var ev events.CognitoEventUserPoolsCustomMessage
				if err := json.Unmarshal(res.Payload, &ev); err != nil {
					t.Fatalf("not a custom message answer: %s", res.Payload)
				}
				if !strings.Contains(ev.Response.EmailMessage, "{####}") || !strings.Contains(ev.Response.EmailSubject, "wachtwoord") ||
					!strings.Contains(ev.Response.EmailMessage, "Nederland BV") {
					t.Fatalf("the reset e-mail: %q %q", ev.Response.EmailSubject, ev.Response.EmailMessage)
				}
			case rt.Trigger == routes.TriggerMailEvents:
				m, err := st.Store.Member(ctx, bounced.Scope(), bounced.ID)
				if err != nil || m.Invitation == nil || m.Invitation.Delivery != domain.DeliveryBounced || !m.Invitation.Undeliverable {
					t.Fatalf("after a bounce event: %+v %v\n%s", m.Invitation, err, run.Output())
				}
			case rt.Trigger == routes.TriggerStream:
				// The sample batch's audit item is on the bus, once more.
				var resp events.DynamoDBEventResponse
				if err := json.Unmarshal(res.Payload, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
					t.Fatalf("stream batch answer %s\n%s", res.Payload, run.Output())
				}
				if got := published("evt_example1"); got != publishedBefore+1 {
					t.Fatalf("the bus has the sample's event %d times, want %d\n%s", got, publishedBefore+1, run.Output())
				}
			case rt.Trigger == routes.TriggerQueue:
				// The sample names an import that is not (or no longer)
				// there: done, nothing to deliver again.
				var resp events.SQSEventResponse
				if err := json.Unmarshal(res.Payload, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
					t.Fatalf("queue batch answer %s\n%s", res.Payload, run.Output())
				}
			case rt.Trigger == routes.TriggerDeploy:
				if got := <-cfnStatus; !strings.HasPrefix(got, "SUCCESS") {
					t.Fatalf("CloudFormation was told %q\n%s", got, run.Output())
				}
			default:
				var resp events.APIGatewayV2HTTPResponse
				if err := json.Unmarshal(res.Payload, &resp); err != nil {
					t.Fatalf("not an API Gateway response: %s", res.Payload)
				}
				if resp.StatusCode != want[rt.Function] {
					t.Fatalf("status %d, want %d: %s\n%s", resp.StatusCode, want[rt.Function], resp.Body, run.Output())
				}
				if ct := resp.Headers["Content-Type"]; resp.StatusCode != 204 && !strings.HasPrefix(ct, "application/") && !(rt.Function == "get-import-outcomes" && strings.HasPrefix(ct, "text/csv")) {
					t.Fatalf("content type %q", ct)
				}
			}
			if narrow != nil {
				narrow.mu.Lock()
				for _, d := range narrow.denied {
					t.Errorf("would be refused on AWS: %s", d)
				}
				narrow.mu.Unlock()
			}
			// The function logs JSON, one object a line, each key once, so
			// that Logs Insights reads them: Lambda's request id as
			// requestId, API Gateway's as apiRequestId.
			// The log line is written as the answer goes out; the pipe that
			// carries it may lag behind the answer a little.
			output := run.Output()
			for deadline := time.Now().Add(3 * time.Second); rt.Method != "" && !strings.Contains(output, `"function":`) && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
				output = run.Output()
			}
			requestLines := 0
			for _, line := range strings.Split(strings.TrimSpace(output), "\n") {
				if line == "" || !strings.HasPrefix(line, "{") {
					continue
				}
				if !json.Valid([]byte(line)) {
					t.Fatalf("a log line is not JSON: %s", line)
				}
				if dup := duplicateKeys(line); len(dup) > 0 {
					t.Fatalf("a log line repeats %v: %s", dup, line)
				}
				var fields map[string]any
				_ = json.Unmarshal([]byte(line), &fields)
				if _, ok := fields["function"]; !ok || rt.Method == "" {
					continue
				}
				requestLines++
				if fields["requestId"] == "" || fields["requestId"] == nil || fields["apiRequestId"] == nil || fields["requestId"] == fields["apiRequestId"] {
					t.Fatalf("the request's log line must carry Lambda's requestId and API Gateway's apiRequestId, each its own: %s", line)
				}
			}
			if rt.Method != "" && rt.Function != "health" && requestLines != 1 {
				t.Fatalf("%d request log lines, want 1:\n%s", requestLines, output)
			}
		})
	}
	var total time.Duration
	for _, d := range inits {
		total += d
	}
	if len(inits) > 0 {
		t.Logf("%d functions ran under the Runtime API; mean init %s", len(inits), (total / time.Duration(len(inits))).Round(100*time.Microsecond))
	}
}

// mailFeedbackEvent points the bounce sample at a new invitee's e-mail.
func mailFeedbackEvent(t *testing.T, raw []byte, op caller) ([]byte, domain.Member) {
	t.Helper()
	f := newFixtures(t)
	m, err := st.Store.Member(context.Background(), domain.CustomerScope(f.customer), f.user)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	d := ev["detail"].(map[string]any)
	d["mail"].(map[string]any)["tags"] = map[string][]string{"ses:configuration-set": {"portal-access"}, "member": {m.ID}, "scope": {m.CustomerID}}
	d["mail"].(map[string]any)["destination"] = []string{m.Email}
	d["bounce"].(map[string]any)["bouncedRecipients"].([]any)[0].(map[string]any)["emailAddress"] = m.Email
	out, _ := json.Marshal(ev)
	return out, m
}

// customMessageEvent points the custom message sample at a linked user of
// a portal of a Dutch customer, asking through the portal's client.
func customMessageEvent(t *testing.T, raw []byte, op caller) []byte {
	t.Helper()
	ctx := context.Background()
	call := func(fn string, ev events.APIGatewayV2HTTPRequest) string {
		res, err := st.Handlers[fn](ctx, ev)
		if err != nil || res.StatusCode >= 300 {
			t.Fatalf("%s: %d %s %v", fn, res.StatusCode, res.Body, err)
		}
		return res.Body
	}
	var cu, p struct {
		ID     string
		SignIn struct{ ClientID string }
	}
	_ = json.Unmarshal([]byte(call("create-customer", op.event("POST", "/v1/customers", `{"name":"Nederland BV","locale":"nl"}`, nil))), &cu)
	_ = json.Unmarshal([]byte(call("create-portal", op.event("POST", "/v1/customers/"+cu.ID+"/portals",
		`{"name":"Loket","url":"https://loket.example/"}`, map[string]string{"customerId": cu.ID}))), &p)
	email := fmt.Sprintf("cm%d@nl.example", time.Now().UnixNano())
	call("invite-user", op.event("POST", "/v1/customers/"+cu.ID+"/users", `{"email":"`+email+`","portalIds":["`+p.ID+`"]}`,
		map[string]string{"customerId": cu.ID}))
	call("accept-invitation", op.event("POST", "/v1/invitations/accept", `{"token":"`+latestToken(t, email)+`","password":"`+password+`"}`, nil))
	m, err := st.Store.MemberByEmail(ctx, domain.CustomerScope(cu.ID), email)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.CognitoEventUserPoolsCustomMessage
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev.UserPoolID, ev.UserName, ev.CallerContext.ClientID = st.Config.UserPoolID, m.Sub, p.SignIn.ClientID
	ev.Request.UserAttributes = map[string]any{"sub": m.Sub, "email": email, "email_verified": "true"}
	out, _ := json.Marshal(ev)
	return out
}

// duplicateKeys lists the keys that appear more than once in one JSON
// object of a line (encoding/json keeps the last and says nothing).
func duplicateKeys(line string) []string {
	dec := json.NewDecoder(strings.NewReader(line))
	var dups []string
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := k.(string)
				if seen[key] {
					dups = append(dups, key)
				}
				seen[key] = true
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	_ = walk()
	return dups
}

// published counts the events on the local bus whose detail has the id.
func published(id string) int {
	n := 0
	for _, e := range st.Bus.Events() {
		var d struct{ ID string }
		if json.Unmarshal(e.Detail, &d) == nil && d.ID == id {
			n++
		}
	}
	return n
}
