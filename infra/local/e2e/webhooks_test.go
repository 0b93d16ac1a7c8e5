package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	pevents "github.com/portalaccess/portalaccess/shared/events"
	"github.com/portalaccess/portalaccess/shared/events/schema"
	"github.com/portalaccess/portalaccess/shared/webhooks"
)

// Webhook subscriptions end to end: the routes through the gateway, the
// events from the table's stream through the local bus, its rule's
// stand-in, the events queue, deliver-webhooks' fan-out, the deliveries
// queue (FIFO) and deliver-webhooks' delivery, to a receiver of the test's.

type webhook struct {
	ID                  string   `json:"id"`
	URL                 string   `json:"url"`
	EventTypes          []string `json:"eventTypes"`
	Paused              bool     `json:"paused"`
	PausedReason        *string  `json:"pausedReason"`
	Failures            int      `json:"failures"`
	Secret              string   `json:"secret"`
	PreviousSecretUntil *string  `json:"previousSecretUntil"`
	Version             int      `json:"version"`
}

type deliveryRow struct {
	EventID   string  `json:"eventId"`
	EventType string  `json:"eventType"`
	Attempt   int     `json:"attempt"`
	OK        bool    `json:"ok"`
	Status    *int    `json:"status"`
	Error     *string `json:"error"`
	NextRetry *string `json:"nextRetry"`
}

// deadURL is an endpoint nothing listens at.
const deadURL = "http://127.0.0.1:9/nobody"

func (c *client) newWebhook(customerID, url string, types []string) webhook {
	c.t.Helper()
	body := map[string]any{"url": url}
	if types != nil {
		body["eventTypes"] = types
	}
	var w webhook
	c.post("/v1/customers/"+customerID+"/webhooks", body, 201).json(c.t, &w)
	remember(w.Secret)
	return w
}

// clearWebhooks deletes every subscription of a customer.
func clearWebhooks(c *client, customerID string) {
	var l struct{ Items []webhook }
	c.get("/v1/customers/"+customerID+"/webhooks", 200).json(c.t, &l)
	for _, w := range l.Items {
		c.expect(c.call("DELETE", "/v1/customers/"+customerID+"/webhooks/"+w.ID, nil), 204)
	}
}

// received is one delivery a receiver took.
type received struct {
	Header http.Header
	Body   []byte
	Event  pevents.Event
}

// receiver is a webhook receiver that answers 500 to its first failFor
// deliveries (or to every one while failing), and takes the rest.
type receiver struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	failFor int
	failing bool
	failed  int
	got     []received
}

func newReceiver(t *testing.T, failFor int) *receiver {
	r := &receiver{t: t, failFor: failFor}
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, "WARN") || strings.Contains(l, "ERROR") || strings.Contains(l, "webhook") {
					t.Log(l)
				}
			}
		}
	})
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.failing || r.failed < r.failFor {
			r.failed++
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		var ev pevents.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("a delivery that is not an event: %s", body)
		}
		r.got = append(r.got, received{Header: req.Header.Clone(), Body: body, Event: ev})
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) url() string { return r.srv.URL + "/hooks" }

func (r *receiver) setFailing(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failing = on
}

func (r *receiver) deliveries() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func (r *receiver) failures() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// waitFor polls until ok holds, for at most a minute (the deliveries go
// through the stream, the bus, two queues and their backoffs).
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after a minute", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// trailSince is the customer's trail from the event with the id on, oldest
// first.
func trailSince(op *client, customerID, firstID string) []pevents.Event {
	evs := publishedFor(customerID)
	i := slices.IndexFunc(evs, func(e pevents.Event) bool { return e.ID == firstID })
	if i < 0 {
		return nil
	}
	return evs[i:]
}

