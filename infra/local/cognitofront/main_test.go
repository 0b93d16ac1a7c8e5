package cognitofront_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portalaccess/portalaccess/infra/local/cognitofront/fronttest"
	"github.com/portalaccess/portalaccess/infra/local/cognitofront/lambdalocal"
	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/testkit"
)

var (
	env  *fronttest.Env
	logs testkit.LockedBuffer
	// dutch are the clients whose CustomMessage answers in Dutch; failing
	// the e-mails whose trigger fails.
	dutch, failing sync.Map
	// locales answer the front's Locale hook: client id → [locale, customer, portal].
	locales sync.Map
	// clockOffset moves the front's clock.
	clockOffset atomic.Int64
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	began := time.Now()
	var err error
	env, err = fronttest.Start(context.Background(), fronttest.Options{
		Log: &logs,
		Now: func() time.Time { return time.Now().Add(time.Duration(clockOffset.Load())) },
		Locale: func(_ context.Context, clientID string) (string, string, string) {
			if v, ok := locales.Load(clientID); ok {
				l := v.([3]string)
				return l[0], l[1], l[2]
			}
			return "", "", ""
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the front and its emulators:", err)
		return 1
	}
	defer env.Stop()
	env.Functions.Register(fronttest.CustomMessage, customMessage)
	fmt.Fprintf(os.Stderr, "cognitofront tests: emulators and front ready in %s\n", time.Since(began).Round(100*time.Millisecond))
	code := m.Run()
	if code != 0 {
		fmt.Fprintln(os.Stderr, "---- log ----\n"+logs.String())
	}
	return code
}

// customMessage stands in for the product's CustomMessage trigger, with
// the same types (aws-lambda-go's event, through lambdalocal.Typed): it
// words the message in Dutch for the clients in dutch, in English for the
// others, with {####} where the code goes.
var customMessage = lambdalocal.Typed(func(_ context.Context, ev events.CognitoEventUserPoolsCustomMessage) (events.CognitoEventUserPoolsCustomMessage, error) {
	email, _ := ev.Request.UserAttributes["email"].(string)
	if _, ok := failing.Load(email); ok {
		return ev, errors.New("the trigger fails for this user")
	}
	if ev.TriggerSource != "CustomMessage_ForgotPassword" || ev.Request.CodeParameter != "{####}" {
		return ev, nil
	}
	ev.Response.EmailSubject, ev.Response.EmailMessage = "Your Portal Access code", "<p>Hello,</p><p>your code is <b>{####}</b>.</p>"
	if _, ok := dutch.Load(ev.CallerContext.ClientID); ok {
		ev.Response.EmailSubject, ev.Response.EmailMessage = "Je code voor Portal Access", "<p>Hallo,</p><p>je code is <b>{####}</b>. Nogmaals: {####}</p>"
	}
	return ev, nil
})

// ---- helpers -------------------------------------------------------------

const password = "correct horse battery staple"

var noRedirects = &http.Client{
	Timeout:       15 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

var seq struct {
	sync.Mutex
	n int
}

func unique(prefix string) string {
	seq.Lock()
	defer seq.Unlock()
	seq.n++
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e6, seq.n)
}

// portal is an app client with its callback and logout URLs.
type portal struct {
	id, callback, logout string
}

func newPortal(t *testing.T) portal {
	t.Helper()
	name := unique("portal")
	p := portal{callback: "http://127.0.0.1:1/" + name + "/callback", logout: "http://127.0.0.1:1/" + name + "/"}
	id, err := env.Client(ctx(t), name, []string{p.callback}, []string{p.logout})
	if err != nil {
		t.Fatal(err)
	}
	p.id = id
	return p
}

func newUser(t *testing.T) string {
	t.Helper()
	email := unique("user") + "@example.com"
	if _, err := env.User(ctx(t), email, password); err != nil {
		t.Fatal(err)
	}
	return email
}

func pkce() (verifier, challenge string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(h[:])
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, path string, form url.Values, header ...string) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = env.URL + path
	}
	req, err := http.NewRequestWithContext(ctx(t), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

func authorizeQuery(p portal, challenge, state string) url.Values {
	return url.Values{
		"client_id": {p.id}, "redirect_uri": {p.callback}, "response_type": {"code"},
		"scope": {"openid email"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {state},
	}
}

var sealedPattern = regexp.MustCompile(`name="p" value="([^"]+)"`)

// sealed reads the hidden request field of a page.
func sealed(t *testing.T, page response) string {
	t.Helper()
	m := sealedPattern.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no form on the page (%d):\n%s", page.status, page.body)
	}
	return html.UnescapeString(m[1])
}

// signInPage opens the sign-in page of an authorization request.
func signInPage(t *testing.T, q url.Values, header ...string) response {
	t.Helper()
	page := do(t, "GET", "/oauth2/authorize?"+q.Encode(), nil, header...)
	if page.status != http.StatusOK {
		t.Fatalf("authorize: %d\n%s", page.status, page.body)
	}
	return page
}

// signIn posts the sign-in form.
func signIn(t *testing.T, page response, email, pw string) response {
	t.Helper()
	return do(t, "POST", "/login", url.Values{"p": {sealed(t, page)}, "email": {email}, "password": {pw}})
}

// codeOf reads the code (and checks the state) of the redirect after
// signing in.
func codeOf(t *testing.T, res response, p portal, state string) string {
	t.Helper()
	if res.status != http.StatusFound {
		t.Fatalf("sign-in answered %d, want 302:\n%s", res.status, res.body)
	}
	loc, err := url.Parse(res.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != p.callback {
		t.Fatalf("redirected to %s, want %s", got, p.callback)
	}
	if loc.Query().Get("state") != state {
		t.Fatalf("state %q, want %q", loc.Query().Get("state"), state)
	}
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in %s", loc)
	}
	return code
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Error        string `json:"error"`
}

func tokenCall(t *testing.T, form url.Values) (int, tokens) {
	t.Helper()
	res := do(t, "POST", "/oauth2/token", form)
	var tk tokens
	if err := json.Unmarshal([]byte(res.body), &tk); err != nil {
		t.Fatalf("token endpoint: %d %q", res.status, res.body)
	}
	return res.status, tk
}

func exchange(t *testing.T, p portal, code, verifier string) (int, tokens) {
	t.Helper()
	return tokenCall(t, url.Values{
		"grant_type": {"authorization_code"}, "client_id": {p.id}, "code": {code},
		"redirect_uri": {p.callback}, "code_verifier": {verifier},
	})
}

// login runs the code flow to the end and returns the tokens.
func login(t *testing.T, p portal, email, pw string) tokens {
	t.Helper()
	verifier, challenge := pkce()
	state := unique("state")
	code := codeOf(t, signIn(t, signInPage(t, authorizeQuery(p, challenge, state)), email, pw), p, state)
	status, tk := exchange(t, p, code, verifier)
	if status != http.StatusOK || tk.AccessToken == "" {
		t.Fatalf("exchange: %d %+v", status, tk)
	}
	return tk
}

func claims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// errorText is the text of a page's error box.
func errorText(t *testing.T, page response) string {
	t.Helper()
	m := regexp.MustCompile(`<p class="error" role="alert">([^<]*)</p>`).FindStringSubmatch(page.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// mailTo waits for the n-th e-mail to an address.
func mailTo(t *testing.T, addr string, n int) emulators.Email {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		all, err := emulators.Mailbox(env.Emulators.SESURL)
		if err != nil {
			t.Fatal(err)
		}
		if got := emulators.To(all, addr); len(got) >= n {
			return got[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no e-mail #%d to %s", n, addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func mailCount(t *testing.T, addr string) int {
	t.Helper()
	all, err := emulators.Mailbox(env.Emulators.SESURL)
	if err != nil {
		t.Fatal(err)
	}
	return len(emulators.To(all, addr))
}

var codePattern = regexp.MustCompile(`\b(\d{6})\b`)

func codeIn(t *testing.T, m emulators.Email) string {
	t.Helper()
	c := codePattern.FindStringSubmatch(m.Body.Text)
	if c == nil {
		t.Fatalf("no code in %q", m.Body.Text)
	}
	return c[1]
}
