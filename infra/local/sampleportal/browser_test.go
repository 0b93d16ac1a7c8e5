package sampleportal_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/portalaccess/portalaccess/infra/local/cognitofront/fronttest"
	"github.com/portalaccess/portalaccess/infra/local/sampleportal"
	"github.com/portalaccess/portalaccess/infra/local/testkit"
)

const password = "correct horse battery staple"

func chromium(t *testing.T) string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if q, err := exec.LookPath(p); err == nil {
			return q
		}
	}
	t.Skip("no Chromium (make chromium, or set CHROMIUM)")
	return ""
}

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + l.Addr().String()
}

// fakeAPI answers GET /v1/portal-access as the API would, with CORS for
// the sample portal's origin, for an access token of the front for the
// portal's client.
type fakeAPI struct {
	origin, issuer, email string
	clientID              atomic.Value
	status                atomic.Int32
	calls                 atomic.Int32
	mu                    sync.Mutex
	problems              []string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/portal-access" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", f.origin)
	w.Header().Set("Vary", "Origin")
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "GET")
		w.Header().Set("Access-Control-Allow-Headers", "Authorization")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	f.calls.Add(1)
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	var c struct {
		ClientID string `json:"client_id"`
		Iss      string `json:"iss"`
		TokenUse string `json:"token_use"`
	}
	parts := strings.Split(tok, ".")
	if len(parts) == 3 {
		b, _ := base64.RawURLEncoding.DecodeString(parts[1])
		_ = json.Unmarshal(b, &c)
	}
	if c.ClientID != f.clientID.Load() || c.Iss != f.issuer || c.TokenUse != "access" {
		f.mu.Lock()
		f.problems = append(f.problems, fmt.Sprintf("token: %+v", c))
		f.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch s := int(f.status.Load()); s {
	case 401:
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"code":"unauthenticated","status":401}`))
	case 403:
		w.WriteHeader(403)
		_, _ = w.Write([]byte(`{"code":"no_portal_access","status":403}`))
	default:
		_ = json.NewEncoder(w).Encode(map[string]any{
			"portal":   map[string]string{"id": "ptl_1", "name": "Bestelportaal <b>", "url": f.origin + "/"},
			"customer": map[string]string{"id": "cus_1", "name": "Bakkerij De Korenbloem", "locale": "nl"},
			"user":     map[string]string{"id": "usr_1", "email": f.email, "name": "Bob"},
			"admin":    true, "roles": []string{"orders", "invoices"},
		})
	}
}

type tab struct {
	t    *testing.T
	ctx  context.Context
	mu   sync.Mutex
	errs []string
}

func openTab(t *testing.T, browser context.Context, lang string) *tab {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	tb := &tab{t: t, ctx: ctx}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.IsException() || m.Source == "security" || strings.Contains(m.Text, "Content Security Policy") {
				tb.mu.Lock()
				tb.errs = append(tb.errs, m.String())
				tb.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, e := range tb.errs {
			t.Errorf("the page: %s", e)
		}
	})
	if lang != "" {
		ua := run[string](tb, "user agent", chromedp.Evaluate[string](`navigator.userAgent`))
		tb.do("language", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: lang})
			return err
		}))
	}
	return tb
}

func run[T any](tb *tab, what string, a chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.fail(what, err)
	}
	return v
}

func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	for _, a := range actions {
		run(tb, what, a)
	}
}

func (tb *tab) fail(what string, err error) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	tb.t.Fatalf("%s: %v\nat %s\nthe page says:\n%s", what, err, loc, text)
}

// until waits for a JavaScript expression to be true, across page loads.
func (tb *tab) until(what, expr string) {
	tb.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("timed out")
			}
			tb.fail("wait for "+what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func js(s string) string { b, _ := json.Marshal(s); return string(b) }

func textIs(id, want string) string {
	return fmt.Sprintf(`(document.getElementById(%s)||{}).textContent === %s`, js(id), js(want))
}

func visible(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%s); return !!e && !e.closest('[hidden]') && e.offsetParent !== null; })()`, js(sel))
}

