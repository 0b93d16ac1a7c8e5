package lambdarun_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portalaccess/portalaccess/infra/cdk/tableaccess"
	"github.com/portalaccess/portalaccess/infra/local/lambdarun"
	"github.com/portalaccess/portalaccess/shared/lambdafn/origin"
	"github.com/portalaccess/portalaccess/shared/store"
)

// originSecret is ORIGIN_SECRET as the stack generates it: 64 letters and digits.
const originSecret = "Zx9c0aYbW1vXu2TsR3qPo4NmL5kJi6HgF7eDc8BaZ9yXw0VuT1sRq2PoN3mLk4Ji"

// startWith runs a function's bootstrap with the stack's configuration and
// extra variables.
func startWith(t *testing.T, fn string, extra map[string]string) *lambdarun.Run {
	t.Helper()
	env := config()
	for k, v := range extra {
		env[k] = v
	}
	run, err := lambdarun.Start(context.Background(), filepath.Join(bins, fn, "bootstrap"), lambdarun.Env(fn, env))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(run.Stop)
	return run
}

func invoke(t *testing.T, run *lambdarun.Run, ev any) events.APIGatewayV2HTTPResponse {
	t.Helper()
	b, _ := json.Marshal(ev)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := run.Invoke(ctx, b)
	if err != nil || res.Error != nil {
		t.Fatalf("invoke: %v %s\n%s", err, res.Error, run.Output())
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		t.Fatalf("not an API Gateway response: %s", res.Payload)
	}
	return resp
}

