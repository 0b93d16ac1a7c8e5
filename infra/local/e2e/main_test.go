// Package e2e drives the product over HTTP through the local gateway,
// against the real emulators, as a web client would. Every response is
// validated against the OpenAPI document.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go/middleware"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/faults"
	"github.com/portalaccess/portalaccess/infra/local/stack"
	"github.com/portalaccess/portalaccess/infra/local/testkit"
	"github.com/portalaccess/portalaccess/shared/openapi"
)

var (
	st   *stack.Stack
	spec *openapi.Validator
	// clockOffset moves the handlers' clock forward for expiry tests.
	clockOffset atomic.Int64
	// logs holds every log line of the run, searched for secrets.
	logs lockedBuffer
	// faults records every AWS call of the stack, and fails the one armed.
	injector = faults.New()
)

func now() time.Time { return time.Now().Add(time.Duration(clockOffset.Load())) }

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	ctx := context.Background()
	var err error
	if spec, err = openapi.New(); err != nil {
		fmt.Fprintln(os.Stderr, "load the OpenAPI document:", err)
		return 1
	}
	// Limits high enough for the tests' own traffic; TestRateLimits lowers them.
	// Imports send at 200 a second and a message not deleted comes back
	// after 2 s; make import-10k may set IMPORT_SEND_RATE and
	// IMPORT_CONCURRENCY.
	env := map[string]string{"REINVITE_COOLDOWN": "2s", "INVITE_RATE_LIMIT": "1000000", "PUBLIC_RATE_LIMIT": "1000000",
		"IMPORT_SEND_RATE": "200", "IMPORT_VISIBILITY": "2s",
		// Webhooks retry after 1 s, at most 2 s apart, and pause after 6
		// failures in a row, however recent.
		"WEBHOOK_RETRY_BASE": "1s", "WEBHOOK_RETRY_MAX": "2s", "WEBHOOK_PAUSE_AFTER": "6", "WEBHOOK_PAUSE_SPAN": "0s"}
	for _, k := range []string{"IMPORT_SEND_RATE", "IMPORT_CONCURRENCY"} {
		if v := os.Getenv(k); v != "" {
			env[k] = v
		}
	}
	st, err = testkit.StartStack(ctx, env, stack.Options{
		Log:        slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:        now,
		APIOptions: []func(*middleware.Stack) error{injector.APIOption},
		MaxBackoff: 20 * time.Millisecond,
		EnrolAdmin: true,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Stop()
	remember(st.Info.Admin.Password)
	code := m.Run()
	// Nothing secret may reach the logs: no token, no password, no
	// invitation link of the whole run.
	if leaked := leakedSecrets(); len(leaked) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d secrets appear in the logs, e.g. %.12s…\n", len(leaked), leaked[0])
		return 1
	}
	fmt.Printf("logs: %d lines searched for %d tokens and passwords; none found\n", strings.Count(logs.String(), "\n"), countSecrets())
	return code
}

// secrets are every token and password the run handled.
var secrets sync.Map

func remember(s string) {
	if s != "" {
		secrets.Store(s, true)
	}
}

func countSecrets() int {
	n := 0
	secrets.Range(func(any, any) bool { n++; return true })
	return n
}

func leakedSecrets() []string {
	all := logs.String()
	var out []string
	secrets.Range(func(k, _ any) bool {
		if strings.Contains(all, k.(string)) {
			out = append(out, k.(string))
		}
		return true
	})
	return out
}

type lockedBuffer = testkit.LockedBuffer

// client calls the API as one signed-in person (or nobody).
type client struct {
	t     testing.TB
	token string
	// unlisted skips the OpenAPI check, for requests to routes the
	// document does not have (their answers are checked by the test).
	unlisted bool
	// faulty expects 5xx answers (fault injection).
	faulty bool
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

func (r *response) problem(t testing.TB) problem {
	t.Helper()
	var p problem
	r.json(t, &p)
	return p
}

type problem struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Errors []struct {
		Field string `json:"field"`
		Code  string `json:"code"`
	} `json:"errors"`
	RequestID string `json:"requestId"`
}

// call makes one request; body is JSON-encoded unless it is a string or
// []byte, sent as is. hdr are header name/value pairs.
func (c *client) call(method, path string, body any, hdr ...string) *response {
	c.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		raw, _ = json.Marshal(b)
	}
	req, err := http.NewRequest(method, st.Info.APIURL+path, bytes.NewReader(raw))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if strings.EqualFold(hdr[i], "Host") {
			req.Host = hdr[i+1]
			continue
		}
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 500 && !c.faulty {
		c.t.Errorf("%s %s answered %d: %s", method, path, res.StatusCode, out)
	}
	// Validate against the OpenAPI document (the request as the spec sees it).
	vreq, _ := http.NewRequest(method, st.Info.APIURL+path, bytes.NewReader(raw))
	vreq.Header = req.Header.Clone()
	if c.unlisted {
		return &response{Status: res.StatusCode, Header: res.Header, Body: out}
	}
	if err := spec.ValidateResponse(vreq, res, out); err != nil {
		c.t.Errorf("%s %s: the response does not match the OpenAPI document: %v\n%s", method, path, err, out)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: out}
}