// TestBrowserSignIn signs in to the sample portal in Chromium through the
// Cognito front, with oidc-client-ts, and shows a stub API's answer.
func TestBrowserSignIn(t *testing.T) {
	exe := chromium(t)
	began := time.Now()
	var logs testkit.LockedBuffer
	env, err := fronttest.Start(context.Background(), fronttest.Options{Log: &logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Stop)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("front's log:\n" + logs.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)

	email := "bob@example.com"
	if _, err := env.User(ctx, email, password); err != nil {
		t.Fatal(err)
	}
	// The portal listens first: its URL is its setup's URL.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	portalURL := "http://" + l.Addr().String() + "/"
	api := &fakeAPI{origin: strings.TrimSuffix(portalURL, "/"), issuer: env.Issuer, email: email}
	api.clientID.Store("")
	apiURL := serve(t, api)
	h, err := sampleportal.New(sampleportal.Options{
		URL: portalURL, Authority: env.Issuer, APIURL: apiURL,
		ClientID: func(context.Context) (string, bool) {
			id := api.clientID.Load().(string)
			return id, id != ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })

	profile := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.UserDataDir(profile), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("accept-lang", "en-US"),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatal("start Chromium:", err)
	}
	t.Logf("front, emulators and Chromium ready in %s", time.Since(began).Round(100*time.Millisecond))

	p := openTab(t, browser, "")
	// No portal setup yet.
	p.do("open the portal", chromedp.Navigate(portalURL))
	p.until("the set-up hint", textIs("setup-text", "Create a portal setup with URL "+portalURL+" in the console. Then reload this page."))

	clientID, err := env.Client(ctx, "sample-portal", []string{portalURL}, []string{portalURL})
	if err != nil {
		t.Fatal(err)
	}
	api.clientID.Store(clientID)
	signIn := func(tb *tab, submit string) {
		tb.t.Helper()
		tb.until("the sign-in button", visible("#signin"))
		tb.do("sign in", chromedp.Click(chromedp.CSS("#signin")))
		tb.until("the managed login", fmt.Sprintf(`location.href.startsWith(%s) && !!document.querySelector('#password')`, js(env.URL+"/oauth2/authorize?")))
		tb.do("fill in", chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), password))
		tb.do("submit", chromedp.Click(chromedp.CSS(submit)))
		tb.until("back on the portal", fmt.Sprintf(`location.href === %s`, js(portalURL)))
	}

	p.do("reload", chromedp.Navigate(portalURL))
	signIn(p, "button[type=submit]")
	p.until("the API's answer", textIs("who", "Bob <"+email+"> (usr_1)"))
	for id, want := range map[string]string{
		"customer": "Bakkerij De Korenbloem (cus_1) language: nl", "portal": "Bestelportaal <b> (ptl_1) " + portalURL,
		"admin": "yes", "roles": "orders, invoices",
	} {
		p.until(id, textIs(id, want))
	}
	// The code is gone from the address bar and the history.
	if loc := run(p, "location", chromedp.Location()); loc != portalURL {
		t.Errorf("location %s", loc)
	}
	calls := api.calls.Load()
	p.do("ask again", chromedp.Click(chromedp.CSS("#ask")))
	deadline := time.Now().Add(5 * time.Second)
	for api.calls.Load() == calls && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if api.calls.Load() != calls+1 {
		t.Errorf("Ask again: %d calls, want %d", api.calls.Load(), calls+1)
	}

	api.status.Store(403)
	p.do("ask again", chromedp.Click(chromedp.CSS("#ask")))
	p.until("no access", textIs("message", "Your account has no access to this portal."))

	api.status.Store(401)
	p.do("ask again", chromedp.Click(chromedp.CSS("#ask")))
	p.until("signed out", textIs("message", "You can no longer sign in to this portal.")+" && "+visible("#signin"))
	p.until("no user kept", `!Object.keys(sessionStorage).some(k => k.startsWith('oidc.user:'))`)

	// Again, then sign out: the refresh token is revoked, /logout comes back.
	api.status.Store(200)
	signIn(p, "button[type=submit]")
	p.until("the API's answer", textIs("admin", "yes"))
	key := "oidc.user:" + env.Issuer + ":" + clientID
	refresh := run(p, "the refresh token", chromedp.Evaluate[string](fmt.Sprintf(`JSON.parse(sessionStorage.getItem(%s)).refresh_token`, js(key))))
	p.do("sign out", chromedp.Click(chromedp.CSS("#signout")))
	p.until("signed out and back", fmt.Sprintf(`location.href === %s && `, js(portalURL))+visible("#signin"))
	res, err := http.PostForm(env.URL+"/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {clientID}, "refresh_token": {refresh}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("the refresh token after signing out: %d", res.StatusCode)
	}

	// In Dutch: the portal and the managed login.
	nl := openTab(t, browser, "nl-NL,nl")
	nl.do("open the portal", chromedp.Navigate(portalURL))
	nl.until("Dutch", textIs("signin", "Inloggen"))
	nl.do("sign in", chromedp.Click(chromedp.CSS("#signin")))
	nl.until("the managed login in Dutch", `document.documentElement.lang === 'nl' && document.body.innerText.includes('Wachtwoord vergeten?')`)
	if u := run(nl, "location", chromedp.Location()); !strings.Contains(u, "ui_locales=nl") {
		t.Errorf("no ui_locales in %s", u)
	}

	api.mu.Lock()
	defer api.mu.Unlock()
	for _, p := range api.problems {
		t.Error("the API got a bad token:", p)
	}
}
