// Command load is `make load`: a bounded run of mixed traffic through the
// local gateway, on loopback only, against a stack of its own. It prints the
// number of requests, the errors (any answer other than the one the request
// expects; there must be none) and the latency percentiles.
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
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

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

func (l *loader) do(method, path string, body any, want ...int) (int, []byte, time.Duration, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, l.api+path, r)
	req.Header.Set("Authorization", "Bearer "+l.token)
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

func run(total, workers int, limit time.Duration) error {
	ctx := context.Background()
	fmt.Println("Starting a local stack of its own (emulators on free loopback ports)…")
	env := map[string]string{"INVITE_RATE_LIMIT": "1000000", "PUBLIC_RATE_LIMIT": "1000000", "REINVITE_COOLDOWN": "0s"}
	st, err := stack.Start(ctx, stack.Options{
		Getenv: func(k string) string { return env[k] },
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		// The admin signs in with an authenticator app's code (Stack.SignIn).
		EnrolAdmin: true,
	})
	if err != nil {
		return err
	}
	defer st.Stop()
	auth, err := st.SignIn(ctx, st.Info.Admin.Email, st.Info.Admin.Password)
	if err != nil {
		return err
	}
	l := &loader{api: st.Info.APIURL, token: aws.ToString(auth.AccessToken),
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers * 2}, Timeout: 30 * time.Second}}

	// Seed: a few customers with users in every state.
	type cust struct {
		id    string
		users []string
	}
	var customers []cust
	for i := range 5 {
		_, body, _, err := l.do("POST", "/v1/customers", map[string]any{"name": fmt.Sprintf("Load %d", i)}, 201)
		if err != nil {
			return err
		}
		var c struct{ ID string }
		_ = json.Unmarshal(body, &c)
		cu := cust{id: c.ID}
		emails := make([]string, 50)
		for k := range emails {
			emails[k] = fmt.Sprintf("seed%d-%d@load.example", i, k)
		}
		_, body, _, err = l.do("POST", "/v1/customers/"+c.ID+"/users/bulk", map[string]any{"emails": emails}, 200)
		if err != nil {
			return err
		}
		var b struct {
			Results []struct{ User *struct{ ID string } }
		}
		_ = json.Unmarshal(body, &b)
		for _, r := range b.Results {
			if r.User != nil {
				cu.users = append(cu.users, r.User.ID)
			}
		}
		customers = append(customers, cu)
	}
	fmt.Printf("Seeded %d customers with %d users each; sending %d requests from %d workers…\n", len(customers), len(customers[0].users), total, workers)

	var seq atomic.Int64
	results := make(chan result, total)
	deadline := time.Now().Add(limit)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := seq.Add(1)
				if i > int64(total) || time.Now().After(deadline) {
					return
				}
				c := customers[rand.IntN(len(customers))]
				u := c.users[rand.IntN(len(c.users))]
				base := "/v1/customers/" + c.id
				var op string
				var err error
				var took time.Duration
				switch p := rand.IntN(100); {
				case p < 35:
					op = "list users by category"
					st := []string{"enabled", "disabled", "unconfirmed"}[rand.IntN(3)]
					_, _, took, err = l.do("GET", base+"/users?status="+st+"&limit=50", nil, 200)
				case p < 45:
					op = "search users"
					_, _, took, err = l.do("GET", base+"/users?search=seed&limit=20", nil, 200)
				case p < 60:
					op = "get user"
					_, _, took, err = l.do("GET", base+"/users/"+u, nil, 200)
				case p < 70:
					op = "me"
					_, _, took, err = l.do("GET", "/v1/me", nil, 200)
				case p < 78:
					op = "invite"
					_, _, took, err = l.do("POST", base+"/users", map[string]any{"email": fmt.Sprintf("load%d@load.example", i)}, 201)
				case p < 86:
					op = "update user"
					_, _, took, err = l.do("PATCH", base+"/users/"+u, map[string]any{"roles": []string{fmt.Sprint("R", i%5)}}, 200)
				case p < 90:
					op = "re-invite"
					_, _, took, err = l.do("POST", base+"/users/"+u+"/reinvite", nil, 200, 429)
				case p < 95:
					op = "audit trail"
					_, _, took, err = l.do("GET", base+"/audit-events?limit=20", nil, 200)
				default:
					op = "list customers"
					_, _, took, err = l.do("GET", "/v1/customers", nil, 200)
				}
				r := result{op: op, latency: took, ok: err == nil}
				if err != nil {
					r.detail = err.Error()
				}
				results <- r
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(results)
	byOp := map[string][]time.Duration{}
	var all []time.Duration
	errors := 0
	var firstErr string
	for r := range results {
		all = append(all, r.latency)
		byOp[r.op] = append(byOp[r.op], r.latency)
		if !r.ok {
			errors++
			if firstErr == "" {
				firstErr = r.detail
			}
		}
	}
	pct := func(d []time.Duration, p float64) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[int(float64(len(d)-1)*p)]
	}
	fmt.Printf("\n%-24s %8s %8s %8s %8s\n", "operation", "requests", "p50", "p90", "p99")
	ops := make([]string, 0, len(byOp))
	for op := range byOp {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		d := byOp[op]
		fmt.Printf("%-24s %8d %8s %8s %8s\n", op, len(d), pct(d, .5).Round(100*time.Microsecond), pct(d, .9).Round(100*time.Microsecond), pct(d, .99).Round(100*time.Microsecond))
	}
	fmt.Printf("%-24s %8d %8s %8s %8s\n", "all", len(all), pct(all, .5).Round(100*time.Microsecond), pct(all, .9).Round(100*time.Microsecond), pct(all, .99).Round(100*time.Microsecond))
	fmt.Printf("\n%d requests in %.1fs (%.0f/s), %d errors\n", len(all), elapsed.Seconds(), float64(len(all))/elapsed.Seconds(), errors)
	if errors > 0 {
		return fmt.Errorf("%d requests failed; the first: %s", errors, firstErr)
	}
	return nil
}
