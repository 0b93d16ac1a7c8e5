package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/infra/local/samplereceiver"
	"github.com/portalaccess/portalaccess/shared/app/subscriptions"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/events"
)

// webhook is a subscription as the API answers it.
type webhook struct {
	ID                  string   `json:"id"`
	URL                 string   `json:"url"`
	EventTypes          []string `json:"eventTypes"`
	Description         *string  `json:"description"`
	Paused              bool     `json:"paused"`
	PausedReason        *string  `json:"pausedReason"`
	Failures            int      `json:"failures"`
	PreviousSecretUntil *string  `json:"previousSecretUntil"`
	Version             int      `json:"version"`
	Secret              *string  `json:"secret"`
}

type webhookDelivery struct {
	EventID   string `json:"eventId"`
	EventType string `json:"eventType"`
	Attempt   int    `json:"attempt"`
	OK        bool   `json:"ok"`
	Status    *int   `json:"status"`
}

// webhooksOf is customer cid's subscriptions as the API has them (a list
// never holds a secret).
func (c *apiClient) webhooksOf(cid string) []webhook {
	c.t.Helper()
	var l struct{ Items []webhook }
	c.call("GET", "/v1/customers/"+cid+"/webhooks", nil, 200, &l)
	for _, w := range l.Items {
		if w.Secret != nil {
			c.t.Fatalf("the list shows %s's secret", w.URL)
		}
	}
	return l.Items
}

func (c *apiClient) deliveriesOf(cid, id string) []webhookDelivery {
	c.t.Helper()
	var l struct{ Items []webhookDelivery }
	c.call("GET", "/v1/customers/"+cid+"/webhooks/"+id+"/deliveries", nil, 200, &l)
	return l.Items
}

func webhookRow(u string) string { return `#webhooks tr[data-url="` + u + `"]` }

// receiverPath is a path of the sample receiver of this test alone.
func receiverPath(name string) string {
	return fmt.Sprintf("/hooks/%s-%d", name, seq.Add(1)+time.Now().UnixNano()%100000*10)
}

