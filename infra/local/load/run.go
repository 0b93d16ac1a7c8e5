package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/faults"
	"github.com/portalaccess/portalaccess/infra/local/stack"
)

const password = "correct horse battery staple"

var tokenInLink = regexp.MustCompile(`/accept-invitation#token=([A-Za-z0-9_-]{43})\b`)

// cust is a seeded customer and what the mix may act on in it.
type cust struct {
	id         string
	users      []string      // unconfirmed, from the bulk invite: read
	invited    *pool[string] // the same, to change one at a time
	enabled    *pool[string]
	disabled   *pool[string]
	addresses  *pool[string]
	agreements *pool[string]
	roles      *pool[string] // made by the mix (R0–R4, seeded, are the members')
	portals    *pool[string] // made by the mix, nobody linked
	imports    *pool[string]
	hooks      *pool[string] // made by the mix
	hookSlots  atomic.Int32  // subscriptions beyond the seeded one
	hook       string        // the seeded subscription, to the sample receiver
	desk       desk
	admin      *loader // a portal admin of the customer, in the console
}

// desk is a customer's seeded portal setup.
type desk struct{ id, origin, clientID string }

// staff is an operator the mix may act on.
type staff struct{ id, email string }

// world is the seeded stack and the helpers the operations share.
type world struct {
	ctx         context.Context
	st          *stack.Stack
	calls       *faults.Injector
	l, anon     *loader
	served      *served
	customers   []*cust
	portalUsers []*loader
	jobs        *pool[string]
	renamable   *pool[*cust] // the customers, one rename at a time
	// Operators: enrolled and enabled, disabled, their second factor
	// reset (to enrol again), invited and not yet accepted; named ones
	// only read and renamed.
	opEnabled, opDisabled, opReset *pool[staff]
	opInvited                      *pool[string]
	opNamed                        []string
	probing                        atomic.Bool
	seq                            atomic.Int64
	mailMu                         sync.Mutex
}

func (w *world) pick() *cust { return w.customers[rand.IntN(len(w.customers))] }

func (w *world) uniq(prefix string) string {
	return fmt.Sprintf("%s%d-%d@load.example", prefix, time.Now().UnixNano()%1e9, w.seq.Add(1))
}

// mark starts the count of AWS calls afresh, just before the request an
// operation measures (after the invitation an accept or a delete needs).
func (w *world) mark() {
	if w.probing.Load() {
		w.calls.Record()
	}
}

func (w *world) signIn(clientID, email string) (string, error) {
	auth, err := w.st.SignInAt(w.ctx, clientID, email, password)
	if err != nil {
		return "", fmt.Errorf("sign-in of %s: %w", email, err)
	}
	return aws.ToString(auth.AccessToken), nil
}

