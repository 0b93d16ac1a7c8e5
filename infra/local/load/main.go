// Command load is `make load`: a bounded run of mixed traffic through the
// local gateway, on loopback only, against a stack of its own, with the
// sweep running alongside as the schedule runs it. Every operation a
// provider's day brings is in the mix: the operators' reads and changes,
// invitations accepted, portal users signing in to a portal and asking for
// their access, the organization profile, offboarded customers' jobs. It
// prints per operation the requests, p50/p90/p99, the errors (any answer
// other than the one the request expects; there must be none) and the AWS
// calls one request of it makes (counted by infra/local/faults, one request
// at a time after the run).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/faults"
	"github.com/portalaccess/portalaccess/infra/local/stack"
)

func main() {
	n := flag.Int("requests", 3000, "how many requests to send")
	workers := flag.Int("workers", 16, "how many at once")
	limit := flag.Duration("max", 2*time.Minute, "stop after this long whatever the count")
	flag.Parse()
	if err := run(*n, *workers, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

type loader struct {
	api   string
	token string
	http  *http.Client
}

type result struct {
	op      string
	latency time.Duration
	ok      bool
	detail  string
}

func (l *loader) as(token string) *loader { return &loader{api: l.api, token: token, http: l.http} }

func (l *loader) do(method, path string, body any, want ...int) (int, []byte, time.Duration, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, l.api+path, r)
	if l.token != "" {
		req.Header.Set("Authorization", "Bearer "+l.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	res, err := l.http.Do(req)
	took := time.Since(start)
	if err != nil {
		return 0, nil, took, err
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	for _, w := range want {
		if res.StatusCode == w {
			return res.StatusCode, out, took, nil
		}
	}
	return res.StatusCode, out, took, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, strings.TrimSpace(string(out)))
}

const password = "correct horse battery staple"

var tokenInLink = regexp.MustCompile(`/accept-invitation#token=([A-Za-z0-9_-]{43})\b`)

// pool hands out ids so that no two workers change the same thing at once.
type pool struct{ ch chan string }

func newPool() *pool          { return &pool{ch: make(chan string, 100000)} }
func (p *pool) put(id string) { p.ch <- id }
func (p *pool) take() (string, bool) {
	select {
	case id := <-p.ch:
		return id, true
	default:
		return "", false
	}
}

type cust struct {
	id        string
	users     []string // unconfirmed, from the bulk invite
	enabled   *pool    // accepted members, enabled
	disabled  *pool    // accepted members, disabled
	addresses *pool
}

func run(total, workers int, limit time.Duration) error {
	ctx := context.Background()
	fmt.Println("Starting a local stack of its own (emulators on free loopback ports)…")
	env := map[string]string{"INVITE_RATE_LIMIT": "1000000", "PUBLIC_RATE_LIMIT": "1000000", "REINVITE_COOLDOWN": "0s"}
	calls := faults.New()
	st, err := stack.Start(ctx, stack.Options{
		Getenv:     func(k string) string { return env[k] },
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		APIOptions: []func(*middleware.Stack) error{calls.APIOption},
		// The admin signs in with an authenticator app's code (Stack.SignIn).
		EnrolAdmin: true,
	})
	if err != nil {
		return err
	}
	defer st.Stop()
	signIn := func(clientID, email, pw string) (string, error) {
		auth, err := st.SignInAt(ctx, clientID, email, pw)
		if err != nil {
			return "", fmt.Errorf("sign-in of %s: %w", email, err)
		}
		return aws.ToString(auth.AccessToken), nil
	}
	tok, err := signIn(st.Info.Cognito.ClientID, st.Info.Admin.Email, st.Info.Admin.Password)
	if err != nil {
		return err
	}
	l := &loader{api: st.Info.APIURL, token: tok,
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers * 2}, Timeout: 30 * time.Second}}
	anon := l.as("")
	var mailMu sync.Mutex
	tokenFor := func(addr string) (string, error) {
		mailMu.Lock() // one read of the whole mailbox at a time
		defer mailMu.Unlock()
		mails, err := emulators.Mailbox(st.Info.SES.Endpoint)
		if err != nil {
			return "", err
		}
		to := emulators.To(mails, addr)
		if len(to) == 0 {
			return "", fmt.Errorf("no e-mail to %s", addr)
		}
		m := tokenInLink.FindStringSubmatch(to[len(to)-1].Body.Text)
		if m == nil {
			return "", fmt.Errorf("no invitation link to %s", addr)
		}
		return m[1], nil
	}
	// mark starts the count of AWS calls afresh, just before the request an
	// operation measures (after the invitation an accept or a delete needs).
	var probing atomic.Bool
	mark := func() {
		if probing.Load() {
			calls.Record()
		}
	}
	var seq atomic.Int64
	uniq := func(prefix string) string {
		return fmt.Sprintf("%s%d-%d@load.example", prefix, time.Now().UnixNano()%1e9, seq.Add(1))
	}
	// invite invites a fresh user and answers its id and e-mail.
	invite := func(c *cust, extra map[string]any) (string, string, time.Duration, error) {
		addr := uniq("in")
		body := map[string]any{"email": addr}
		for k, v := range extra {
			body[k] = v
		}
		_, out, took, err := l.do("POST", "/v1/customers/"+c.id+"/users", body, 201)
		var u struct{ ID string }
		_ = json.Unmarshal(out, &u)
		return u.ID, addr, took, err
	}
	acceptNew := func(c *cust, extra map[string]any) (string, string, time.Duration, error) {
		id, addr, _, err := invite(c, extra)
		if err != nil {
			return "", "", 0, err
		}
		t, err := tokenFor(addr)
		if err != nil {
			return "", "", 0, err
		}
		mark()
		_, _, took, err := anon.do("POST", "/v1/invitations/accept", map[string]any{"token": t, "password": password}, 200)
		return id, addr, took, err
	}

	// Seed: customers with users in every state, a portal each with
	// portal users signed in through it, addresses, and offboarded
	// customers whose jobs the sweep works on.
	var customers []*cust
	var portalUsers []*loader
	for i := range 5 {
		_, body, _, err := l.do("POST", "/v1/customers", map[string]any{"name": fmt.Sprintf("Load %d", i)}, 201)
		if err != nil {
			return err
		}
		var cr struct{ ID string }
		_ = json.Unmarshal(body, &cr)
		c := &cust{id: cr.ID, enabled: newPool(), disabled: newPool(), addresses: newPool()}
		emails := make([]string, 50)
		for k := range emails {
			emails[k] = fmt.Sprintf("seed%d-%d@load.example", i, k)
		}
		_, body, _, err = l.do("POST", "/v1/customers/"+c.id+"/users/bulk", map[string]any{"emails": emails}, 200)
		if err != nil {
			return err
		}
		var b struct {
			Results []struct{ User *struct{ ID string } }
		}
		_ = json.Unmarshal(body, &b)
		for _, r := range b.Results {
			if r.User != nil {
				c.users = append(c.users, r.User.ID)
			}
		}
		for r := range 5 { // the roles "update user" gives: members' roles come from the catalogue
			if _, _, _, err := l.do("POST", "/v1/customers/"+c.id+"/roles", map[string]any{"name": fmt.Sprint("R", r)}, 201); err != nil {
				return err
			}
		}
		_, body, _, err = l.do("POST", "/v1/customers/"+c.id+"/portals", map[string]any{"name": fmt.Sprintf("Desk %d", i), "url": fmt.Sprintf("https://desk%d.load.example/", i)}, 201)
		if err != nil {
			return err
		}
		var ps struct {
			ID     string
			SignIn struct{ ClientID *string } `json:"signIn"`
		}
		_ = json.Unmarshal(body, &ps)
		for range 2 {
			_, addr, _, err := acceptNew(c, map[string]any{"portalIds": []string{ps.ID}})
			if err != nil {
				return err
			}
			t, err := signIn(aws.ToString(ps.SignIn.ClientID), addr, password)
			if err != nil {
				return err
			}
			portalUsers = append(portalUsers, l.as(t))
		}
		for range 6 {
			id, _, _, err := acceptNew(c, nil)
			if err != nil {
				return err
			}
			c.enabled.put(id)
		}
		for range 3 {
			_, body, _, err := l.do("POST", "/v1/customers/"+c.id+"/addresses", map[string]any{"kind": "shipping", "lines": []string{"Havenstraat 12"},
				"postalCode": "3011 AB", "city": "Rotterdam", "country": "NL"}, 201)
			if err != nil {
				return err
			}
			var a struct{ ID string }
			_ = json.Unmarshal(body, &a)
			c.addresses.put(a.ID)
		}
		customers = append(customers, c)
	}
	var jobs []string
	for i := range 3 {
		_, body, _, err := l.do("POST", "/v1/customers", map[string]any{"name": fmt.Sprintf("Leaving %d", i)}, 201)
		if err != nil {
			return err
		}
		var cr struct{ ID string }
		_ = json.Unmarshal(body, &cr)
		if _, _, _, err := l.do("POST", "/v1/customers/"+cr.ID+"/users/bulk", map[string]any{"emails": []string{uniq("gone"), uniq("gone")}}, 200); err != nil {
			return err
		}
		_, body, _, err = l.do("DELETE", "/v1/customers/"+cr.ID, nil, 202)
		if err != nil {
			return err
		}
		var j struct{ Job struct{ ID string } }
		_ = json.Unmarshal(body, &j)
		jobs = append(jobs, j.Job.ID)
	}
	fmt.Printf("Seeded %d customers (%d invited, 6 accepted, a portal with 2 portal users, 3 addresses each) and %d offboardings; sending %d requests from %d workers, the sweep every 2 s…\n",
		len(customers), len(customers[0].users), len(jobs), total, workers)

	// The operations, by weight: what a provider's day looks like.
	type operation struct {
		name   string
		weight int
		do     func(i int64) (time.Duration, error)
	}
	pick := func() *cust { return customers[rand.IntN(len(customers))] }
	get := func(path string) func(int64) (time.Duration, error) {
		return func(int64) (time.Duration, error) { _, _, t, err := l.do("GET", path, nil, 200); return t, err }
	}
	inCustomer := func(method, suffix string, body func(int64) any, want ...int) func(int64) (time.Duration, error) {
		return func(i int64) (time.Duration, error) {
			var b any
			if body != nil {
				b = body(i)
			}
			_, _, t, err := l.do(method, "/v1/customers/"+pick().id+suffix, b, want...)
			return t, err
		}
	}
	ops := []operation{
		{"list users by category", 22, func(int64) (time.Duration, error) {
			s := []string{"enabled", "disabled", "unconfirmed"}[rand.IntN(3)]
			_, _, t, err := l.do("GET", "/v1/customers/"+pick().id+"/users?status="+s+"&limit=50", nil, 200)
			return t, err
		}},
		{"search users", 6, inCustomer("GET", "/users?search=seed&limit=20", nil, 200)},
		{"get user", 9, func(int64) (time.Duration, error) {
			c := pick()
			_, _, t, err := l.do("GET", "/v1/customers/"+c.id+"/users/"+c.users[rand.IntN(len(c.users))], nil, 200)
			return t, err
		}},
		{"me", 7, get("/v1/me")},
		{"portal access", 8, func(int64) (time.Duration, error) {
			_, _, t, err := portalUsers[rand.IntN(len(portalUsers))].do("GET", "/v1/portal-access", nil, 200)
			return t, err
		}},
		{"invite", 5, func(int64) (time.Duration, error) { _, _, t, err := invite(pick(), nil); return t, err }},
		{"bulk invite (5)", 2, func(int64) (time.Duration, error) {
			_, _, t, err := l.do("POST", "/v1/customers/"+pick().id+"/users/bulk", map[string]any{"emails": []string{uniq("b"), uniq("b"), uniq("b"), uniq("b"), uniq("b")}}, 200)
			return t, err
		}},
		{"accept", 3, func(int64) (time.Duration, error) {
			c := pick()
			id, _, t, err := acceptNew(c, nil)
			if err == nil {
				c.enabled.put(id)
			}
			return t, err
		}},
		{"update user", 5, func(i int64) (time.Duration, error) {
			c := pick()
			_, _, t, err := l.do("PATCH", "/v1/customers/"+c.id+"/users/"+c.users[rand.IntN(len(c.users))], map[string]any{"roles": []string{fmt.Sprint("R", i%5)}}, 200)
			return t, err
		}},
		{"re-invite", 3, func(int64) (time.Duration, error) {
			c := pick()
			_, _, t, err := l.do("POST", "/v1/customers/"+c.id+"/users/"+c.users[rand.IntN(len(c.users))]+"/reinvite", nil, 200, 429)
			return t, err
		}},
		{"disable", 3, func(int64) (time.Duration, error) {
			c := pick()
			id, ok := c.enabled.take()
			if !ok {
				return 0, errSkipped
			}
			_, _, t, err := l.do("POST", "/v1/customers/"+c.id+"/users/"+id+"/disable", nil, 200)
			c.disabled.put(id)
			return t, err
		}},
		{"enable", 3, func(int64) (time.Duration, error) {
			c := pick()
			id, ok := c.disabled.take()
			if !ok {
				return 0, errSkipped
			}
			_, _, t, err := l.do("POST", "/v1/customers/"+c.id+"/users/"+id+"/enable", nil, 200)
			c.enabled.put(id)
			return t, err
		}},
		{"delete user", 2, func(int64) (time.Duration, error) {
			c := pick()
			id, _, _, err := invite(c, nil)
			if err != nil {
				return 0, err
			}
			mark()
			_, _, t, err := l.do("DELETE", "/v1/customers/"+c.id+"/users/"+id, nil, 204)
			return t, err
		}},
		{"audit trail", 4, inCustomer("GET", "/audit-events?limit=20", nil, 200)},
		{"provider audit trail", 1, get("/v1/audit-events")},
		{"list customers", 3, get("/v1/customers")},
		{"get customer", 2, inCustomer("GET", "", nil, 200)},
		{"update customer", 1, inCustomer("PATCH", "", func(i int64) any { return map[string]any{"name": fmt.Sprint("Load renamed ", i)} }, 200)},
		{"list addresses", 3, inCustomer("GET", "/addresses", nil, 200)},
		{"create address", 1, func(int64) (time.Duration, error) {
			c := pick()
			_, body, t, err := l.do("POST", "/v1/customers/"+c.id+"/addresses", map[string]any{"kind": "legal", "lines": []string{"Coolsingel 1"},
				"postalCode": "3011 AD", "city": "Rotterdam", "country": "NL"}, 201)
			var a struct{ ID string }
			if json.Unmarshal(body, &a) == nil && a.ID != "" {
				c.addresses.put(a.ID)
			}
			return t, err
		}},
		{"update address", 1, func(int64) (time.Duration, error) {
			c := pick()
			id, ok := c.addresses.take()
			if !ok {
				return 0, errSkipped
			}
			_, _, t, err := l.do("PATCH", "/v1/customers/"+c.id+"/addresses/"+id, map[string]any{"city": "Delft"}, 200)
			c.addresses.put(id)
			return t, err
		}},
		{"delete address", 1, func(int64) (time.Duration, error) {
			c := pick()
			id, ok := c.addresses.take()
			if !ok {
				return 0, errSkipped
			}
			_, _, t, err := l.do("DELETE", "/v1/customers/"+c.id+"/addresses/"+id, nil, 204)
			return t, err
		}},
		{"list service agreements", 2, inCustomer("GET", "/service-agreements", nil, 200)},
		{"create service agreement", 1, inCustomer("POST", "/service-agreements", func(i int64) any {
			return map[string]any{"name": "Maintenance", "reference": fmt.Sprint("SLA-", i, "-", rand.Int64()), "startsOn": "2026-01-01", "endsOn": "2026-12-31"}
		}, 201)},
		{"get job", 1, func(int64) (time.Duration, error) {
			_, _, t, err := l.do("GET", "/v1/jobs/"+jobs[rand.IntN(len(jobs))], nil, 200)
			return t, err
		}},
	}
	weights := 0
	for _, o := range ops {
		weights += o.weight
	}
	choose := func() *operation {
		p := rand.IntN(weights)
		for k := range ops {
			if p < ops[k].weight {
				return &ops[k]
			}
			p -= ops[k].weight
		}
		return &ops[len(ops)-1]
	}

	// The sweep runs alongside, as the schedule runs it.
	sweepCtx, stopSweep := context.WithCancel(ctx)
	var sweeps, sweepErrs atomic.Int64
	var sweepDone sync.WaitGroup
	sweepDone.Add(1)
	go func() {
		defer sweepDone.Done()
		for sweepCtx.Err() == nil {
			if _, err := st.Sweep(sweepCtx, 10*time.Second); err != nil && sweepCtx.Err() == nil {
				sweepErrs.Add(1)
			}
			sweeps.Add(1)
			select {
			case <-sweepCtx.Done():
			case <-time.After(2 * time.Second):
			}
		}
	}()

	var sent atomic.Int64
	results := make(chan result, total)
	deadline := time.Now().Add(limit)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := sent.Add(1)
				if i > int64(total) || time.Now().After(deadline) {
					return
				}
				o := choose()
				took, err := o.do(i)
				if err == errSkipped {
					sent.Add(-1)
					continue
				}
				r := result{op: o.name, latency: took, ok: err == nil}
				if err != nil {
					r.detail = err.Error()
				}
				results <- r
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopSweep()
	sweepDone.Wait()
	close(results)

	// AWS calls per request: each operation once more, alone.
	perRequest := map[string]int{}
	probing.Store(true)
	for _, o := range ops {
		calls.Record()
		if _, err := o.do(0); err != nil && err != errSkipped {
			return fmt.Errorf("%s, counted alone: %w", o.name, err)
		}
		perRequest[o.name] = len(calls.Calls())
	}

	byOp := map[string][]time.Duration{}
	errsByOp := map[string]int{}
	var all []time.Duration
	errors := 0
	var firstErr string
	for r := range results {
		all = append(all, r.latency)
		byOp[r.op] = append(byOp[r.op], r.latency)
		if !r.ok {
			errors++
			errsByOp[r.op]++
			if firstErr == "" {
				firstErr = r.detail
			}
		}
	}
	pct := func(d []time.Duration, p float64) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[int(float64(len(d)-1)*p)]
	}
	fmt.Printf("\n| operation | requests | p50 | p90 | p99 | errors | AWS calls per request |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, o := range ops {
		d := byOp[o.name]
		if len(d) == 0 {
			continue
		}
		fmt.Printf("| %s | %d | %s | %s | %s | %d | %d |\n", o.name, len(d), pct(d, .5).Round(100*time.Microsecond), pct(d, .9).Round(100*time.Microsecond), pct(d, .99).Round(100*time.Microsecond), errsByOp[o.name], perRequest[o.name])
	}
	fmt.Printf("| all | %d | %s | %s | %s | %d | |\n", len(all), pct(all, .5).Round(100*time.Microsecond), pct(all, .9).Round(100*time.Microsecond), pct(all, .99).Round(100*time.Microsecond), errors)
	fmt.Printf("\n%d requests in %.1fs (%.0f/s), %d errors; %d sweep runs alongside, %d failed\n", len(all), elapsed.Seconds(), float64(len(all))/elapsed.Seconds(), errors, sweeps.Load(), sweepErrs.Load())
	if errors > 0 || sweepErrs.Load() > 0 {
		return fmt.Errorf("%d requests failed (the first: %s), %d sweep runs failed", errors, firstErr, sweepErrs.Load())
	}
	return nil
}

// errSkipped: nothing to act on right now (every enabled member busy);
// the worker picks another operation.
var errSkipped = fmt.Errorf("skipped")