// sample is a function's sample event pointed at fresh fixtures.
func sample(t *testing.T, fn string, f fixtures) events.APIGatewayV2HTTPRequest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "events", fn+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(point(t, raw, f, operatorCaller(t)), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func withHeaders(ev events.APIGatewayV2HTTPRequest, kv ...string) events.APIGatewayV2HTTPRequest {
	h := map[string]string{}
	for k, v := range ev.Headers {
		h[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		h[kv[i]] = kv[i+1]
	}
	ev.Headers = h
	return ev
}

// With the AWS configuration (ORIGIN_SECRET set), a function refuses an API
// Gateway event that did not come through the distribution, before its
// operation runs, and serves one that carries the secret. Both ways of
// starting a function are covered: lambdafn.Start (inspect-invitation) and
// public.Start (health).
func TestFunctionsRefuseEventsThatBypassTheDistribution(t *testing.T) {
	for _, fn := range []string{"inspect-invitation", "health"} {
		t.Run(fn, func(t *testing.T) {
			f := newFixtures(t)
			run := startWith(t, fn, map[string]string{"ORIGIN_SECRET": originSecret})
			for name, ev := range map[string]events.APIGatewayV2HTTPRequest{
				"no header":    sample(t, fn, f),
				"wrong secret": withHeaders(sample(t, fn, f), origin.Header, strings.Repeat("a", len(originSecret))),
			} {
				resp := invoke(t, run, ev)
				var p struct{ Code, RequestID string }
				_ = json.Unmarshal([]byte(resp.Body), &p)
				if resp.StatusCode != 403 || resp.Headers["Content-Type"] != "application/problem+json" || p.Code != origin.CodeRefused || p.RequestID == "" {
					t.Fatalf("%s: %d %v %s", name, resp.StatusCode, resp.Headers, resp.Body)
				}
			}
			// Each refusal is logged as such, with its code (the pipe that
			// carries the log may lag behind the answer a little).
			refusals := func() int { return strings.Count(run.Output(), `"code":"`+origin.CodeRefused+`"`) }
			for deadline := time.Now().Add(3 * time.Second); refusals() < 2 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			if got := refusals(); got != 2 {
				t.Fatalf("%d refusals logged, want 2:\n%s", got, run.Output())
			}
			resp := invoke(t, run, withHeaders(sample(t, fn, f), origin.Header, originSecret, origin.ViewerAddressHeader, "203.0.113.77"))
			if resp.StatusCode != 200 {
				t.Fatalf("with the secret: %d %s\n%s", resp.StatusCode, resp.Body, run.Output())
			}
			if strings.Contains(run.Output(), originSecret) {
				t.Fatal("the secret reached a log")
			}
		})
	}
}

// ddbCall is one DynamoDB call as IAM authorizes it: an action on an item
// whose partition key is pk (a transaction is one call per item).
type ddbCall struct{ action, pk string }

// checkingProxy stands between a function and DynamoDB Local and holds
// every call to the grants the CDK stack gives the function's role
// (dynamodb:LeadingKeys), as IAM would on AWS: a call they do not allow is
// recorded as a violation, and passed on all the same, so that one test run
// lists them all.
type checkingProxy struct {
	grants []tableaccess.Grant
	target string
	mu     sync.Mutex
	calls  []ddbCall
	denied []string
}

func (p *checkingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	calls, err := iamCalls(op, body)
	p.mu.Lock()
	if err != nil {
		p.denied = append(p.denied, err.Error())
	}
	for _, c := range calls {
		p.calls = append(p.calls, c)
		if !tableaccess.Allows(p.grants, c.action, c.pk) {
			p.denied = append(p.denied, c.action+" on "+c.pk)
		}
	}
	p.mu.Unlock()
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	req.Header = r.Header.Clone()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer res.Body.Close()
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	_, _ = io.Copy(w, res.Body)
}

type attr map[string]struct {
	S string `json:"S"`
}

var keyEquals = regexp.MustCompile(`(#\w+|\w+)\s*=\s*(:\w+)`)

// iamCalls turns one DynamoDB request into what IAM authorizes: its
// action (each item's, for a transaction) and the partition key it touches.
func iamCalls(op string, body []byte) ([]ddbCall, error) {
	var in struct {
		Key, Item                 attr
		IndexName                 string
		KeyConditionExpression    string
		ExpressionAttributeNames  map[string]string
		ExpressionAttributeValues attr
		RequestItems              map[string]struct{ Keys []attr }
		TransactItems             []map[string]struct{ Key, Item attr }
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("%s: unreadable request: %v", op, err)
	}
	pk := func(a attr) string { return a[store.AttrPK].S }
	switch op {
	case "GetItem", "UpdateItem", "DeleteItem":
		return []ddbCall{{"dynamodb:" + op, pk(in.Key)}}, nil
	case "PutItem":
		return []ddbCall{{"dynamodb:PutItem", pk(in.Item)}}, nil
	case "Query":
		if in.IndexName != "" {
			return nil, fmt.Errorf("Query on the index %s, which no grant names", in.IndexName)
		}
		for _, m := range keyEquals.FindAllStringSubmatch(in.KeyConditionExpression, -1) {
			name := m[1]
			if n, ok := in.ExpressionAttributeNames[name]; ok {
				name = n
			}
			if name == store.AttrPK {
				return []ddbCall{{"dynamodb:Query", in.ExpressionAttributeValues[m[2]].S}}, nil
			}
		}
		return nil, fmt.Errorf("Query without a partition key: %s", in.KeyConditionExpression)
	case "BatchGetItem":
		var out []ddbCall
		for _, t := range in.RequestItems {
			for _, k := range t.Keys {
				out = append(out, ddbCall{"dynamodb:BatchGetItem", pk(k)})
			}
		}
		return out, nil
	case "TransactWriteItems":
		var out []ddbCall
		for _, it := range in.TransactItems {
			for kind, x := range it {
				action := map[string]string{"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem", "ConditionCheck": "dynamodb:ConditionCheckItem"}[kind]
				key := x.Key
				if kind == "Put" {
					key = x.Item
				}
				out = append(out, ddbCall{action, pk(key)})
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s, which no grant allows", op)
}

// The public functions, run as Lambda runs them against DynamoDB Local,
// stay inside the partitions their roles are narrowed to on AWS: inspecting,
// a refused accept (its claim released), accepting a customer's invitation
// with a new identity, an operator's invitation, an admin's (the admin
// count), and an existing account's (no password). A change of the store
// that the grants in infra/cdk/tableaccess do not follow fails here, not
// on AWS.
func TestPublicFunctionsStayInTheirNarrowedPartitions(t *testing.T) {
	proxies := map[string]*checkingProxy{}
	runs := map[string]*lambdarun.Run{}
	for _, fn := range []string{"inspect-invitation", "accept-invitation", "me", "portal-access"} {
		p := &checkingProxy{grants: tableaccess.Narrowed[fn], target: st.Info.DynamoDB.Endpoint}
		srv := httptest.NewServer(p)
		t.Cleanup(srv.Close)
		proxies[fn] = p
		runs[fn] = startWith(t, fn, map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": srv.URL})
	}
	call := func(fn, body string, want int) {
		t.Helper()
		ev := sample(t, fn, fixtures{})
		ev.Body = body
		if resp := invoke(t, runs[fn], ev); resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d\n%s", fn, body, resp.StatusCode, resp.Body, want, runs[fn].Output())
		}
	}
	op := operatorCaller(t)
	invite := func(path, body string, params map[string]string) string {
		t.Helper()
		var addr struct{ Email string }
		_ = json.Unmarshal([]byte(body), &addr)
		res, err := st.Handlers[map[bool]string{true: "invite-operator", false: "invite-user"}[path == "/v1/operators"]](
			context.Background(), op.event("POST", path, body, params))
		if err != nil || res.StatusCode != 201 {
			t.Fatalf("invite %s: %d %s %v", body, res.StatusCode, res.Body, err)
		}
		return latestToken(t, addr.Email)
	}
	f := newFixtures(t)
	second := newFixtures(t) // another customer, for an existing account
	users := "/v1/customers/" + f.customer + "/users"
	n := time.Now().UnixNano()
	person := fmt.Sprintf("narrow%d@acme.example", n)
	tok := func(s string) string { return `{"token":"` + s + `"` }
	const password = `,"password":"correct horse battery staple"}`

	userToken := invite(users, `{"email":"`+person+`"}`, map[string]string{"customerId": f.customer})
	call("inspect-invitation", tok(userToken)+"}", 200)
	call("accept-invitation", tok(userToken)+`,"password":"short"}`, 400) // refused: the claim is released
	call("accept-invitation", tok(userToken)+password, 200)

	adminToken := invite(users, fmt.Sprintf(`{"email":"admin%d@acme.example","admin":true}`, n), map[string]string{"customerId": f.customer})
	call("accept-invitation", tok(adminToken)+password, 200)

	opToken := invite("/v1/operators", fmt.Sprintf(`{"email":"op%d@provider.example","role":"technician"}`, n), nil)
	call("inspect-invitation", tok(opToken)+"}", 200)
	call("accept-invitation", tok(opToken)+password, 200)

	// The person, now signing in, invited by a second customer.
	againToken := invite("/v1/customers/"+second.customer+"/users", `{"email":"`+person+`"}`, map[string]string{"customerId": second.customer})
	call("inspect-invitation", tok(againToken)+"}", 200)
	call("accept-invitation", tok(againToken)+"}", 200)

	// A portal user whose membership holds a role of the catalogue asks
	// who they are, through the portal's client: the customers' names and
	// the catalogue are read too.
	// A refused call from the portal's origin (a token that is no longer
	// good) is answered with the portal's CORS headers, read from the
	// table, so that the portal can read the refusal and sign in again.
	for _, fn := range []string{"me", "portal-access"} {
		ev := withHeaders(sample(t, fn, f), "authorization", "Bearer "+f.portalToken)
		if resp := invoke(t, runs[fn], ev); resp.StatusCode != 200 || !strings.Contains(resp.Body, "Portal managers") {
			t.Fatalf("%s: %d %s\n%s", fn, resp.StatusCode, resp.Body, runs[fn].Output())
		}
		ev = withHeaders(sample(t, fn, f), "authorization", "Bearer not-a-token", "origin", "https://desk.acme.example")
		if resp := invoke(t, runs[fn], ev); resp.StatusCode != 401 || resp.Headers["Access-Control-Allow-Origin"] != "https://desk.acme.example" {
			t.Fatalf("%s refused from the portal's origin: %d %v %s", fn, resp.StatusCode, resp.Headers, resp.Body)
		}
	}

	for fn, p := range proxies {
		p.mu.Lock()
		if len(p.calls) == 0 {
			t.Errorf("%s made no DynamoDB call through the proxy", fn)
		}
		sort.Strings(p.denied)
		for _, d := range p.denied {
			t.Errorf("%s would be refused on AWS: %s", fn, d)
		}
		// The grants these flows did not need cover rarer paths (an
		// identity relinked or disabled): listed, not failed.
		used := map[string]bool{}
		for _, c := range p.calls {
			for _, g := range p.grants {
				if tableaccess.Allows([]tableaccess.Grant{g}, c.action, c.pk) {
					used[g.Why] = true
				}
			}
		}
		for _, g := range p.grants {
			if !used[g.Why] {
				t.Logf("%s did not need its grant to %s (%v on %v) in these flows", fn, g.Why, g.Actions, g.Partitions)
			}
		}
		p.mu.Unlock()
	}
}