// tokenFor reads the newest invitation link sent to addr.
func (w *world) tokenFor(addr string) (string, error) {
	w.mailMu.Lock() // one read of the whole mailbox at a time
	defer w.mailMu.Unlock()
	mails, err := emulators.Mailbox(w.st.Info.SES.Endpoint)
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

// invite invites a fresh user and answers its id and e-mail.
func (w *world) invite(by *loader, c *cust, extra map[string]any) (string, string, time.Duration, error) {
	addr := w.uniq("in")
	body := map[string]any{"email": addr}
	for k, v := range extra {
		body[k] = v
	}
	_, out, took, err := by.do("POST", "/v1/customers/"+c.id+"/users", body, 201)
	var u struct{ ID string }
	_ = json.Unmarshal(out, &u)
	return u.ID, addr, took, err
}

// accept accepts the newest invitation to addr; the request is measured.
func (w *world) accept(addr string) (time.Duration, error) {
	t, err := w.tokenFor(addr)
	if err != nil {
		return 0, err
	}
	w.mark()
	_, _, took, err := w.anon.do("POST", "/v1/invitations/accept", map[string]any{"token": t, "password": password}, 200)
	return took, err
}

func (w *world) acceptNew(c *cust, extra map[string]any) (string, string, time.Duration, error) {
	id, addr, _, err := w.invite(w.l, c, extra)
	if err != nil {
		return "", "", 0, err
	}
	took, err := w.accept(addr)
	return id, addr, took, err
}

// newOperator invites a technician; accepted, the operator signs in and
// sets up an authenticator app, as the console makes them.
func (w *world) newOperator(accepted bool) (staff, error) {
	addr := w.uniq("staff")
	_, out, _, err := w.l.do("POST", "/v1/operators", map[string]any{"email": addr, "role": "technician"}, 201)
	if err != nil {
		return staff{}, err
	}
	var u struct{ ID string }
	_ = json.Unmarshal(out, &u)
	s := staff{id: u.ID, email: addr}
	if !accepted {
		return s, nil
	}
	if _, err := w.accept(addr); err != nil {
		return staff{}, err
	}
	tok, err := w.signIn(w.st.Info.Cognito.ClientID, addr)
	if err != nil {
		return staff{}, err
	}
	return s, w.st.EnrolMFA(w.ctx, tok)
}

// importCSV is a small spreadsheet: people added without an invitation
// (so the import sends no e-mail), one row the import refuses.
func (w *world) importCSV() []byte {
	return []byte("email,name,sendInvitation\n" + w.uniq("imp") + ",Imported One,no\n" + w.uniq("imp") + ",Imported Two,no\nnot an address,,\n")
}

// seed makes the customers with users in every state, a portal each with
// portal users signed in through it and a portal admin in the console,
// addresses, agreements, an import and a webhook subscription each,
// operators in every state, and offboarded customers whose jobs the sweep
// works on.
func (w *world) seed(customers int) error {
	l := w.l
	for i := range customers {
		_, body, _, err := l.do("POST", "/v1/customers", map[string]any{"name": fmt.Sprintf("Load %d", i)}, 201)
		if err != nil {
			return err
		}
		var cr struct{ ID string }
		_ = json.Unmarshal(body, &cr)
		c := &cust{id: cr.ID, invited: newPool[string](), enabled: newPool[string](), disabled: newPool[string](), addresses: newPool[string](),
			agreements: newPool[string](), roles: newPool[string](), portals: newPool[string](), imports: newPool[string](),
			hooks: newPool[string]()}
		base := "/v1/customers/" + c.id
		emails := make([]string, 50)
		for k := range emails {
			emails[k] = fmt.Sprintf("seed%d-%d@load.example", i, k)
		}
		_, body, _, err = l.do("POST", base+"/users/bulk", map[string]any{"emails": emails}, 200)
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
				c.invited.put(r.User.ID)
			}
		}
		for r := range 5 { // the roles "update user" gives: members' roles come from the catalogue
			if _, _, _, err := l.do("POST", base+"/roles", map[string]any{"name": fmt.Sprint("R", r)}, 201); err != nil {
				return err
			}
		}
		url := fmt.Sprintf("https://desk%d.load.example", i)
		_, body, _, err = l.do("POST", base+"/portals", map[string]any{"name": fmt.Sprintf("Desk %d", i), "url": url + "/"}, 201)
		if err != nil {
			return err
		}
		var ps struct {
			ID     string
			SignIn struct{ ClientID *string } `json:"signIn"`
		}
		_ = json.Unmarshal(body, &ps)
		c.desk = desk{id: ps.ID, origin: url, clientID: aws.ToString(ps.SignIn.ClientID)}
		_, body, _, err = l.do("POST", base+"/portals", map[string]any{"name": fmt.Sprintf("Kiosk %d", i), "url": fmt.Sprintf("https://kiosk%d.load.example/", i)}, 201)
		if err != nil {
			return err
		}
		c.portals.put(idOf(body))
		for range 2 {
			_, addr, _, err := w.acceptNew(c, map[string]any{"portalIds": []string{ps.ID}})
			if err != nil {
				return err
			}
			t, err := w.signIn(c.desk.clientID, addr)
			if err != nil {
				return err
			}
			w.portalUsers = append(w.portalUsers, l.as(t))
		}
		_, addr, _, err := w.acceptNew(c, map[string]any{"admin": true})
		if err != nil {
			return err
		}
		t, err := w.signIn(w.st.Info.Cognito.ClientID, addr)
		if err != nil {
			return err
		}
		c.admin = l.as(t)
		for range 6 {
			id, _, _, err := w.acceptNew(c, nil)
			if err != nil {
				return err
			}
			c.enabled.put(id)
		}
		for range 3 {
			_, body, _, err := l.do("POST", base+"/addresses", map[string]any{"kind": "shipping", "lines": []string{"Havenstraat 12"},
				"postalCode": "3011 AB", "city": "Rotterdam", "country": "NL"}, 201)
			if err != nil {
				return err
			}
			c.addresses.put(idOf(body))
		}
		_, body, _, err = l.do("POST", base+"/service-agreements", map[string]any{"name": "Support", "reference": fmt.Sprint("SLA-seed-", i),
			"startsOn": "2026-01-01", "endsOn": "2026-12-31"}, 201)
		if err != nil {
			return err
		}
		c.agreements.put(idOf(body))
		_, body, _, err = l.do("POST", base+"/webhooks", map[string]any{"url": w.st.Info.Webhooks.Receiver + "/load", "description": "CRM"}, 201)
		if err != nil {
			return err
		}
		c.hook = idOf(body)
		_, body, _, err = l.do("POST", base+"/webhooks", map[string]any{"url": w.st.Info.Webhooks.Receiver + "/spare", "eventTypes": []string{"customer.offboarded"}}, 201)
		if err != nil {
			return err
		}
		c.hooks.put(idOf(body))
		c.hookSlots.Add(1)
		_, body, _, err = l.send(call{method: "POST", path: base + "/imports", raw: w.importCSV(), ctype: "text/csv", want: []int{202}})
		if err != nil {
			return err
		}
		c.imports.put(idOf(body))
		w.customers = append(w.customers, c)
		w.renamable.put(c)
	}
	for range 3 {
		_, body, _, err := l.do("POST", "/v1/customers", map[string]any{"name": "Leaving"}, 201)
		if err != nil {
			return err
		}
		id := idOf(body)
		if _, _, _, err := l.do("POST", "/v1/customers/"+id+"/users/bulk", map[string]any{"emails": []string{w.uniq("gone"), w.uniq("gone")}}, 200); err != nil {
			return err
		}
		_, body, _, err = l.do("DELETE", "/v1/customers/"+id, nil, 202)
		if err != nil {
			return err
		}
		var j struct{ Job struct{ ID string } }
		_ = json.Unmarshal(body, &j)
		w.jobs.put(j.Job.ID)
	}
	for k := range 6 {
		s, err := w.newOperator(k < 4)
		if err != nil {
			return err
		}
		if k < 4 {
			w.opEnabled.put(s)
			w.opNamed = append(w.opNamed, s.id)
		} else {
			w.opInvited.put(s.id)
		}
	}
	return nil
}