// receivedAt waits until the sample receiver took n deliveries at path,
// and answers them, newest first.
func receivedAt(t *testing.T, path string, n int) []samplereceiver.Delivery {
	t.Helper()
	deadline := time.Now().Add(step)
	for {
		var got []samplereceiver.Delivery
		for _, d := range st.Webhooks.Receiver.Deliveries() {
			if d.Path == path {
				got = append(got, d)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver took %d deliveries at %s, want %d", len(got), path, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// trustSecret gives the sample receiver a secret to verify signatures with.
func trustSecret(t *testing.T, secret string) {
	t.Helper()
	res, err := http.PostForm(st.Info.Webhooks.Receiver+"/secret", url.Values{"secret": {secret}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}

// untilLogged clicks Refresh on the delivery log until it lists a
// delivery matching sel (the delivery reaches the log once recorded).
func (p *page) untilLogged(sel string) {
	p.t.Helper()
	s, _ := json.Marshal(sel)
	deadline := time.Now().Add(step)
	for p.eval(fmt.Sprintf(`String(!!document.querySelector(%s))`, s)) != "true" {
		if time.Now().After(deadline) {
			p.fail("wait for "+sel+" in the delivery log", fmt.Errorf("timed out"))
		}
		p.click("#refresh-deliveries")
		p.settled()
		p.until("refreshed", `!document.getElementById('refresh-deliveries').disabled`)
	}
}

// manageWebhooks is one person's whole round on customer cu's webhooks
// screen: add one pointing at the sample receiver (a refused URL first),
// see its secret once and copy it, a change in the API delivered and in
// the delivery log, change it, pause and resume it, a new secret after a
// confirmation that names the 24 hours, then delete it (a No first);
// after each step the API says what the screen said. types are the event
// types to tick; none is All events.
func manageWebhooks(t *testing.T, p *page, a *apiClient, cu customer, types ...string) {
	t.Helper()
	p.allowClipboard(site)
	p.navigate(site + "/#/c/" + cu.ID + "/users")
	p.click(`nav a[href="#/c/` + cu.ID + `/webhooks"]`)
	p.waitText("main h1", "Webhooks of "+cu.Name)
	p.waitText("#webhooks", "This customer has no webhooks yet.")
	p.checkA11y("webhooks, none yet")

	// Add: a plain http URL elsewhere than this computer is refused next
	// to the field, and nothing is added.
	path := receiverPath("console")
	hook := st.Info.Webhooks.Receiver + path
	p.click("#add-webhook")
	p.visible("#webhook-form")
	p.focused("name", "url", "the URL field")
	if p.eval(`String(document.getElementById('type-choices').hidden)`) != "true" {
		t.Fatal("All events is not the first choice")
	}
	p.checkA11y("add a webhook")
	p.typeInto("#webhook-form input[name=url]", "http://hooks.acme.example/in")
	p.refused("#webhook-form", "url", "Use https://")
	p.checkA11y("add a webhook, the URL refused")
	if n := len(a.webhooksOf(cu.ID)); n != 0 {
		t.Fatalf("after the refusal the customer has %d webhooks", n)
	}
	p.retype("#webhook-form input[name=url]", hook)
	if len(types) > 0 {
		p.click("#webhook-form input[name=allEvents]")
		p.visible("#type-choices")
		for _, e := range types {
			p.click(`#webhook-form input[name=eventTypes][value="` + e + `"]`)
		}
		p.checkA11y("add a webhook, event types chosen")
	}
	p.typeInto("#webhook-form textarea[name=description]", "The CRM's intake")
	p.click("#webhook-form [data-role=submit]")

	// The secret, once, in its own dialog; copied; gone when it closes.
	p.visible("#secret-dialog")
	p.gone("#webhook-form")
	p.waitText("#secret-dialog", "You will not see this secret again.")
	p.focused("id", "copy-secret", "the copy button")
	secret := p.eval(`document.querySelector('#secret-dialog input.wh-secret').value`)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("the secret shown is %q", secret)
	}
	p.checkA11y("the secret, once")
	p.click("#copy-secret")
	p.waitText("#copy-result", "The secret is copied to the clipboard.")
	if copied := p.clipboard(); copied != secret {
		t.Fatalf("the clipboard holds %q, want the secret", copied)
	}
	p.click("#secret-done")
	p.gone("#secret-dialog")
	p.waitText("#notice", "The webhook to "+hook+" was added.")
	p.waitText(webhookRow(hook), "Active")
	p.waitText(webhookRow(hook), "The CRM's intake")
	if f := p.eval(`document.activeElement.dataset.action + ' ' + document.activeElement.closest('tr').dataset.url`); f != "edit "+hook {
		t.Fatalf("after the secret the focus is on %q", f)
	}
	if len(types) == 0 {
		p.waitText(webhookRow(hook), "All events")
	} else {
		for _, e := range types {
			p.waitText(webhookRow(hook), e)
		}
	}
	if p.eval(`String(document.documentElement.outerHTML.includes(`+jsString(secret)+`))`) != "false" {
		t.Fatal("the secret is still in the page after its dialog closed")
	}
	p.checkA11y("webhooks, one")
	ws := a.webhooksOf(cu.ID)
	if len(ws) != 1 || ws[0].URL != hook || !sameSet(ws[0].EventTypes, types) || ws[0].Paused ||
		ws[0].Description == nil || *ws[0].Description != "The CRM's intake" {
		t.Fatalf("the API holds %+v", ws)
	}
	w := ws[0]

	// A change in the API is delivered, signed with that secret, and shows
	// in the delivery log.
	trustSecret(t, secret)
	invited := uniqueEmail("hooked")
	a.invite(cu.ID, map[string]any{"email": invited})
	var got samplereceiver.Delivery
	deadline := time.Now().Add(step)
	for got.Type != "user.invited" {
		for _, d := range receivedAt(t, path, 1) {
			if d.Type == "user.invited" {
				got = d
			}
		}
		if got.Type == "" && time.Now().After(deadline) {
			t.Fatal("no user.invited delivered")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !got.Verified || !strings.Contains(got.Body, invited) {
		t.Fatalf("the receiver took %+v", got)
	}
	p.click(webhookRow(hook) + ` a[data-action=deliveries]`)
	p.waitText("main h1", "Delivery log of "+hook)
	p.untilLogged(`#deliveries tr[data-event="` + got.ID + `"]`)
	logged := `#deliveries tr[data-event="` + got.ID + `"]`
	p.waitText(logged, "user.invited")
	p.waitText(logged, "Delivered (HTTP 204)")
	p.checkA11y("the delivery log")
	var inLog *webhookDelivery
	for _, d := range a.deliveriesOf(cu.ID, w.ID) {
		if d.EventID == got.ID {
			inLog = &d
		}
	}
	if inLog == nil || !inLog.OK || inLog.Status == nil || *inLog.Status != 204 || inLog.Attempt != 1 || inLog.EventType != "user.invited" {
		t.Fatalf("the API's log has %+v", inLog)
	}
	p.click("#back-to-webhooks")
	p.waitText("main h1", "Webhooks of "+cu.Name)

	// Change it: its description, and one more event type (or, from all
	// events, one type only).
	p.click(webhookRow(hook) + ` button[data-action=edit]`)
	p.visible("#webhook-form")
	p.checkA11y("change a webhook")
	p.retype("#webhook-form textarea[name=description]", "The CRM")
	want := append([]string{}, types...)
	if len(types) == 0 {
		p.click("#webhook-form input[name=allEvents]")
		want = []string{"user.enabled"}
	} else {
		want = append(want, "user.enabled")
	}
	p.click(`#webhook-form input[name=eventTypes][value="user.enabled"]`)
	p.submit("#webhook-form", "The webhook to "+hook+" was changed.")
	p.waitText(webhookRow(hook), "user.enabled")
	w = a.webhooksOf(cu.ID)[0]
	if w.Description == nil || *w.Description != "The CRM" || !sameSet(w.EventTypes, want) {
		t.Fatalf("after the change the API holds %+v, want types %v", w, want)
	}

	// Pause, then resume.
	p.click(webhookRow(hook) + ` button[data-action=pause]`)
	p.waitText("#notice", "is paused: nothing is sent to it until you resume it.")
	p.waitText(webhookRow(hook), "Paused")
	p.waitText(webhookRow(hook)+` button[data-action=pause]`, "Resume")
	if f := p.eval(`document.activeElement.dataset.action`); f != "pause" {
		t.Fatalf("after pausing the focus is on %q", f)
	}
	p.checkA11y("webhooks, one paused")
	if w = a.webhooksOf(cu.ID)[0]; !w.Paused || w.PausedReason != nil {
		t.Fatalf("after the pause the API holds %+v", w)
	}
	p.click(webhookRow(hook) + ` button[data-action=pause]`)
	p.waitText("#notice", "is resumed: deliveries go out to it again.")
	p.waitText(webhookRow(hook), "Active")
	if w = a.webhooksOf(cu.ID)[0]; w.Paused {
		t.Fatalf("after the resume the API holds %+v", w)
	}

	// A new secret: the confirmation says the old one works 24 h more; a
	// new secret, once; the row says until when the old one signs.
	p.click(webhookRow(hook) + ` button[data-action=rotate]`)
	p.visible("dialog.confirm")
	p.waitText("dialog.confirm", "The old secret keeps working for 24 hours beside the new one")
	p.checkA11y("new secret, the confirmation")
	p.click("#confirm-no")
	p.gone("dialog.confirm")
	if again := a.webhooksOf(cu.ID)[0]; again.Version != w.Version || again.PreviousSecretUntil != nil {
		t.Fatalf("after No the API holds %+v", again)
	}
	p.click(webhookRow(hook) + ` button[data-action=rotate]`)
	p.visible("dialog.confirm")
	p.click("#confirm-yes")
	p.visible("#secret-dialog")
	p.waitText("#secret-dialog", "The old one keeps signing beside it until")
	p.waitText("#secret-dialog", "You will not see this secret again.")
	renewed := p.eval(`document.querySelector('#secret-dialog input.wh-secret').value`)
	if !strings.HasPrefix(renewed, "whsec_") || renewed == secret {
		t.Fatalf("the new secret shown is %q (the old %q)", renewed, secret)
	}
	p.checkA11y("the new secret, once")
	p.click("#secret-done")
	p.gone("#secret-dialog")
	p.waitText("#notice", "has a new secret; the old one also signs until")
	p.waitText(webhookRow(hook), "The previous secret also signs until")
	if f := p.eval(`document.activeElement.dataset.action`); f != "rotate" {
		t.Fatalf("after the new secret the focus is on %q", f)
	}
	w = a.webhooksOf(cu.ID)[0]
	until, err := time.Parse(time.RFC3339Nano, deref(w.PreviousSecretUntil))
	if err != nil || until.Sub(now()) < 23*time.Hour || until.Sub(now()) > 25*time.Hour {
		t.Fatalf("the old secret signs until %v (%v)", w.PreviousSecretUntil, err)
	}

	// Delete: No keeps it; Yes deletes it.
	p.click(webhookRow(hook) + ` button[data-action=delete]`)
	p.visible("dialog.confirm")
	p.waitText("dialog.confirm", "delete the webhook to "+hook)
	p.checkA11y("delete a webhook, the confirmation")
	p.click("#confirm-no")
	p.gone("dialog.confirm")
	if n := len(a.webhooksOf(cu.ID)); n != 1 {
		t.Fatalf("after No the customer has %d webhooks", n)
	}
	p.click(webhookRow(hook) + ` button[data-action=delete]`)
	p.visible("dialog.confirm")
	p.click("#confirm-yes")
	p.waitText("#notice", "The webhook to "+hook+" was deleted.")
	p.waitText("#webhooks", "This customer has no webhooks yet.")
	p.checkA11y("webhooks, the last deleted")
	if n := len(a.webhooksOf(cu.ID)); n != 0 {
		t.Fatalf("after the delete the customer has %d webhooks", n)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if !seen[x] {
			return false
		}
	}
	return true
}

// Issue 16: an operator admin adds a customer's webhook for two event
// types and goes round the whole screen.
func TestAnOperatorManagesACustomersWebhooks(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Hooks"))
	op := asOperator(t, "operator")
	manageWebhooks(t, op, a, cu, "user.invited", "user.disabled")
}

// Issue 16: the customer's portal admin does the same for all events.
func TestAPortalAdminManagesTheirWebhooks(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Own hooks"))
	boss := a.newPortalAdmin(cu.ID, "boss")
	pa := signedIn(t, "portal admin", boss, password)
	manageWebhooks(t, pa, signInAPI(t, boss, password), cu)
}

// failingEndpoint is a webhook endpoint that answers every delivery 503.
func failingEndpoint(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// deliverOnce delivers one portal.registered event of customer cid to its
// webhook hookID with the deliveries' own code, whose threshold here is
// one failure, not ten over a day: a failing endpoint is paused at once.
func deliverOnce(cid, hookID string) (events.Event, subscriptions.Outcome, error) {
	d := &subscriptions.Deliverer{Store: st.Store, Sealer: st.Services.Subscriptions.Sealer, Client: subscriptions.NewClient(true), Log: st.Env.Log,
		Config: subscriptions.DeliveryConfig{Timeout: 5 * time.Second, RetryBase: time.Hour, RetryMax: time.Hour, PauseAfter: 1, Hold: time.Hour},
		Now:    now}
	ev := events.Event{ID: domain.NewID(domain.PrefixEvent), Type: "portal.registered", Version: events.Version, Timestamp: now().UTC(),
		Data: events.Data{CustomerID: &cid, Actor: events.Actor{ID: "system", Kind: "system"}, Target: domain.Target{Kind: "portal", ID: "por_x"}}}
	out, err := d.Deliver(context.Background(), subscriptions.Job{CustomerID: cid, SubscriptionID: hookID, Event: ev.Marshal()}, 1)
	return ev, out, err
}

// An endpoint that keeps failing is paused by the system: its row says so,
// its delivery log shows the failure and when it is tried again, and a
// resume makes it active with its failures cleared. (The deliveries'
// own code fails the post; only its threshold is one failure here, not
// ten over a day.)
func TestAWebhookPausedByTheSystemSaysSo(t *testing.T) {
	failing := failingEndpoint(t)
	a := admin(t)
	cu := a.newCustomer(unique("Failing hooks"))
	var w webhook
	a.call("POST", "/v1/customers/"+cu.ID+"/webhooks", map[string]any{"url": failing.URL + "/in", "eventTypes": []string{"portal.registered"}}, 201, &w)

	ev, out, err := deliverOnce(cu.ID, w.ID)
	if err != nil || out.Done {
		t.Fatalf("the failing delivery: %+v %v", out, err)
	}
	if w = a.webhooksOf(cu.ID)[0]; !w.Paused || deref(w.PausedReason) != "failing" || w.Failures != 1 {
		t.Fatalf("after the failure the API holds %+v", w)
	}

	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/webhooks")
	hook := failing.URL + "/in"
	op.waitText(webhookRow(hook), "Paused by the system")
	op.waitText(webhookRow(hook), "Deliveries kept failing (1 in a row since")
	op.waitText(webhookRow(hook), "Fix the endpoint, then resume it.")
	op.checkA11y("webhooks, one paused by the system")
	op.click(webhookRow(hook) + ` a[data-action=deliveries]`)
	logged := `#deliveries tr[data-event="` + ev.ID + `"]`
	op.visible(logged)
	op.waitText(logged, "Failed: HTTP 503")
	if op.eval(`String(!!document.querySelector('`+logged+` td:last-child time'))`) != "true" {
		t.Fatal("the failed delivery shows no next retry")
	}
	op.waitText("#webhook-status", "Paused by the system")
	op.checkA11y("the delivery log, a failure")

	// The same on a phone: the list, the add dialog, the log.
	ph := asOperator(t, "operator (phone)", phone())
	ph.navigate(site + "/#/c/" + cu.ID + "/webhooks")
	ph.waitText(webhookRow(hook), "Paused by the system")
	ph.checkA11y("webhooks on a phone")
	ph.click("#add-webhook")
	ph.visible("#webhook-form")
	ph.click("#webhook-form input[name=allEvents]")
	ph.visible("#type-choices")
	ph.checkA11y("add a webhook on a phone")
	ph.click("#webhook-form [data-role=cancel]")
	ph.gone("#webhook-form")
	ph.navigate(site + "/#/c/" + cu.ID + "/webhooks/" + w.ID)
	ph.visible(logged)
	ph.checkA11y("the delivery log on a phone")
	if n := len(a.webhooksOf(cu.ID)); n != 1 {
		t.Fatalf("after Cancel the customer has %d webhooks", n)
	}

	op.click("#back-to-webhooks")
	op.click(webhookRow(hook) + ` button[data-action=pause]`)
	op.waitText("#notice", "is resumed")
	op.waitText(webhookRow(hook), "Active")
	if w = a.webhooksOf(cu.ID)[0]; w.Paused || w.PausedReason != nil || w.Failures != 0 {
		t.Fatalf("after the resume the API holds %+v", w)
	}
}

// Technicians have no webhooks screen: no nav entry, the link shows the
// customer's users instead, and the API refuses them.
func TestATechnicianSeesNoWebhooks(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("No hooks"))
	addr := newOperator(t)
	tech := signedIn(t, "technician", addr, password)
	tech.navigate(site + "/#/c/" + cu.ID + "/users")
	tech.visible(`nav a[href="#/c/` + cu.ID + `/roles"]`)
	if n := tech.eval(`String(document.querySelectorAll('nav a[href*="/webhooks"]').length)`); n != "0" {
		t.Fatalf("a technician has %s webhooks links", n)
	}
	tech.navigate(site + "/#/c/" + cu.ID + "/webhooks")
	tech.waitText("main h1", "Users of "+cu.Name)
	if tech.eval(`String(!!document.getElementById('add-webhook'))`) != "false" {
		t.Fatal("a technician sees the webhooks screen")
	}
	signInAPI(t, addr, password).call("GET", "/v1/customers/"+cu.ID+"/webhooks", nil, 403, nil)
}

// A delivery log longer than a page is paged, newest first; each failure
// says why.
func TestAWebhooksDeliveryLogIsPaged(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Paged hooks"))
	var w webhook
	a.call("POST", "/v1/customers/"+cu.ID+"/webhooks", map[string]any{"url": "https://hooks.acme.example/in", "eventTypes": []string{"portal.registered"}}, 201, &w)
	// Thirty attempts at one event, as the deliveries record them: the
	// receiver unreachable, then answering 500, then 204.
	ev := domain.NewID(domain.PrefixEvent)
	at := now().UTC().Add(-time.Hour)
	for n := 1; n <= 30; n++ {
		d := domain.WebhookDelivery{CustomerID: cu.ID, SubscriptionID: w.ID, EventID: ev, EventType: "portal.registered", Attempt: n,
			At: at.Add(time.Duration(n) * time.Minute)}
		switch {
		case n == 30:
			d.OK, d.Status = true, 204
		case n <= 10:
			d.Error = "connection"
		default:
			d.Status, d.Error = 500, "status 500"
		}
		if !d.OK {
			next := d.At.Add(time.Minute)
			d.NextRetry = &next
		}
		if err := st.Store.RecordWebhookDelivery(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	attempts := func(p *page) string {
		return p.eval(`[...document.querySelectorAll('#deliveries tbody tr')].map(r => r.querySelector('td:nth-child(2)').innerText).join(' ')`)
	}
	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/webhooks/" + w.ID)
	op.waitText("main h1", "Delivery log of https://hooks.acme.example/in")
	op.visible("#deliveries")
	want := []string{}
	for n := 30; n > 5; n-- {
		want = append(want, fmt.Sprint(n))
	}
	if got := attempts(op); got != strings.Join(want, " ") {
		t.Fatalf("page 1 shows attempts %s", got)
	}
	op.waitText(`#deliveries tbody tr:first-child`, "Delivered (HTTP 204)")
	op.waitText(`#deliveries tbody tr:nth-child(2)`, "Failed: HTTP 500")
	op.checkA11y("a delivery log, page 1")
	op.click(`nav.pager [data-page=next]`)
	op.until("page 2", `document.querySelectorAll('#deliveries tbody tr').length === 5`)
	if got := attempts(op); got != "5 4 3 2 1" {
		t.Fatalf("page 2 shows attempts %s", got)
	}
	op.waitText(`#deliveries tbody tr:first-child`, "Failed: could not connect")
	op.waitText("nav.pager", "Page 2")
	op.checkA11y("a delivery log, page 2")
	var page2 struct {
		Items      []webhookDelivery
		NextCursor *string
	}
	var page1 struct{ NextCursor *string }
	a.call("GET", "/v1/customers/"+cu.ID+"/webhooks/"+w.ID+"/deliveries?limit=25", nil, 200, &page1)
	a.call("GET", "/v1/customers/"+cu.ID+"/webhooks/"+w.ID+"/deliveries?limit=25&cursor="+url.QueryEscape(deref(page1.NextCursor)), nil, 200, &page2)
	if len(page2.Items) != 5 || page2.Items[0].Attempt != 5 || page2.NextCursor != nil {
		t.Fatalf("the API's page 2 holds %+v", page2)
	}
	op.click(`nav.pager [data-page=prev]`)
	op.until("page 1", `document.querySelectorAll('#deliveries tbody tr').length === 25`)
	op.waitText("nav.pager", "Page 1")
}

// A change someone else made first, and one webhook past the limit: the
// screen says so and nothing of ours is applied.
func TestAWebhookChangedElsewhereOrOverTheLimit(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Busy hooks"))
	base := "/v1/customers/" + cu.ID + "/webhooks"
	var w webhook
	a.call("POST", base, map[string]any{"url": "https://hooks.acme.example/first", "eventTypes": []string{}}, 201, &w)
	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/webhooks")
	op.click(webhookRow(w.URL) + ` button[data-action=edit]`)
	op.visible("#webhook-form")
	a.call("PATCH", base+"/"+w.ID, map[string]any{"description": "Theirs"}, 200, nil)
	op.typeInto("#webhook-form textarea[name=description]", "Mine")
	op.submit("#webhook-form", "Someone else changed or deleted this webhook in the meantime.")
	op.gone("#webhook-form")
	op.waitText(webhookRow(w.URL), "Theirs")
	op.checkA11y("webhooks, a change overtaken")
	if got := a.webhooksOf(cu.ID)[0]; deref(got.Description) != "Theirs" || got.Version != w.Version+1 {
		t.Fatalf("the API holds %+v", got)
	}

	for i := 2; i <= domain.MaxSubscriptions; i++ {
		a.call("POST", base, map[string]any{"url": fmt.Sprintf("https://hooks.acme.example/%d", i)}, 201, nil)
	}
	op.navigate(site + "/#/c/" + cu.ID + "/users")
	op.click(`nav a[href="#/c/` + cu.ID + `/webhooks"]`)
	op.waitText("#webhooks-count", "10 of at most 10 webhooks.")
	op.click("#add-webhook")
	op.visible("#webhook-form")
	op.typeInto("#webhook-form input[name=url]", "https://hooks.acme.example/eleventh")
	op.click("#webhook-form [data-role=submit]")
	op.waitText("#webhook-form .form-error", "This customer has 10 webhooks, as many as it may have: delete one first.")
	op.checkA11y("add a webhook, over the limit")
	if n := len(a.webhooksOf(cu.ID)); n != domain.MaxSubscriptions {
		t.Fatalf("after the refusal the customer has %d webhooks", n)
	}
	if op.eval(`String(!!document.getElementById('secret-dialog'))`) != "false" {
		t.Fatal("a secret dialog opened for a refused webhook")
	}
}