// subscriptionCreated is the id of the subscription's creation event.
func subscriptionCreated(t *testing.T, customerID, webhookID string) string {
	t.Helper()
	var id string
	waitFor(t, "subscription.created on the bus", func() bool {
		for _, e := range publishedFor(customerID) {
			if e.Type == "subscription.created" && e.Data.Target.ID == webhookID {
				id = e.ID
				return true
			}
		}
		return false
	})
	return id
}

// checkDelivery verifies a delivery as a receiver must: the signature with
// the secret (at the stack's business clock, which tests move), the body
// against the schema, the webhook-id the event's.
func checkDelivery(t *testing.T, d received, secret string) {
	t.Helper()
	if err := webhooks.Verify(d.Header, secret, d.Body, now()); err != nil {
		t.Errorf("%s: the signature does not verify: %v", d.Event.Type, err)
	}
	if err := schema.Validate(d.Body); err != nil {
		t.Errorf("%s does not follow the schema: %v", d.Event.Type, err)
	}
	if d.Header.Get("webhook-id") != d.Event.ID {
		t.Errorf("webhook-id %q is not the event's id %q", d.Header.Get("webhook-id"), d.Event.ID)
	}
}

// One change of every kind a customer's trail has reaches the subscribed
// receiver once each, signed and as the schema says, in commit order per
// target.
func TestWebhooksDeliverEveryChangeOnce(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	rc := newReceiver(t, 0)
	w := op.newWebhook(cu.ID, rc.url(), nil)
	if !strings.HasPrefix(w.Secret, "whsec_") {
		t.Fatalf("the secret %q", w.Secret)
	}
	first := subscriptionCreated(t, cu.ID, w.ID)

	base := "/v1/customers/" + cu.ID
	u := op.invite(cu.ID, map[string]any{"email": uniqueEmail("wh")})
	op.expect(op.call("PATCH", base+"/users/"+u.ID, map[string]any{"name": "Renamed"}), 200)
	clockOffset.Add(int64(3 * time.Second)) // past the re-invite cooldown
	op.post(base+"/users/"+u.ID+"/reinvite", nil, 200)
	adm, _ := portalUser(t, op, cu.ID, false)
	op.post(base+"/users/"+adm.ID+"/disable", nil, 200)
	op.post(base+"/users/"+adm.ID+"/enable", nil, 200)
	op.expect(op.call("DELETE", base+"/users/"+u.ID, nil), 204)
	var a struct{ ID string }
	op.post(base+"/addresses", map[string]any{"kind": "legal", "lines": []string{"Coolsingel 1"}, "postalCode": "3011 AD",
		"city": "Rotterdam", "country": "NL"}, 201).json(t, &a)
	op.expect(op.call("PATCH", base+"/addresses/"+a.ID, map[string]any{"city": "Delft"}), 200)
	op.expect(op.call("DELETE", base+"/addresses/"+a.ID, nil), 204)
	var ag struct{ ID string }
	op.post(base+"/service-agreements", map[string]any{"name": "Support", "reference": "SA-1", "startsOn": "2026-01-01", "endsOn": "2027-01-01"}, 201).json(t, &ag)
	op.expect(op.call("PATCH", base+"/service-agreements/"+ag.ID, map[string]any{"name": "Support+"}), 200)
	op.expect(op.call("DELETE", base+"/service-agreements/"+ag.ID, nil), 204)
	var ro struct{ ID string }
	op.post(base+"/roles", map[string]any{"name": "Finance"}, 201).json(t, &ro)
	op.expect(op.call("PATCH", base+"/roles/"+ro.ID, map[string]any{"name": "Finance team"}), 200)
	op.expect(op.call("DELETE", base+"/roles/"+ro.ID, nil), 204)
	p := op.newPortal(cu.ID)
	op.expect(op.call("PATCH", base+"/portals/"+p.ID, map[string]any{"name": "Renamed desk"}), 200)
	op.expect(op.call("DELETE", base+"/portals/"+p.ID, nil), 204)
	op.expect(op.call("PATCH", base, map[string]any{"name": unique("Acme ")}), 200)
	other := op.newWebhook(cu.ID, deadURL, []string{"user.invited"})
	op.expect(op.call("PATCH", base+"/webhooks/"+other.ID, map[string]any{"description": "spare"}), 200)
	op.expect(op.call("DELETE", base+"/webhooks/"+other.ID, nil), 204)

	var want []pevents.Event
	waitFor(t, "every event of the trail delivered", func() bool {
		want = trailSince(op, cu.ID, first)
		got := rc.deliveries()
		seen := map[string]bool{}
		for _, d := range got {
			seen[d.Event.ID] = true
		}
		for _, e := range want {
			if !seen[e.ID] {
				return false
			}
		}
		return len(want) > 20
	})
	got := rc.deliveries()
	kinds := map[string]bool{}
	times := map[string]int{}
	for _, d := range got {
		times[d.Event.ID]++
		checkDelivery(t, d, w.Secret)
		kinds[d.Event.Type] = true
	}
	for id, n := range times {
		if n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
	for _, k := range []string{"subscription.created", "user.invited", "user.updated", "user.reinvited", "user.disabled", "user.enabled",
		"user.deleted", "address.created", "address.updated", "address.deleted", "service_agreement.created", "service_agreement.updated",
		"service_agreement.deleted", "portal.created", "portal.updated", "portal.deleted", "role.created", "role.updated", "role.deleted", "customer.updated",
		"subscription.updated", "subscription.deleted"} {
		if !kinds[k] {
			t.Errorf("no %s delivered; got %v", k, kinds)
		}
	}
	// In commit order per target.
	for _, target := range []string{u.ID, adm.ID, a.ID, ag.ID, ro.ID} {
		var wantOrder, gotOrder []string
		for _, e := range want {
			if e.Data.Target.ID == target {
				wantOrder = append(wantOrder, e.ID)
			}
		}
		for _, d := range got {
			if d.Event.Data.Target.ID == target {
				gotOrder = append(gotOrder, d.Event.ID)
			}
		}
		if !slices.Equal(wantOrder, gotOrder) {
			t.Errorf("target %s: delivered in the order %v, committed %v", target, gotOrder, wantOrder)
		}
	}
	// The delivery log has each, as delivered at the first attempt.
	log := all[deliveryRow](op, base+"/webhooks/"+w.ID+"/deliveries?limit=7")
	if len(log) != len(got) {
		t.Errorf("the delivery log has %d attempts, the receiver took %d", len(log), len(got))
	}
	for _, l := range log {
		if !l.OK || l.Attempt != 1 || l.Status == nil || *l.Status != 204 || l.NextRetry != nil || l.Error != nil {
			t.Errorf("a log entry: %+v", l)
		}
	}
	// The event of a provider's trail and of another customer are not sent.
	for _, d := range got {
		if d.Event.Customer() != cu.ID {
			t.Errorf("another's event delivered: %+v", d.Event)
		}
	}
}

// A receiver that fails five times gets the deliveries later, once it
// recovers, in order per user, and the log shows the attempts.
func TestWebhookReceiverThatFailsFiveTimes(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	rc := newReceiver(t, 5)
	w := op.newWebhook(cu.ID, rc.url(), []string{"user.invited", "user.updated", "user.disabled"})
	base := "/v1/customers/" + cu.ID
	jane, _ := portalUser(t, op, cu.ID, false)
	bob := op.invite(cu.ID, map[string]any{"email": uniqueEmail("bob")})
	op.expect(op.call("PATCH", base+"/users/"+jane.ID, map[string]any{"name": "Jane 2"}), 200)
	op.expect(op.call("PATCH", base+"/users/"+bob.ID, map[string]any{"name": "Bob 2"}), 200)
	op.expect(op.call("PATCH", base+"/users/"+jane.ID, map[string]any{"name": "Jane 3"}), 200)
	op.post(base+"/users/"+jane.ID+"/disable", nil, 200)

	var want []pevents.Event
	waitFor(t, "the deliveries after the failures", func() bool {
		want = want[:0]
		for _, e := range publishedFor(cu.ID) {
			if slices.Contains(w.EventTypes, e.Type) {
				want = append(want, e)
			}
		}
		return len(want) >= 6 && len(rc.deliveries()) >= len(want)
	})
	if rc.failures() != 5 {
		t.Errorf("the receiver failed %d times, want 5", rc.failures())
	}
	got := rc.deliveries()
	if len(got) != len(want) {
		t.Fatalf("delivered %d, want %d", len(got), len(want))
	}
	for _, person := range []string{jane.ID, bob.ID} {
		var wantOrder, gotOrder []string
		for _, e := range want {
			if e.Data.Target.ID == person {
				wantOrder = append(wantOrder, e.Type+" "+e.ID)
			}
		}
		for _, d := range got {
			checkDelivery(t, d, w.Secret)
			if d.Event.Data.Target.ID == person {
				gotOrder = append(gotOrder, d.Event.Type+" "+d.Event.ID)
			}
		}
		if !slices.Equal(wantOrder, gotOrder) {
			t.Errorf("user %s: delivered %v, committed %v", person, gotOrder, wantOrder)
		}
	}
	log := all[deliveryRow](op, base+"/webhooks/"+w.ID+"/deliveries")
	failed := 0
	for _, l := range log {
		if !l.OK {
			failed++
			if l.Status == nil || *l.Status != 500 || l.NextRetry == nil || l.Error == nil {
				t.Errorf("a failed attempt: %+v", l)
			}
		}
	}
	if failed != 5 || len(log) != 5+len(want) {
		t.Errorf("the log has %d attempts, %d failed; want %d, 5", len(log), failed, 5+len(want))
	}
	var now webhook
	op.get(base+"/webhooks/"+w.ID, 200).json(t, &now)
	if now.Paused || now.Failures != 0 || now.Secret != "" {
		t.Errorf("after the recovery: %+v", now)
	}
}

// An endpoint that keeps failing is paused by the system (on the trail as
// subscription.paused, by the system); nothing is tried while it is
// paused; resumed, it gets what was held back, in order.
func TestWebhookPausedAfterRepeatedFailuresAndResumed(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	rc := newReceiver(t, 0)
	rc.setFailing(true)
	w := op.newWebhook(cu.ID, rc.url(), []string{"user.invited", "user.updated"})
	base := "/v1/customers/" + cu.ID
	u := op.invite(cu.ID, map[string]any{"email": uniqueEmail("p")})
	var now webhook
	waitFor(t, "the subscription paused", func() bool {
		op.get(base+"/webhooks/"+w.ID, 200).json(t, &now)
		return now.Paused
	})
	if now.PausedReason == nil || *now.PausedReason != "failing" {
		t.Errorf("paused: %+v", now)
	}
	paused := false
	for _, e := range publishedFor(cu.ID) {
		if e.Type == "subscription.paused" && e.Data.Target.ID == w.ID && e.Data.Actor.Kind == "system" {
			paused = true
		}
	}
	if !paused {
		t.Error("no subscription.paused by the system on the trail")
	}
	tries := rc.failures()
	op.expect(op.call("PATCH", base+"/users/"+u.ID, map[string]any{"name": "While paused"}), 200)
	rc.setFailing(false)
	// Held back: a paused subscription is not tried (the hold looks again
	// every 2 s; three looks pass).
	waitFor(t, "the update on the bus", func() bool {
		for _, e := range publishedFor(cu.ID) {
			if e.Type == "user.updated" {
				return true
			}
		}
		return false
	})
	time.Sleep(6 * time.Second)
	if len(rc.deliveries()) != 0 || rc.failures() != tries {
		t.Fatalf("a paused subscription was tried: %d delivered, %d failures (were %d)", len(rc.deliveries()), rc.failures(), tries)
	}
	var resumed webhook
	op.expect(op.call("PATCH", base+"/webhooks/"+w.ID, map[string]any{"paused": false}), 200).json(t, &resumed)
	if resumed.Paused || resumed.Failures != 0 || resumed.PausedReason != nil {
		t.Errorf("resumed: %+v", resumed)
	}
	waitFor(t, "the held deliveries", func() bool { return len(rc.deliveries()) >= 2 })
	got := rc.deliveries()
	if len(got) != 2 || got[0].Event.Type != "user.invited" || got[1].Event.Type != "user.updated" {
		var types []string
		for _, d := range got {
			types = append(types, d.Event.Type)
		}
		t.Errorf("after the resume: %v, want user.invited then user.updated", types)
	}
	for _, d := range got {
		checkDelivery(t, d, w.Secret)
	}
}

// A rotation answers a new secret once; for the grace period each
// delivery carries two signatures, one by each secret.
func TestWebhookSecretRotation(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	rc := newReceiver(t, 0)
	w := op.newWebhook(cu.ID, rc.url(), []string{"user.invited"})
	base := "/v1/customers/" + cu.ID + "/webhooks/" + w.ID
	op.expect(op.call("POST", base+"/rotate-secret", nil, "If-Match", `"99"`), 412)
	var rot webhook
	op.expect(op.call("POST", base+"/rotate-secret", nil, "If-Match", `"1"`), 200).json(t, &rot)
	remember(rot.Secret)
	if rot.Secret == "" || rot.Secret == w.Secret || rot.PreviousSecretUntil == nil || rot.Version != 2 {
		t.Fatalf("rotated: %+v", rot)
	}
	var again webhook
	op.get(base, 200).json(t, &again)
	if again.Secret != "" {
		t.Error("a get answers the secret")
	}
	op.invite(cu.ID, map[string]any{"email": uniqueEmail("r")})
	waitFor(t, "the delivery", func() bool { return len(rc.deliveries()) == 1 })
	d := rc.deliveries()[0]
	if n := len(strings.Fields(d.Header.Get("webhook-signature"))); n != 2 {
		t.Errorf("%d signatures, want 2 (the new secret's and the old one's)", n)
	}
	checkDelivery(t, d, rot.Secret)
	checkDelivery(t, d, w.Secret)
}

// Webhooks are their customer's: another customer's admin finds nothing,
// technicians and plain members are refused, bad input is a 4xx that
// changes nothing, and no list or get shows a secret.
func TestWebhooksIsolationAndBadInput(t *testing.T) {
	w := newCast(t)
	op, tech, c, d, adminC, adminD, userC := w.op, w.tech, w.c, w.d, w.adminC, w.adminD, w.userC
	mine := adminC.newWebhook(c.ID, deadURL, []string{"user.invited"})
	hooks := "/v1/customers/" + c.ID + "/webhooks"
	for _, r := range []struct {
		who    *client
		method string
		path   string
		status int
	}{
		{adminD, "GET", hooks, 404}, {adminD, "GET", hooks + "/" + mine.ID, 404}, {adminD, "DELETE", hooks + "/" + mine.ID, 404},
		{adminD, "GET", "/v1/customers/" + d.ID + "/webhooks/" + mine.ID, 404},
		{adminD, "POST", "/v1/customers/" + d.ID + "/webhooks/" + mine.ID + "/rotate-secret", 404},
		{tech, "GET", hooks, 403}, {tech, "DELETE", hooks + "/" + mine.ID, 403},
		{userC, "GET", hooks, 403}, {userC, "POST", hooks + "/" + mine.ID + "/rotate-secret", 403},
	} {
		r.who.expect(r.who.call(r.method, r.path, nil), r.status)
	}
	bad := []map[string]any{
		{"url": "http://hooks.acme.example/x"},
		{"url": "ftp://hooks.acme.example/x"},
		{"url": "https://user:pw@hooks.acme.example/"},
		{"url": "https://hooks.acme.example/", "eventTypes": []string{"user.nonsense"}},
		{"url": "https://hooks.acme.example/", "description": strings.Repeat("x", 201)},
		{"url": "https://hooks.acme.example/", "paused": true},
		{"url": "https://hooks.acme.example/", "secret": "whsec_mine"},
		{"eventTypes": []string{}},
	}
	trailBefore := len(all[struct{ ID string }](op, "/v1/customers/"+c.ID+"/audit-events"))
	for _, b := range bad {
		res := adminC.call("POST", hooks, b)
		if res.Status != 400 {
			t.Errorf("POST %v: %d, want 400", b, res.Status)
		}
	}
	for _, b := range []map[string]any{{"url": "http://hooks.acme.example/"}, {"eventTypes": []string{"nope.nope"}}, {}, {"paused": "yes"}} {
		if res := adminC.call("PATCH", hooks+"/"+mine.ID, b); res.Status != 400 {
			t.Errorf("PATCH %v: %d, want 400", b, res.Status)
		}
	}
	// A port none can dial: 400 on url, as for a portal's URL.
	for _, u := range []string{"https://hooks.acme.example:0/x", "https://hooks.acme.example:65536/x", "https://hooks.acme.example:99999/x"} {
		for _, res := range []*response{adminC.call("POST", hooks, map[string]any{"url": u}), adminC.call("PATCH", hooks+"/"+mine.ID, map[string]any{"url": u})} {
			if res.Status != 400 {
				t.Errorf("%s: %d, want 400", u, res.Status)
				continue
			}
			if pr := res.problem(t); len(pr.Errors) != 1 || pr.Errors[0].Field != "url" || pr.Errors[0].Code != "invalid_url" {
				t.Errorf("%s: %+v", u, pr)
			}
		}
	}
	adminC.expect(adminC.call("GET", hooks+"/whs_nope", nil), 404)
	var l struct{ Items []json.RawMessage }
	adminC.get(hooks, 200).json(t, &l)
	if len(l.Items) != 1 {
		t.Fatalf("after the refusals %d subscriptions, want 1", len(l.Items))
	}
	if strings.Contains(string(l.Items[0]), "secret\"") || strings.Contains(string(l.Items[0]), mine.Secret) {
		t.Errorf("a list shows a secret: %s", l.Items[0])
	}
	var got webhook
	adminC.get(hooks+"/"+mine.ID, 200).json(t, &got)
	if got.Version != 1 || got.URL != deadURL || !slices.Equal(got.EventTypes, []string{"user.invited"}) || got.Secret != "" {
		t.Errorf("after the refusals: %+v", got)
	}
	if n := len(all[struct{ ID string }](op, "/v1/customers/"+c.ID+"/audit-events")); n != trailBefore {
		t.Errorf("the refusals wrote %d audit events", n-trailBefore)
	}
	// The operator admin manages any customer's.
	op.expect(op.call("PATCH", hooks+"/"+mine.ID, map[string]any{"paused": true}, "If-Match", `"1"`), 200)
	adminC.expect(adminC.call("DELETE", hooks+"/"+mine.ID, nil), 204)
}

// webhookState is what a fault run compares of a customer's subscriptions:
// how many, and each one's version, URL, types, pause and secrets (sealed,
// so only whether there are two), and the customer's count of them.
func webhookState(t *testing.T, customerID string) string {
	t.Helper()
	ctx := context.Background()
	ws, err := st.Store.Subscriptions(ctx, customerID)
	cu, cerr := st.Store.Customer(ctx, customerID)
	out := fmt.Sprintf("count %d (%v); ", cu.SubscriptionCount, cerr)
	for _, w := range ws {
		out += fmt.Sprintf("v%d %s %v paused=%v previous=%v; ", w.Version, w.URL, w.Types, w.Paused, w.PreviousSecret != "")
	}
	return out + fmt.Sprint(err)
}
