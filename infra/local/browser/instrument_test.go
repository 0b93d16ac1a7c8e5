package browser

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// What a test sees of a page beyond its DOM: the requests its code makes,
// requests held back or answered by the test, and the clipboard.

// recordFetches wraps the page's fetch so that the page itself keeps a
// list of the requests its code made ({method, url}) and marks each as
// read once the code has read its answer's body. A mark is set just before
// the code that awaits the body goes on, in the same run of microtasks: so
// when a later evaluation sees the mark, the page has done what it does with
// that answer. It lasts until the document is replaced.
func (p *page) recordFetches() {
	p.t.Helper()
	p.eval(`(() => {
  if (window.__fetches) return '';
  const log = window.__fetches = [];
  const fetch = window.fetch;
  window.fetch = function (input, init) {
    const entry = { method: String((init && init.method) || 'GET'), url: String(input instanceof Request ? input.url : input), read: false };
    log.push(entry);
    return fetch.apply(this, arguments).then((res) => {
      for (const m of ['json', 'text']) {
        const read = res[m].bind(res);
        res[m] = () => read().finally(() => { entry.read = true; });
      }
      return res;
    }, (e) => { entry.read = true; throw e; });
  };
  return '';
})()`)
}

type fetched struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	Read   bool   `json:"read"`
}

// fetches are the requests recorded since recordFetches.
func (p *page) fetches() []fetched {
	p.t.Helper()
	var out []fetched
	if err := json.Unmarshal([]byte(p.eval(`JSON.stringify(window.__fetches || null)`)), &out); err != nil || out == nil {
		p.t.Fatalf("no requests recorded (recordFetches first): %v", err)
	}
	return out
}

// read waits until the page's code has read the answer to its request of
// url (see recordFetches).
func (p *page) read(url string) {
	p.t.Helper()
	u, _ := json.Marshal(url)
	p.until("the page read the answer of "+url, fmt.Sprintf(`(window.__fetches || []).some(f => f.url === %s && f.read)`, u))
}

// held holds back the page's requests whose URL matches a pattern (the
// DevTools Fetch domain: * is any text), one by one, until the test lets
// each go on or answers it itself.
type held struct {
	p      *page
	paused chan *fetch.EventRequestPaused
}

// hold starts holding the page's requests that match pattern. It lasts
// until the test ends, across page loads.
func (p *page) hold(pattern string) *held {
	p.t.Helper()
	h := &held{p: p, paused: make(chan *fetch.EventRequestPaused, 16)}
	events := chromedp.Events(p.ctx, fetch.RequestPaused)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			h.paused <- &ev
		}
	}()
	if _, err := chromedp.Call(p.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: pattern}}}); err != nil {
		p.fail("hold "+pattern, err)
	}
	return h
}

// next is the next request held, once the page has made it.
func (h *held) next(what string) *fetch.EventRequestPaused {
	h.p.t.Helper()
	select {
	case ev := <-h.paused:
		return ev
	case <-time.After(step):
		h.p.fail("wait for the request of "+what, fmt.Errorf("none was made in %s", step))
		return nil
	}
}

// proceed lets a held request go on to the server.
func (h *held) proceed(ev *fetch.EventRequestPaused) {
	h.p.t.Helper()
	if _, err := chromedp.Call(h.p.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID}); err != nil {
		h.p.fail("let "+ev.Request.URL+" go on", err)
	}
}

// answer answers a held request instead of the server: a problem+json of
// status and code, as the API writes them.
func (h *held) answer(ev *fetch.EventRequestPaused, status int, code string) {
	h.p.t.Helper()
	body, _ := json.Marshal(map[string]any{"type": "about:blank", "title": "Unavailable", "status": status, "code": code,
		"detail": "held by the test", "requestId": "test"})
	if _, err := chromedp.Call(h.p.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
		RequestID: ev.RequestID, ResponseCode: int64(status), Body: body,
		ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/problem+json"}},
	}); err != nil {
		h.p.fail("answer "+ev.Request.URL, err)
	}
}

// allowClipboard lets the page at origin read and write the clipboard, as
// a person who said yes to the browser's question.
func (p *page) allowClipboard(origin string) {
	p.t.Helper()
	id := chromedp.FromContext(p.ctx).BrowserContextID
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(p.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted,
			Origin: origin, BrowserContextID: id,
		}); err != nil {
			p.fail("allow "+name, err)
		}
	}
}

// clipboard is the clipboard's text, as the page reads it.
func (p *page) clipboard() string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil {
		p.fail("read the clipboard", err)
	}
	return s
}

// pick chooses an option of a <select> as choose does, without waiting for
// what it loads.
func (p *page) pick(sel, value string) {
	p.t.Helper()
	s, _ := json.Marshal(sel)
	v, _ := json.Marshal(value)
	p.do("choose "+value+" in "+sel, chromedp.Focus(chromedp.CSS(sel)), chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(() => { const s = document.querySelector(%s); s.value = %s; s.dispatchEvent(new Event('change', {bubbles: true})); })()`, s, v)))
}

// present says whether an element matches sel now.
func (p *page) present(sel string) bool {
	p.t.Helper()
	s, _ := json.Marshal(sel)
	return p.eval(fmt.Sprintf(`String(!!document.querySelector(%s))`, s)) == "true"
}

// texts are the texts of the elements sel matches, in document order.
func (p *page) texts(sel string) []string {
	p.t.Helper()
	s, _ := json.Marshal(sel)
	var out []string
	if err := json.Unmarshal([]byte(p.eval(fmt.Sprintf(`JSON.stringify([...document.querySelectorAll(%s)].map(e => e.textContent.trim()))`, s))), &out); err != nil {
		p.t.Fatal(err)
	}
	return out
}

// at waits until the tab is at an address that begins with prefix and
// shows an element sel (across page loads and redirects).
func (p *page) at(prefix, sel string) {
	p.t.Helper()
	u, _ := json.Marshal(prefix)
	s, _ := json.Marshal(sel)
	p.until(fmt.Sprintf("at %s with %s", prefix, sel), fmt.Sprintf(
		`location.href.startsWith(%s) && document.readyState === 'complete' && (() => { const e = document.querySelector(%s); return !!e && !e.closest('[hidden]') && e.getClientRects().length > 0; })()`, u, s))
}

// signInStatus is what InitiateAuth (USER_PASSWORD_AUTH, the console's
// app client) answers for email and pw at the stack's Cognito endpoint:
// 200 when they sign in.
func signInStatus(t *testing.T, email, pw string) int {
	t.Helper()
	res := initiateAuth(t, email, pw)
	res.Body.Close()
	return res.StatusCode
}