func idOf(body []byte) string {
	var v struct{ ID string }
	_ = json.Unmarshal(body, &v)
	return v.ID
}

// result is one measured request.
type result struct {
	op      string
	latency time.Duration
	ok      bool
	detail  string
}

func run(ctx context.Context, c config) (*report, error) {
	fmt.Fprintln(c.out, "Starting a local stack of its own (emulators on free loopback ports)…")
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
		return nil, err
	}
	defer st.Stop()
	w := &world{ctx: ctx, st: st, calls: calls, served: newServed(), jobs: newPool[string](), renamable: newPool[*cust](),
		opEnabled: newPool[staff](), opDisabled: newPool[staff](), opReset: newPool[staff](), opInvited: newPool[string]()}
	auth, err := st.SignIn(ctx, st.Info.Admin.Email, st.Info.Admin.Password)
	if err != nil {
		return nil, fmt.Errorf("sign-in of the first admin: %w", err)
	}
	tok := aws.ToString(auth.AccessToken)
	w.l = &loader{api: st.Info.APIURL, token: tok, served: w.served,
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.workers * 2}, Timeout: 30 * time.Second}}
	w.anon = w.l.as("")
	if err := w.seed(c.customers); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	ops := w.operations()
	fmt.Fprintf(c.out, "Seeded %d customers (50 invited, 6 accepted, a portal admin, a portal with 2 portal users and a spare one, 3 addresses, an agreement, an import and 2 webhooks each), 3 offboardings and 6 operators; sending %d requests from %d workers, the sweep every 2 s…\n",
		len(w.customers), c.requests, c.workers)

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
	results := make(chan result, c.requests)
	deadline := time.Now().Add(c.max)
	var wg sync.WaitGroup
	start := time.Now()
	for range c.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := sent.Add(1)
				if i > int64(c.requests) || time.Now().After(deadline) {
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
	rep := &report{elapsed: time.Since(start)}
	stopSweep()
	sweepDone.Wait()
	close(results)

	// AWS calls per request: each operation once more, alone; and that it
	// reached the route it names.
	perRequest := map[string]int{}
	if err := w.settle(); err != nil {
		return nil, fmt.Errorf("operators back to enabled before the pass alone: %w", err)
	}
	w.probing.Store(true)
	for _, o := range ops {
		before := w.served.counts()
		err := errSkipped
		// Something to act on may be in another customer than the one
		// picked, or still on its way (an import the consumer has not
		// finished): up to 100 tries, a moment apart.
		for try := 0; err == errSkipped && try < 100; try++ {
			if try > 0 {
				time.Sleep(100 * time.Millisecond)
			}
			calls.Record()
			_, err = o.do(0)
		}
		if err == errSkipped {
			rep.misrouted = append(rep.misrouted, o.name+" (nothing to act on)")
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s, counted alone: %w", o.name, err)
		}
		perRequest[o.name] = len(calls.Calls())
		if !w.served.since(before)[o.route] {
			rep.misrouted = append(rep.misrouted, o.name+" ("+o.route+")")
		}
	}
	rep.unserved = w.served.unserved()

	byOp := map[string][]time.Duration{}
	errsByOp := map[string]int{}
	var all []time.Duration
	for r := range results {
		all = append(all, r.latency)
		byOp[r.op] = append(byOp[r.op], r.latency)
		if !r.ok {
			rep.errors++
			errsByOp[r.op]++
			if rep.firstError == "" {
				rep.firstError = r.detail
			}
		}
	}
	rep.requests = len(all)
	rep.sweeps, rep.sweepErrs = sweeps.Load(), sweepErrs.Load()
	pct := func(d []time.Duration, p float64) time.Duration {
		if len(d) == 0 {
			return 0
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		v := d[int(float64(len(d)-1)*p)]
		if v >= time.Second {
			return v.Round(10 * time.Millisecond)
		}
		return v.Round(100 * time.Microsecond)
	}
	fmt.Fprintf(c.out, "\n| operation | route | requests | p50 | p90 | p99 | errors | AWS calls per request |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, o := range ops {
		d := byOp[o.name]
		if len(d) == 0 {
			fmt.Fprintf(c.out, "| %s | %s | 0 | | | | 0 | %d |\n", o.name, o.route, perRequest[o.name])
			continue
		}
		fmt.Fprintf(c.out, "| %s | %s | %d | %s | %s | %s | %d | %d |\n", o.name, o.route, len(d), pct(d, .5), pct(d, .9), pct(d, .99), errsByOp[o.name], perRequest[o.name])
	}
	fmt.Fprintf(c.out, "| all | | %d | %s | %s | %s | %d | |\n", len(all), pct(all, .5), pct(all, .9), pct(all, .99), rep.errors)
	fmt.Fprintf(c.out, "\n%d requests in %.1fs (%.0f/s), %d errors; %d sweep runs alongside, %d failed; %d operations, %d routes not reached\n",
		len(all), rep.elapsed.Seconds(), float64(len(all))/rep.elapsed.Seconds(), rep.errors, rep.sweeps, rep.sweepErrs, len(ops), len(rep.unserved))
	return rep, nil
}

// errSkipped: nothing to act on right now (every enabled member busy);
// the worker picks another operation.
var errSkipped = fmt.Errorf("skipped")
