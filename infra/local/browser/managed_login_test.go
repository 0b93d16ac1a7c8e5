package browser

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/portalaccess/portalaccess/shared/console"
)

// fakeManagedLogin plays Cognito's managed login for the console's AWS
// mode: /oauth2/authorize, /oauth2/token (authorization code with PKCE) and
// /logout. The access token it hands out is a real one from cognito-local,
// so the API accepts it.
type fakeManagedLogin struct {
	clientID    string
	redirectURI string
	token       string
	mu          sync.Mutex
	codes       map[string]string // code → code_challenge
	exchanged   int
	loggedOut   int
	revoked     []string
	problems    []string
}

func (f *fakeManagedLogin) problem(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.problems = append(f.problems, fmt.Sprintf(format, args...))
}

func (f *fakeManagedLogin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch r.URL.Path {
	case "/oauth2/authorize":
		for k, want := range map[string]string{
			"response_type": "code", "client_id": f.clientID, "redirect_uri": f.redirectURI,
			"scope": "openid email profile aws.cognito.signin.user.admin", "code_challenge_method": "S256",
		} {
			if q.Get(k) != want {
				f.problem("authorize: %s = %q, want %q", k, q.Get(k), want)
			}
		}
		if len(q.Get("code_challenge")) != 43 || q.Get("state") == "" {
			f.problem("authorize: challenge %q, state %q", q.Get("code_challenge"), q.Get("state"))
		}
		f.mu.Lock()
		code := fmt.Sprintf("code-%d", len(f.codes)+1)
		f.codes[code] = q.Get("code_challenge")
		f.mu.Unlock()
		http.Redirect(w, r, f.redirectURI+"?code="+code+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	case "/oauth2/token":
		// Cognito answers the browser's cross-origin POST.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if err := r.ParseForm(); err != nil || r.Method != "POST" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			f.problem("token: %s %s %v", r.Method, r.Header.Get("Content-Type"), err)
			http.Error(w, `{"error":"invalid_request"}`, 400)
			return
		}
		f.mu.Lock()
		challenge, ok := f.codes[r.PostForm.Get("code")]
		delete(f.codes, r.PostForm.Get("code"))
		f.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge ||
			r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("client_id") != f.clientID ||
			r.PostForm.Get("redirect_uri") != f.redirectURI {
			f.problem("token: %v (known code %v)", r.PostForm, ok)
			http.Error(w, `{"error":"invalid_grant"}`, 400)
			return
		}
		f.mu.Lock()
		f.exchanged++
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": f.token, "id_token": "not-used", "refresh_token": "refresh", "token_type": "Bearer", "expires_in": 3600,
		})
	case "/oauth2/revoke":
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if err := r.ParseForm(); err != nil || r.Method != "POST" || r.PostForm.Get("client_id") != f.clientID {
			f.problem("revoke: %s %v %v", r.Method, r.PostForm, err)
			http.Error(w, `{"error":"invalid_request"}`, 400)
			return
		}
		f.mu.Lock()
		f.revoked = append(f.revoked, r.PostForm.Get("token"))
		f.mu.Unlock()
	case "/logout":
		if q.Get("client_id") != f.clientID || q.Get("logout_uri") != f.redirectURI {
			f.problem("logout: %v", q)
		}
		f.mu.Lock()
		f.loggedOut++
		f.mu.Unlock()
		http.Redirect(w, r, q.Get("logout_uri"), http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

// On AWS the console signs in through the managed login with PKCE and signs
// out through its logout endpoint.
func TestManagedLoginWithPKCE(t *testing.T) {
	idp := &fakeManagedLogin{clientID: st.Info.Cognito.ClientID, codes: map[string]string{},
		token: admin(t).token}
	auth := httptest.NewServer(idp)
	defer auth.Close()

	// A console in aws mode, on an origin of its own.
	mux := http.NewServeMux()
	api, _ := url.Parse(st.Info.APIURL)
	mux.Handle("/v1/", httputil.NewSingleHostReverseProxy(api))
	awsSite := httptest.NewServer(mux)
	defer awsSite.Close()
	cfg := console.Config{Mode: console.ModeAWS, APIURL: awsSite.URL, Region: "eu-west-1",
		UserPoolID: st.Info.Cognito.UserPoolID, ClientID: st.Info.Cognito.ClientID, AuthDomain: auth.URL}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	mux.Handle("/", console.Handler(cfg))
	idp.redirectURI = awsSite.URL + "/"

	p := open(t, "operator on AWS")
	p.navigate(awsSite.URL + "/#/customers")
	p.waitText("main", "Forgot your password?")
	p.checkA11y("sign in (AWS mode)")
	p.click("#signin-continue")
	p.visible("#sign-out")
	p.waitText("main h1", "Customers") // back where they started
	p.checkA11y("customers (AWS mode)")
	if loc := p.eval(`location.href`); strings.Contains(loc, "code=") || strings.Contains(loc, "state=") {
		t.Fatalf("the code stayed in the address: %s", loc)
	}
	if got := p.eval(`String(!!sessionStorage.getItem('pa.session') && !sessionStorage.getItem('pa.pkce'))`); got != "true" {
		t.Fatal("the session is not in sessionStorage, or the PKCE verifier stayed")
	}
	p.click("#sign-out")
	p.waitText("#notice", "You are signed out.")
	p.visible("#signin-continue")

	idp.mu.Lock()
	defer idp.mu.Unlock()
	for _, pr := range idp.problems {
		t.Error(pr)
	}
	if idp.exchanged != 1 || idp.loggedOut != 1 {
		t.Fatalf("%d code exchanges, %d logouts", idp.exchanged, idp.loggedOut)
	}
	// Signing out revoked the refresh token before leaving for the logout.
	if len(idp.revoked) != 1 || idp.revoked[0] != "refresh" {
		t.Fatalf("revoked %q, want the session's refresh token once", idp.revoked)
	}
}