// expect checks the status of a response.
func (c *client) expect(r *response, status int) *response {
	c.t.Helper()
	if r.Status != status {
		c.t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

func (c *client) get(path string, status int) *response {
	c.t.Helper()
	return c.expect(c.call("GET", path, nil), status)
}

func (c *client) post(path string, body any, status int, hdr ...string) *response {
	c.t.Helper()
	return c.expect(c.call("POST", path, body, hdr...), status)
}

// cognito is a plain client of the emulator, for signing in as a browser would.
func cognito() *cip.Client {
	return cip.NewFromConfig(st.Clients.AWS, func(o *cip.Options) { o.BaseEndpoint = aws.String(st.Info.Cognito.Endpoint) })
}

// signIn returns the access and ID tokens of an identity; an operator
// with an authenticator app gives its code, as they would.
func signIn(t testing.TB, email, password string) (access, id string) {
	t.Helper()
	res, err := st.SignIn(context.Background(), email, password)
	if err != nil {
		t.Fatalf("sign in as %s: %v", email, err)
	}
	access, id = aws.ToString(res.AccessToken), aws.ToString(res.IdToken)
	remember(access)
	remember(id)
	remember(aws.ToString(res.RefreshToken))
	return access, id
}

// operatorAdmin is the stack's first operator admin.
func operatorAdmin(t testing.TB) *client {
	t.Helper()
	token, _ := signIn(t, st.Info.Admin.Email, st.Info.Admin.Password)
	return &client{t: t, token: token}
}

func anonymous(t testing.TB) *client { return &client{t: t} }

// unique makes names and addresses that no other test uses.
var seq atomic.Int64

func unique(prefix string) string {
	return fmt.Sprintf("%s%d-%d", prefix, time.Now().UnixNano()%1_000_000, seq.Add(1))
}

func uniqueEmail(local string) string { return unique(local) + "@acme.example" }

// The SES emulator's mailbox.
type email = emulators.Email

func mailbox(t testing.TB) []email {
	t.Helper()
	mails, err := emulators.Mailbox(st.Info.SES.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return mails
}

// emailsTo lists the e-mails sent to an address, oldest first.
func emailsTo(t testing.TB, addr string) []email {
	t.Helper()
	return emulators.To(mailbox(t), addr)
}

var tokenInLink = regexp.MustCompile(`/accept-invitation#token=([A-Za-z0-9_-]{43})\b`)

// tokenOf reads the invitation token from an e-mail's link.
func tokenOf(t testing.TB, e email) string {
	t.Helper()
	m := tokenInLink.FindStringSubmatch(e.Body.Text)
	if m == nil {
		t.Fatalf("no invitation link in %q", e.Body.Text)
	}
	remember(m[1])
	return m[1]
}

// Resources as the tests read them.
type customer struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Locale string `json:"locale"`
}

type portal struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

type user = testkit.User

type page[T any] = testkit.Page[T]

func (c *client) newCustomer(locale string) customer {
	c.t.Helper()
	var cu customer
	c.post("/v1/customers", map[string]any{"name": unique("Acme "), "locale": locale}, 201).json(c.t, &cu)
	return cu
}

// addPortal adds a portal setup of that name and address to the customer.
func (c *client) addPortal(customerID, name, url string) portal {
	c.t.Helper()
	var p portal
	c.post("/v1/customers/"+customerID+"/portals", map[string]any{"name": name, "url": url}, 201).json(c.t, &p)
	return p
}

// addAddress adds a shipping address to the customer's profile and
// returns its path.
func (c *client) addAddress(customerID string) string {
	c.t.Helper()
	var a struct{ ID string }
	c.post("/v1/customers/"+customerID+"/addresses", map[string]any{"kind": "shipping", "lines": []string{"Havenstraat 12"}, "postalCode": "3011 AB",
		"city": "Rotterdam", "country": "NL"}, 201).json(c.t, &a)
	return "/v1/customers/" + customerID + "/addresses/" + a.ID
}

func (c *client) invite(customerID string, body map[string]any) user {
	c.t.Helper()
	var u user
	c.post("/v1/customers/"+customerID+"/users", body, 201).json(c.t, &u)
	return u
}

func (c *client) listUsers(customerID, query string) page[user] {
	c.t.Helper()
	var p page[user]
	c.get("/v1/customers/"+customerID+"/users"+query, 200).json(c.t, &p)
	return p
}

// all reads every item of a listing, page after page; path has a query
// string of its own.
func all[T any](c *client, path string) []T {
	c.t.Helper()
	var out []T
	q := path
	for {
		var p page[T]
		c.get(q, 200).json(c.t, &p)
		out = append(out, p.Items...)
		if p.NextCursor == nil {
			return out
		}
		q = path + "&cursor=" + *p.NextCursor
	}
}
