package subscriptions_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/subscriptions"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/events"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/webhooks"
)

func world(t *testing.T) (*apptest.World, *subscriptions.Service, *subscriptions.Deliverer) {
	cfg := apptest.Config()
	cfg.WebhookKey, cfg.WebhookLocal = make([]byte, 32), true
	cfg.WebhookRetryBase, cfg.WebhookRetryMax, cfg.WebhookPauseAfter, cfg.WebhookPauseSpan, cfg.WebhookHold = time.Second, 4*time.Second, 3, time.Hour, time.Minute
	w := apptest.NewWith(t, cfg)
	return w, w.Env.Subscriptions(), w.Env.Deliverer()
}

func str(s string) *string { return &s }

// Who manages a customer's subscriptions: operator admins and its portal
// admins; technicians and plain members are forbidden, another customer's
// admin finds nothing; a refusal changes nothing.
func TestWhoManagesSubscriptions(t *testing.T) {
	w, svc, _ := world(t)
	c, d := w.NewCustomer("Acme", "en"), w.NewCustomer("Other", "en")
	_, admin := w.User(c.ID, "admin@acme.example", true)
	_, plain := w.User(c.ID, "plain@acme.example", false)
	_, otherAdmin := w.User(d.ID, "admin@other.example", true)
	_, tech := w.Operator("tech@provider.example", domain.RoleTechnician)
	in := subscriptions.Input{URL: str("https://hooks.acme.example/x")}
	for _, r := range []struct {
		who  *access.Caller
		want error
	}{{tech, access.ErrForbidden}, {plain, access.ErrForbidden}, {otherAdmin, access.ErrNotFound}} {
		if _, _, err := svc.Create(w.Ctx(), r.who, c.ID, in, nil); !errors.Is(err, r.want) {
			t.Errorf("create: %v, want %v", err, r.want)
		}
	}
	if ws, _ := w.Store.Subscriptions(w.Ctx(), c.ID); len(ws) != 0 {
		t.Fatalf("refusals made %d subscriptions", len(ws))
	}
	for _, who := range []*access.Caller{w.Admin, admin} {
		sub, secret, err := svc.Create(w.Ctx(), who, c.ID, in, nil)
		if err != nil || sub.Secret == secret || len(secret) < 40 {
			t.Fatalf("create: %v %+v", err, sub)
		}
	}
}

// Bad input is refused field by field, and nothing is written.
func TestSubscriptionInput(t *testing.T) {
	w, svc, _ := world(t)
	c := w.NewCustomer("Acme", "en")
	for _, in := range []subscriptions.Input{
		{URL: str("http://hooks.acme.example/")},
		{URL: str("not a url")},
		{URL: str("https://hooks.acme.example/"), Types: &[]string{"user.nope"}},
		{URL: str("https://hooks.acme.example/"), Description: str(string(make([]byte, 201)))},
		{},
	} {
		if _, _, err := svc.Create(w.Ctx(), w.Admin, c.ID, in, nil); len(apptest.Fields(err)) == 0 {
			t.Errorf("%+v: %v, want field errors", in, err)
		}
	}
	if n := w.Audit(domain.CustomerScope(c.ID)); n != 1 { // customer.created
		t.Errorf("refusals wrote %d audit events", n-1)
	}
}

