// Package browser drives the web console and the accept-invitation page in
// headless Chromium (Debian's chromium package, through chromedp) against a
// local stack of its own: one stack and one browser per test binary, one
// isolated browser context (like a private window) per person in a test.
//
// The console is served as the local gateway will serve it: console.Handler
// for every path, and /v1/ passed on to the API, on one origin.
package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/stack"
	"github.com/portalaccess/portalaccess/infra/local/testkit"
	"github.com/portalaccess/portalaccess/shared/console"
)

const (
	// step bounds every single browser step (a click, a wait for a text).
	step = 15 * time.Second
	// cooldown is REINVITE_COOLDOWN in these tests; the re-invite story
	// moves the handlers' clock past it instead of waiting.
	cooldown = 30 * time.Second
	password = "correct horse battery staple"
)

var (
	st *stack.Stack
	// site is the origin that serves the console and passes /v1/ to the API.
	site string
	// browser is the context of the one Chromium of this test binary.
	browser context.Context
	// clockOffset moves the handlers' clock (the re-invite cooldown).
	clockOffset atomic.Int64
	// logs keeps the stack's log lines; printed when a test fails.
	logs lockedBuffer
)

func now() time.Time { return time.Now().Add(time.Duration(clockOffset.Load())) }

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	chromium, err := findChromium()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.Background()
	began := time.Now()
	// Operators need no authenticator app on this stack, so that the other
	// screens' tests sign them in with a password; the test of setting one
	// up turns the requirement on for itself (requireMFA).
	env := map[string]string{"REINVITE_COOLDOWN": cooldown.String(), "OPERATOR_MFA": "off"}
	st, err = testkit.StartStack(ctx, env, stack.Options{
		Log:        slog.New(slog.NewTextHandler(&logs, nil)),
		Now:        now,
		MaxBackoff: 20 * time.Millisecond,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Stop()

	stopSite, err := serveConsole()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stopSite()

	profile, err := os.MkdirTemp("", "portal-access-chromium-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// This machine has no network beyond loopback: Chromium must not
		// try to reach Google's services.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("accept-lang", "en-US"),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	var cancelBrowser context.CancelFunc
	browser, cancelBrowser = chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil { // starts Chromium, with no timeout
		fmt.Fprintln(os.Stderr, "start Chromium:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "browser tests: stack and Chromium ready in %s\n", time.Since(began).Round(100*time.Millisecond))
	return m.Run()
}

// findChromium finds Debian's chromium (make chromium installs it).
func findChromium() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("the browser tests need Chromium: run `make chromium` (Debian's chromium package) or set CHROMIUM")
}

// serveConsole serves console.Handler and proxies /v1/ to the API on one
// origin, as the local gateway does.
func serveConsole() (stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	site = "http://" + l.Addr().String()
	api, err := url.Parse(st.Info.APIURL)
	if err != nil {
		return nil, err
	}
	cfg := console.Config{
		Mode: console.ModeLocal, APIURL: site, Region: "us-east-1",
		UserPoolID: st.Info.Cognito.UserPoolID, ClientID: st.Info.Cognito.ClientID,
		CognitoEndpoint: st.Info.Cognito.Endpoint,
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", httputil.NewSingleHostReverseProxy(api))
	mux.Handle("/", console.Handler(cfg))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return func() { _ = srv.Close() }, nil
}

type lockedBuffer = testkit.LockedBuffer

// ---- a person in a browser -------------------------------------------------

// page is one person's tab, in a browser context of its own (separate
// storage, as a private window).
type page struct {
	t    *testing.T
	name string
	ctx  context.Context
	mu   sync.Mutex
	errs []string
}

type pageOption func(*pageSetup)

type pageSetup struct {
	width, height int64
	mobile        bool
	lang          string
}

func phone() pageOption            { return func(s *pageSetup) { s.width, s.height, s.mobile = 390, 844, true } }
func language(l string) pageOption { return func(s *pageSetup) { s.lang = l } }

// open starts a tab for one person.
func open(t *testing.T, name string, opts ...pageOption) *page {
	t.Helper()
	s := pageSetup{width: 1280, height: 860}
	for _, o := range opts {
		o(&s)
	}
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // opens the tab, bound to ctx, not to a step's timeout
		t.Fatalf("open a tab: %v", err)
	}
	p := &page{t: t, name: name, ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() {
				p.mu.Lock()
				p.errs = append(p.errs, m.String())
				p.mu.Unlock()
			}
		}
	}()
	viewport := []chromedp.EmulateViewportOption{}
	if s.mobile {
		viewport = append(viewport, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	p.do("set the viewport", chromedp.EmulateViewport(s.width, s.height, viewport...))
	if s.lang != "" {
		ua := p.eval(`navigator.userAgent`)
		p.do("set the language", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
				UserAgent: ua, AcceptLanguage: s.lang,
			})
			return err
		}))
	}
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, e := range p.errs {
			t.Errorf("%s's page threw: %s", name, e)
		}
	})
	return p
}