// A port none can dial is refused as a bad url, at creation and at a
// change, as portal URLs are; the subscription keeps its URL.
func TestAWebhookPortMustBeDialable(t *testing.T) {
	w, svc, _ := world(t)
	c := w.NewCustomer("Acme", "en")
	sub, _, err := svc.Create(w.Ctx(), w.Admin, c.ID, subscriptions.Input{URL: str("https://hooks.acme.example:8443/x")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	events := w.Audit(domain.CustomerScope(c.ID))
	for _, u := range []string{"https://hooks.acme.example:0/x", "https://hooks.acme.example:65536/x", "https://hooks.acme.example:99999/x", "http://localhost:0/"} {
		_, _, err := svc.Create(w.Ctx(), w.Admin, c.ID, subscriptions.Input{URL: str(u)}, nil)
		if f := apptest.Fields(err); len(f) != 1 || f[0] != "url:invalid_url" {
			t.Errorf("create at %s: %v", u, err)
		}
		_, err = svc.Update(w.Ctx(), w.Admin, c.ID, sub.ID, subscriptions.Input{URL: str(u)}, 0)
		if f := apptest.Fields(err); len(f) != 1 || f[0] != "url:invalid_url" {
			t.Errorf("update to %s: %v", u, err)
		}
	}
	if ws, _ := w.Store.Subscriptions(w.Ctx(), c.ID); len(ws) != 1 || ws[0].URL != "https://hooks.acme.example:8443/x" || ws[0].Version != sub.Version {
		t.Fatalf("after the refusals: %+v", ws)
	}
	if n := w.Audit(domain.CustomerScope(c.ID)); n != events {
		t.Errorf("refusals wrote %d audit events", n-events)
	}
}

// At delivery (not local) an address that carries a private IPv4 one to a
// NAT64 translator or a 6to4 relay is not dialled: the log says
// private_address, as for the private address itself. A webhook kept from
// before the check at creation is one such.
func TestADeliveryIsNotDialledToAPrivateAddressInsideAnIPv6One(t *testing.T) {
	w, svc, d := world(t) // local: the creation takes any https URL
	d.Client = subscriptions.NewClient(false)
	c := w.NewCustomer("Acme", "en")
	cid := c.ID
	for i, u := range []string{"https://[64:ff9b::7f00:1]:8443/x", "https://[64:ff9b::a9fe:a9fe]/latest", "https://[2002:a00:1::1]/x", "https://10.0.0.1/x"} {
		sub, _, err := svc.Create(w.Ctx(), w.Admin, c.ID, subscriptions.Input{URL: str(u)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ev := events.Event{ID: fmt.Sprintf("evt_%d", i), Type: "user.invited", Version: 1, Timestamp: w.Clock.Now(), Data: events.Data{CustomerID: &cid,
			Target: domain.Target{Kind: "user", ID: "usr_1"}}}
		jobs, _, err := d.FanOut(w.Ctx(), ev.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if j.SubscriptionID != sub.ID {
				continue
			}
			if o, err := d.Deliver(w.Ctx(), j, 1); err != nil || o.Done {
				t.Fatalf("%s: %+v %v", u, o, err)
			}
		}
		log, err := svc.WebhookDeliveries(w.Ctx(), w.Admin, c.ID, sub.ID, 10, nil)
		if err != nil || len(log.Items) != 1 || log.Items[0].OK || log.Items[0].Error != "private_address" {
			b, _ := json.Marshal(log)
			t.Errorf("%s: %v %s", u, err, b)
		}
	}
}

// receiver answers status to every delivery and keeps what it took.
type receiver struct {
	mu     sync.Mutex
	status int
	got    [][]byte
	hdr    []http.Header
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got, r.hdr = append(r.got, b), append(r.hdr, req.Header.Clone())
	w.WriteHeader(r.status)
}

// A delivery is signed with the current secret and, after a rotation, the
// previous one too; failures back off, count in a row and, past the limit
// over the span, pause the subscription; a paused one holds; a resume
// clears the run.
func TestDeliver(t *testing.T) {
	w, svc, d := world(t)
	c := w.NewCustomer("Acme", "en")
	rc := &receiver{status: 204}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	sub, secret, err := svc.Create(w.Ctx(), w.Admin, c.ID, subscriptions.Input{URL: str(srv.URL), Types: &[]string{"user.invited"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cid := c.ID
	ev := events.Event{ID: "evt_1", Type: "user.invited", Version: 1, Timestamp: w.Clock.Now(), Data: events.Data{CustomerID: &cid,
		Target: domain.Target{Kind: "user", ID: "usr_1"}}}
	jobs, _, err := d.FanOut(w.Ctx(), ev.Marshal())
	if err != nil || len(jobs) != 1 || jobs[0].SubscriptionID != sub.ID {
		t.Fatalf("fan-out: %v %+v", err, jobs)
	}
	other := ev
	other.Type = "user.deleted"
	if jobs, _, _ := d.FanOut(w.Ctx(), other.Marshal()); len(jobs) != 0 {
		t.Errorf("a type not subscribed fanned out: %+v", jobs)
	}
	if o, err := d.Deliver(w.Ctx(), jobs[0], 1); err != nil || !o.Done {
		t.Fatalf("deliver: %+v %v", o, err)
	}
	if err := webhooks.Verify(rc.hdr[0], secret, rc.got[0], w.Clock.Now()); err != nil {
		t.Errorf("verify: %v", err)
	}
	_, newSecret, err := svc.Rotate(w.Ctx(), w.Admin, c.ID, sub.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	d.Deliver(w.Ctx(), jobs[0], 1)
	for _, s := range []string{secret, newSecret} {
		if err := webhooks.Verify(rc.hdr[1], s, rc.got[1], w.Clock.Now()); err != nil {
			t.Errorf("after the rotation, verify: %v", err)
		}
	}
	w.Clock.Advance(25 * time.Hour)
	d.Deliver(w.Ctx(), jobs[0], 1)
	if webhooks.Verify(rc.hdr[2], secret, rc.got[2], w.Clock.Now()) == nil {
		t.Error("the old secret still signs after its grace")
	}

	rc.status = 500
	var retries []time.Duration
	for n := 1; n <= 3; n++ {
		o, err := d.Deliver(w.Ctx(), jobs[0], n)
		if err != nil || o.Done {
			t.Fatalf("a failing attempt: %+v %v", o, err)
		}
		retries = append(retries, o.Retry)
	}
	if retries[0] != time.Second || retries[1] != 2*time.Second || retries[2] != 4*time.Second {
		t.Errorf("backoff %v", retries)
	}
	got, _ := svc.Get(w.Ctx(), w.Admin, c.ID, sub.ID)
	if got.Paused || got.Failures != 3 {
		t.Errorf("three failures within the span: %+v", got)
	}
	w.Clock.Advance(2 * time.Hour)
	d.Deliver(w.Ctx(), jobs[0], 4)
	got, _ = svc.Get(w.Ctx(), w.Admin, c.ID, sub.ID)
	if !got.Paused || got.PausedReason != "failing" {
		t.Fatalf("failing for over the span: %+v", got)
	}
	tried := len(rc.got)
	if o, _ := d.Deliver(w.Ctx(), jobs[0], 5); o.Done || o.Retry != time.Minute || len(rc.got) != tried {
		t.Errorf("a paused subscription: %+v, tried %d", o, len(rc.got)-tried)
	}
	paused := false
	for _, a := range w.Actions(t, c.ID) {
		paused = paused || a == domain.ActionSubscriptionPaused
	}
	if !paused {
		t.Error("no subscription.paused on the trail")
	}
	resumed, err := svc.Update(w.Ctx(), w.Admin, c.ID, sub.ID, subscriptions.Input{Paused: new(bool)}, 0)
	if err != nil || resumed.Paused || resumed.Failures != 0 {
		t.Fatalf("resume: %+v %v", resumed, err)
	}
	log, err := svc.WebhookDeliveries(w.Ctx(), w.Admin, c.ID, sub.ID, 100, nil)
	if err != nil || len(log.Items) != 7 || log.Items[0].OK || log.Items[len(log.Items)-1].Attempt != 1 {
		b, _ := json.Marshal(log)
		t.Errorf("the log: %v %s", err, b)
	}
	// Deleted: a job for it is done, undelivered.
	if err := svc.Delete(w.Ctx(), w.Admin, c.ID, sub.ID, 0); err != nil {
		t.Fatal(err)
	}
	if o, err := d.Deliver(w.Ctx(), jobs[0], 6); err != nil || !o.Done {
		t.Errorf("a job of a deleted subscription: %+v %v", o, err)
	}
	if _, err := svc.Get(w.Ctx(), w.Admin, c.ID, sub.ID); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("get a deleted one: %v", err)
	}
}

// The audit trail (which technicians read, and which other subscriptions
// receive as events) names a webhook by its origin: a URL's path and query
// may carry the receiver's secret.
func TestTheTrailNamesAWebhookByItsOriginOnly(t *testing.T) {
	w, svc, _ := world(t)
	c := w.NewCustomer("Acme", "en")
	secretURL := "https://hooks.chat.example/services/T000/B000/XXXXsecretXXXX?token=abc"
	sub, _, err := svc.Create(w.Ctx(), w.Admin, c.ID, subscriptions.Input{URL: str(secretURL)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.Store.ListAudit(w.Ctx(), domain.CustomerScope(c.ID), 200, nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range p.Items {
		if e.Target.ID != sub.ID {
			continue
		}
		found = true
		if e.Target.Name == nil || *e.Target.Name != "https://hooks.chat.example" {
			t.Fatalf("%s names the webhook %v", e.Action, e.Target.Name)
		}
	}
	if !found {
		t.Fatal("no event names the webhook")
	}
	// The webhook itself still answers its whole URL to those who manage it.
	if got, err := svc.Get(w.Ctx(), w.Admin, c.ID, sub.ID); err != nil || got.URL != secretURL {
		t.Fatalf("%q %v", got.URL, err)
	}
}

// A change of a subscription sent without If-Match lands over one made
// meanwhile (another admin's, or the deliverer pausing it); a rotation
// answers the secret that landed; with If-Match, the same race is refused
// as stale and changes nothing.
func TestASubscriptionChangeWithoutIfMatchLandsOverOneMadeMeanwhile(t *testing.T) {
	w, svc, _ := world(t)
	c := w.NewCustomer("Acme", "en")
	sub, _, err := svc.Create(w.Ctx(), w.Admin, c.ID, subscriptions.Input{URL: str("https://hooks.acme.example/x")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	describe := func(int32) error {
		n++
		_, err := svc.Update(w.Ctx(), w.Admin, c.ID, sub.ID, subscriptions.Input{Description: str(fmt.Sprint("meanwhile ", n))}, 0)
		return err
	}
	w.Meanwhile("ChangeSubscription", 1, describe)
	got, err := svc.Update(w.Ctx(), w.Admin, c.ID, sub.ID, subscriptions.Input{URL: str("https://hooks.acme.example/y")}, 0)
	if err != nil || got.URL != "https://hooks.acme.example/y" || got.Description != "meanwhile 1" || got.Version != sub.Version+2 {
		t.Fatalf("%+v %v", got, err)
	}
	w.Meanwhile("ChangeSubscription", 1, describe)
	rotated, secret, err := svc.Rotate(w.Ctx(), w.Admin, c.ID, sub.ID, 0)
	if err != nil || rotated.Version != got.Version+2 {
		t.Fatalf("%+v %v", rotated, err)
	}
	ws, err := w.Store.Subscriptions(w.Ctx(), c.ID)
	if err != nil || len(ws) != 1 || ws[0].Secret != rotated.Secret || ws[0].Secret == secret || ws[0].Version != rotated.Version {
		t.Fatalf("the secret stored is not the one answered: %+v %v", ws, err)
	}
	w.Meanwhile("ChangeSubscription", 1, describe)
	if err := svc.Delete(w.Ctx(), w.Admin, c.ID, sub.ID, rotated.Version); !errors.Is(err, state.ErrStale) {
		t.Fatal(err)
	}
	w.Meanwhile("ChangeSubscription", 1, describe)
	if err := svc.Delete(w.Ctx(), w.Admin, c.ID, sub.ID, 0); err != nil {
		t.Fatal(err)
	}
	if ws, _ := w.Store.Subscriptions(w.Ctx(), c.ID); len(ws) != 0 {
		t.Fatalf("%+v", ws)
	}
}