// do runs browser steps, each bounded by the step timeout; a failure ends
// the test with a screenshot and the page's text.
func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	for _, a := range actions {
		ctx, cancel := context.WithTimeout(p.ctx, step)
		err := chromedp.Do(ctx, a)
		cancel()
		if err != nil {
			p.fail(what, err)
		}
	}
}

func (p *page) fail(what string, err error) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	shot := ""
	if png, e := chromedp.Run(ctx, chromedp.CaptureScreenshot()); e == nil {
		shot = filepath.Join(os.TempDir(), fmt.Sprintf("browser-%s-%s.png", sanitize(p.t.Name()), sanitize(p.name)))
		_ = os.WriteFile(shot, png, 0o644)
	}
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	p.t.Fatalf("%s (%s): %v\nat %s\nthe page says:\n%s\nscreenshot: %s", what, p.name, err, loc, text, shot)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func sanitize(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

func (p *page) navigate(u string) { p.t.Helper(); p.do("open "+u, chromedp.Navigate(u)) }

func (p *page) click(sel string) {
	p.t.Helper()
	p.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

func (p *page) typeInto(sel, text string) {
	p.t.Helper()
	p.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// clear empties a field that was typed into (chromedp.Clear only resets
// the value attribute, which a typed-in field no longer follows).
func (p *page) clear(sel string) {
	p.t.Helper()
	s, _ := json.Marshal(sel)
	p.do("clear "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(() => { const e = document.querySelector(%s); e.value = ''; e.dispatchEvent(new Event('input', {bubbles: true})); })()`, s)))
}

func (p *page) visible(sel string) {
	p.t.Helper()
	p.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

func (p *page) gone(sel string) {
	p.t.Helper()
	p.do("wait for "+sel+" to go", chromedp.WaitNotPresent(chromedp.CSS(sel)))
}

// until waits for a JavaScript expression to be true. It survives page
// loads, unlike a poll inside the page.
func (p *page) until(what, expr string) {
	p.t.Helper()
	deadline := time.Now().Add(step)
	var last error
	for {
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			if last == nil {
				last = errors.New("timed out")
			}
			p.fail("wait until "+what, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitText waits until the element sel shows text (as a substring).
func (p *page) waitText(sel, text string) {
	p.t.Helper()
	s, _ := json.Marshal(sel)
	x, _ := json.Marshal(text)
	p.until(fmt.Sprintf("%s shows %q", sel, text),
		fmt.Sprintf(`(() => { const e = document.querySelector(%s); return !!e && e.innerText.includes(%s); })()`, s, x))
}

func (p *page) text(sel string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, step)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.fail("read "+sel, err)
	}
	return s
}

func (p *page) eval(expr string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, step)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		p.fail("evaluate "+expr, err)
	}
	return s
}

// choose picks an option of a <select>, as a person would with the
// keyboard: the value changes and the page hears "change".
func (p *page) choose(sel, value string) {
	p.t.Helper()
	p.pick(sel, value)
	p.settled()
}

// settled waits until no list is loading (aria-busy), so that what the
// test reads or clicks next is the new list, not the one it replaces.
func (p *page) settled() {
	p.t.Helper()
	p.until("the page is not busy", `!document.querySelector('[aria-busy="true"]')`)
}

// retype replaces what a field says, as a person selecting it all and
// typing over it would.
func (p *page) retype(sel, text string) {
	p.t.Helper()
	p.clear(sel)
	p.typeInto(sel, text)
}

// submit submits form and waits for the notice that says what was done.
func (p *page) submit(form, notice string) {
	p.t.Helper()
	p.click(form + " [data-role=submit]")
	p.waitText("#notice", notice)
}

// refused submits form and waits for the error the form shows next to
// its field.
func (p *page) refused(form, field, message string) {
	p.t.Helper()
	p.click(form + " [data-role=submit]")
	p.waitText(form+" [data-field="+field+"] .field-error", message)
}

// focused checks where the focus is: prop is read off
// document.activeElement (id, name, …); where names it in the failure.
func (p *page) focused(prop, want, where string) {
	p.t.Helper()
	if got := p.eval("document.activeElement." + prop); got != want {
		p.t.Fatalf("focus on %q, want %s", got, where)
	}
}

// confirmAsks waits for the confirmation dialog to ask question, with the
// focus on No (the safe answer), and checks the dialog; the test answers.
func (p *page) confirmAsks(question, screen string) {
	p.t.Helper()
	p.waitText("dialog.confirm", question)
	p.focused("id", "confirm-no", "No")
	p.checkA11y(screen)
}

// signIn signs in on the console's sign-in form.
func (p *page) signIn(email, pw string) {
	p.t.Helper()
	p.submitSignIn(email, pw)
	p.visible("#sign-out")
}

// signedIn opens a tab for one person and signs them in.
func signedIn(t *testing.T, name, email, pw string, opts ...pageOption) *page {
	t.Helper()
	p := open(t, name, opts...)
	p.signIn(email, pw)
	return p
}

// asOperator opens a tab signed in as the stack's operator admin.
func asOperator(t *testing.T, name string, opts ...pageOption) *page {
	t.Helper()
	return signedIn(t, name, st.Info.Admin.Email, st.Info.Admin.Password, opts...)
}

// submitSignIn signs in on the form and waits for the page after it,
// whatever it is (the enrolment, for an operator without an app).
func (p *page) submitSignIn(email, pw string) {
	p.t.Helper()
	p.navigate(site + "/")
	p.visible("#signin-email")
	p.typeInto("#signin-email", email)
	p.typeInto("#signin input[name=password]", pw)
	p.click("#signin-submit")
	p.gone("#signin-submit")
}

// ---- the API, for what a test arranges before the browser acts -------------

type apiClient struct {
	t     *testing.T
	token string
}

// initiateAuth is InitiateAuth (USER_PASSWORD_AUTH, the console's app
// client) for email and pw at the stack's Cognito endpoint.
func initiateAuth(t *testing.T, email, pw string) *http.Response {
	t.Helper()
	return cognitoCall(t, "InitiateAuth", map[string]any{
		"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": st.Info.Cognito.ClientID,
		"AuthParameters": map[string]string{"USERNAME": email, "PASSWORD": pw},
	})
}

// cognitoCall makes one call of the Cognito API (action, e.g.
// InitiateAuth) at the stack's endpoint, as the console's SDK does.
func cognitoCall(t *testing.T, action string, in any) *http.Response {
	t.Helper()
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest("POST", st.Info.Cognito.Endpoint+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+action)
	// A fresh connection: cognito-local (Node) closes idle ones after 5 s,
	// and a POST on a connection closing at that moment fails with EOF.
	req.Close = true
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func signInAPI(t *testing.T, email, pw string) *apiClient {
	t.Helper()
	res := initiateAuth(t, email, pw)
	defer res.Body.Close()
	var out struct {
		AuthenticationResult struct{ AccessToken string }
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.AuthenticationResult.AccessToken == "" {
		t.Fatalf("sign in as %s: %d %v", email, res.StatusCode, err)
	}
	return &apiClient{t: t, token: out.AuthenticationResult.AccessToken}
}

func admin(t *testing.T) *apiClient { return signInAPI(t, st.Info.Admin.Email, st.Info.Admin.Password) }

func anonymous(t *testing.T) *apiClient { return &apiClient{t: t} }

// call makes one API request and checks its status; out receives the JSON.
func (c *apiClient) call(method, path string, body any, status int, out any) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, st.Info.APIURL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatal(err)
		}
	}
}

type customer struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type portal struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

type user = testkit.User

var seq atomic.Int64

// unique makes a name no other test uses (the stack lives for the binary).
func unique(prefix string) string {
	return fmt.Sprintf("%s %d", prefix, seq.Add(1)+time.Now().UnixNano()%100000*10)
}

func uniqueEmail(local string) string {
	return fmt.Sprintf("%s%d@acme.example", local, seq.Add(1)+time.Now().UnixNano()%100000*10)
}

func (c *apiClient) newCustomer(name string) customer {
	c.t.Helper()
	var cu customer
	c.call("POST", "/v1/customers", map[string]any{"name": name, "locale": "en"}, 201, &cu)
	return cu
}

func (c *apiClient) newPortal(cid, name, u string) portal {
	c.t.Helper()
	var p portal
	c.call("POST", "/v1/customers/"+cid+"/portals", map[string]any{"name": name, "url": u}, 201, &p)
	return p
}

// newRoles adds roles to a customer's catalogue: a member's roles come from it.
func (c *apiClient) newRoles(cid string, names ...string) {
	c.t.Helper()
	for _, n := range names {
		c.call("POST", "/v1/customers/"+cid+"/roles", map[string]any{"name": n}, 201, nil)
	}
}

func (c *apiClient) invite(cid string, body map[string]any) user {
	c.t.Helper()
	var u user
	c.call("POST", "/v1/customers/"+cid+"/users", body, 201, &u)
	return u
}

func (c *apiClient) users(cid, query string) []user {
	c.t.Helper()
	var page struct {
		Items []user `json:"items"`
	}
	c.call("GET", "/v1/customers/"+cid+"/users"+query, nil, 200, &page)
	return page.Items
}

// newPortalAdmin invites a portal admin ("Boss") of customer cid, at an
// address made of local, and accepts the invitation by the API: they can
// sign in with password. It returns their address.
func (c *apiClient) newPortalAdmin(cid, local string) string {
	c.t.Helper()
	boss := uniqueEmail(local)
	c.invite(cid, map[string]any{"email": boss, "name": "Boss", "admin": true})
	acceptByAPI(c.t, boss)
	return boss
}

// acceptByAPI accepts the newest invitation to addr with the password.
func acceptByAPI(t *testing.T, addr string) {
	t.Helper()
	anonymous(t).call("POST", "/v1/invitations/accept", map[string]any{"token": tokenOf(t, latestLink(t, addr, 1)), "password": password}, 200, nil)
}

// ---- the SES emulator's mailbox ----------------------------------------------

type email = emulators.Email

func emailsTo(t *testing.T, addr string) []email {
	t.Helper()
	mails, err := emulators.Mailbox(st.Info.SES.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return emulators.To(mails, addr)
}

var linkInMail = regexp.MustCompile(`(https?://[^\s/"<>]+)(/accept-invitation#token=[A-Za-z0-9_-]{43})\b`)

// latestLink waits until at least n e-mails reached addr and returns the
// link of the newest, moved to the test's own origin (locally the e-mail
// names the API's origin, where the gateway will serve the console too).
func latestLink(t *testing.T, addr string, n int) string {
	t.Helper()
	mails := awaitMails(t, addr, n)
	m := linkInMail.FindStringSubmatch(mails[len(mails)-1].Body.Text)
	if m == nil {
		t.Fatalf("no invitation link in %q", mails[len(mails)-1].Body.Text)
	}
	if m[1] != st.Info.APIURL {
		t.Fatalf("the link's origin is %s, want the stack's PORTAL_URL %s", m[1], st.Info.APIURL)
	}
	return site + m[2]
}

// awaitMails waits until at least n e-mails reached addr and returns all
// of them, oldest first.
func awaitMails(t *testing.T, addr string, n int) []email {
	t.Helper()
	deadline := time.Now().Add(step)
	for {
		mails := emailsTo(t, addr)
		if len(mails) >= n {
			return mails
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d e-mails to %s, want %d", len(mails), addr, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	i := strings.Index(link, "#token=")
	if i < 0 {
		t.Fatal(link)
	}
	return link[i+len("#token="):]
}
