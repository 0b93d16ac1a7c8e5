package cognitofront_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func TestDiscovery(t *testing.T) {
	res := do(t, "GET", "/"+env.PoolID+"/.well-known/openid-configuration", nil)
	if res.status != http.StatusOK || res.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("discovery: %d, CORS %q", res.status, res.header.Get("Access-Control-Allow-Origin"))
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(res.body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["issuer"] != env.Issuer {
		t.Errorf("issuer %v, want %s", doc["issuer"], env.Issuer)
	}
	// The issuer is exactly the tokens' iss.
	tk := login(t, newPortal(t), newUser(t), password)
	for _, jwt := range []string{tk.AccessToken, tk.IDToken} {
		if iss := claims(t, jwt)["iss"]; iss != doc["issuer"] {
			t.Errorf("token iss %v, discovery issuer %v", iss, doc["issuer"])
		}
	}
	endpoints := map[string]string{
		"authorization_endpoint": "/oauth2/authorize", "token_endpoint": "/oauth2/token",
		"end_session_endpoint": "/logout", "revocation_endpoint": "/oauth2/revoke",
		"userinfo_endpoint": "/oauth2/userInfo", "jwks_uri": "/" + env.PoolID + "/.well-known/jwks.json",
	}
	for k, path := range endpoints {
		if doc[k] != env.URL+path {
			t.Errorf("%s = %v, want %s", k, doc[k], env.URL+path)
		}
	}
	lists := map[string]string{
		"response_types_supported": "code", "subject_types_supported": "public",
		"id_token_signing_alg_values_supported": "RS256", "code_challenge_methods_supported": "S256",
		"grant_types_supported": "authorization_code refresh_token", "token_endpoint_auth_methods_supported": "none",
		"scopes_supported": "openid email phone profile aws.cognito.signin.user.admin",
	}
	for k, want := range lists {
		var got []string
		for _, v := range doc[k].([]any) {
			got = append(got, v.(string))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s = %v, want %s", k, got, want)
		}
	}
	// Every endpoint it names answers (with no parameters: a refusal).
	for path, want := range map[string]int{
		"GET /oauth2/authorize": 400, "POST /oauth2/token": 400, "POST /oauth2/revoke": 400,
		"GET /oauth2/userInfo": 401, "GET /logout": 400, "GET /" + env.PoolID + "/.well-known/jwks.json": 200,
	} {
		method, p, _ := strings.Cut(path, " ")
		var form url.Values
		if method == "POST" {
			form = url.Values{}
		}
		if got := do(t, method, p, form); got.status != want {
			t.Errorf("%s: %d, want %d", path, got.status, want)
		}
	}
	var jwks struct{ Keys []struct{ Kid, Alg string } }
	if err := json.Unmarshal([]byte(do(t, "GET", "/"+env.PoolID+"/.well-known/jwks.json", nil).body), &jwks); err != nil || len(jwks.Keys) == 0 || jwks.Keys[0].Alg != "RS256" {
		t.Errorf("jwks: %+v %v", jwks, err)
	}
	if got := do(t, "GET", "/local_other/.well-known/openid-configuration", nil); got.status != http.StatusNotFound {
		t.Errorf("another pool's discovery: %d, want 404", got.status)
	}
}

func TestCodeFlowWithPKCE(t *testing.T) {
	p, email := newPortal(t), newUser(t)
	verifier, challenge := pkce()
	state := "s-" + unique("state")
	page := signInPage(t, authorizeQuery(p, challenge, state))
	for _, want := range []string{`name="email"`, `name="password"`, `href="/forgotPassword?p=`, "Forgot your password?"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("sign-in page lacks %s", want)
		}
	}
	res := signIn(t, page, strings.ToUpper(email), password) // e-mails match case-insensitively, as on AWS
	code := codeOf(t, res, p, state)

	status, tk := exchange(t, p, code, verifier)
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %+v", status, tk)
	}
	if tk.TokenType != "Bearer" || tk.IDToken == "" || tk.RefreshToken == "" {
		t.Errorf("tokens: %+v", tk)
	}
	ac := claims(t, tk.AccessToken)
	if ac["client_id"] != p.id || ac["iss"] != env.Issuer || ac["token_use"] != "access" {
		t.Errorf("access token: client_id %v iss %v token_use %v", ac["client_id"], ac["iss"], ac["token_use"])
	}
	if exp := int64(ac["exp"].(float64)) - time.Now().Unix(); tk.ExpiresIn < exp-5 || tk.ExpiresIn > exp+5 {
		t.Errorf("expires_in %d, the token's own is %d", tk.ExpiresIn, exp)
	}
	if idc := claims(t, tk.IDToken); idc["aud"] != p.id || idc["email"] != email {
		t.Errorf("id token: aud %v email %v", idc["aud"], idc["email"])
	}

	t.Run("reused code", func(t *testing.T) {
		if status, tk := exchange(t, p, code, verifier); status != http.StatusBadRequest || tk.Error != "invalid_grant" {
			t.Errorf("second exchange: %d %+v", status, tk)
		}
	})
	t.Run("wrong verifier", func(t *testing.T) {
		v2, ch := pkce()
		code := codeOf(t, signIn(t, signInPage(t, authorizeQuery(p, ch, "x")), email, password), p, "x")
		if status, tk := exchange(t, p, code, verifier); status != http.StatusBadRequest || tk.Error != "invalid_grant" {
			t.Errorf("wrong verifier: %d %+v", status, tk)
		}
		// The failed attempt used the code up.
		if status, _ := exchange(t, p, code, v2); status != http.StatusBadRequest {
			t.Errorf("the right verifier after a wrong one: %d", status)
		}
	})
	t.Run("code of another client", func(t *testing.T) {
		other := newPortal(t)
		v, ch := pkce()
		code := codeOf(t, signIn(t, signInPage(t, authorizeQuery(p, ch, "x")), email, password), p, "x")
		status, tk := tokenCall(t, url.Values{"grant_type": {"authorization_code"}, "client_id": {other.id},
			"code": {code}, "redirect_uri": {p.callback}, "code_verifier": {v}})
		if status != http.StatusBadRequest || tk.Error != "invalid_grant" {
			t.Errorf("another client's code: %d %+v", status, tk)
		}
	})
	t.Run("redirect_uri differs at the token endpoint", func(t *testing.T) {
		v, ch := pkce()
		code := codeOf(t, signIn(t, signInPage(t, authorizeQuery(p, ch, "x")), email, password), p, "x")
		status, tk := tokenCall(t, url.Values{"grant_type": {"authorization_code"}, "client_id": {p.id},
			"code": {code}, "redirect_uri": {p.callback + "/other"}, "code_verifier": {v}})
		if status != http.StatusBadRequest || tk.Error != "invalid_grant" {
			t.Errorf("other redirect_uri: %d %+v", status, tk)
		}
	})
	t.Run("foreign redirect_uri", func(t *testing.T) {
		q := authorizeQuery(p, challenge, "x")
		q.Set("redirect_uri", "https://evil.example/callback")
		res := do(t, "GET", "/oauth2/authorize?"+q.Encode(), nil)
		if res.status != http.StatusBadRequest || res.header.Get("Location") != "" || strings.Contains(res.body, "evil.example") {
			t.Errorf("foreign redirect_uri: %d, Location %q", res.status, res.header.Get("Location"))
		}
	})
	t.Run("unknown client", func(t *testing.T) {
		q := authorizeQuery(p, challenge, "x")
		q.Set("client_id", "nosuchclient0000000000000")
		if res := do(t, "GET", "/oauth2/authorize?"+q.Encode(), nil); res.status != http.StatusBadRequest || !strings.Contains(res.body, "not known") {
			t.Errorf("unknown client at authorize: %d", res.status)
		}
		status, tk := tokenCall(t, url.Values{"grant_type": {"authorization_code"}, "client_id": {"nosuchclient0000000000000"},
			"code": {"x"}, "redirect_uri": {p.callback}, "code_verifier": {verifier}})
		if status != http.StatusBadRequest || tk.Error != "invalid_client" {
			t.Errorf("unknown client at token: %d %+v", status, tk)
		}
	})
	t.Run("PKCE required", func(t *testing.T) {
		for name, change := range map[string]func(url.Values){
			"no challenge": func(q url.Values) { q.Del("code_challenge") },
			"plain":        func(q url.Values) { q.Set("code_challenge_method", "plain") },
			"token flow":   func(q url.Values) { q.Set("response_type", "token") },
			"foreign scope": func(q url.Values) {
				q.Set("scope", "openid phone")
			},
		} {
			q := authorizeQuery(p, challenge, "st")
			change(q)
			res := do(t, "GET", "/oauth2/authorize?"+q.Encode(), nil)
			loc, _ := url.Parse(res.header.Get("Location"))
			if res.status != http.StatusFound || loc == nil || loc.Query().Get("error") == "" || loc.Query().Get("state") != "st" || loc.Query().Get("code") != "" {
				t.Errorf("%s: %d, Location %q", name, res.status, res.header.Get("Location"))
			}
		}
	})
	t.Run("cross-site post", func(t *testing.T) {
		_, ch := pkce()
		page := signInPage(t, authorizeQuery(p, ch, "x"))
		res := do(t, "POST", "/login", url.Values{"p": {sealed(t, page)}, "email": {email}, "password": {password}}, "Origin", "https://evil.example")
		if res.status != http.StatusForbidden {
			t.Errorf("post from another origin: %d", res.status)
		}
		res = do(t, "POST", "/login", url.Values{"p": {sealed(t, page) + "x"}, "email": {email}, "password": {password}})
		if res.status != http.StatusBadRequest || res.header.Get("Location") != "" {
			t.Errorf("a tampered form: %d", res.status)
		}
	})
	t.Run("token endpoint CORS", func(t *testing.T) {
		res := do(t, "OPTIONS", "/oauth2/token", nil, "Origin", "http://127.0.0.1:9", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "content-type")
		if res.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(strings.ToLower(res.header.Get("Access-Control-Allow-Headers")), "content-type") {
			t.Errorf("preflight: %d %v", res.status, res.header)
		}
		if got := do(t, "POST", "/oauth2/token", url.Values{}); got.header.Get("Access-Control-Allow-Origin") != "*" || got.header.Get("Cache-Control") != "no-store" {
			t.Errorf("token answer headers: %v", got.header)
		}
	})
}

func TestSignInRefusals(t *testing.T) {
	p, email := newPortal(t), newUser(t)
	disabled := newUser(t)
	if _, err := env.Cognito.AdminDisableUser(ctx(t), &cip.AdminDisableUserInput{UserPoolId: &env.PoolID, Username: &disabled}); err != nil {
		t.Fatal(err)
	}
	_, challenge := pkce()
	msgs := map[string]string{}
	for name, creds := range map[string][2]string{
		"wrong password": {email, password + "!"}, "unknown e-mail": {"nobody-" + email, password},
		"disabled": {disabled, password}, "empty password": {email, ""},
	} {
		res := signIn(t, signInPage(t, authorizeQuery(p, challenge, "x")), creds[0], creds[1])
		if res.status != http.StatusOK || res.header.Get("Location") != "" {
			t.Errorf("%s: %d, Location %q", name, res.status, res.header.Get("Location"))
		}
		msgs[name] = errorText(t, res)
	}
	for name, msg := range msgs {
		if msg != "Incorrect username or password." {
			t.Errorf("%s: message %q", name, msg)
		}
	}
	// On the API path too: cognito-local itself lets the disabled identity in.
	direct, err := env.Cognito.InitiateAuth(ctx(t), &cip.InitiateAuthInput{AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		ClientId: &p.id, AuthParameters: map[string]string{"USERNAME": disabled, "PASSWORD": password}})
	if err != nil || direct.AuthenticationResult == nil {
		t.Logf("cognito-local now refuses disabled identities itself (%v): the front's check is belt and braces", err)
	}
	_, err = frontAPI().InitiateAuth(ctx(t), &cip.InitiateAuthInput{AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		ClientId: &p.id, AuthParameters: map[string]string{"USERNAME": disabled, "PASSWORD": password}})
	var na *ciptypes.NotAuthorizedException
	if !errorsAs(err, &na) {
		t.Errorf("InitiateAuth of a disabled identity through the front: %v", err)
	}
}

func TestRefreshAndRevoke(t *testing.T) {
	p, email := newPortal(t), newUser(t)
	tk := login(t, p, email, password)
	refresh := func(client string) (int, tokens) {
		return tokenCall(t, url.Values{"grant_type": {"refresh_token"}, "client_id": {client}, "refresh_token": {tk.RefreshToken}})
	}
	status, fresh := refresh(p.id)
	if status != http.StatusOK || fresh.AccessToken == "" || fresh.IDToken == "" || fresh.RefreshToken != "" || fresh.ExpiresIn <= 0 {
		t.Fatalf("refresh: %d %+v", status, fresh)
	}
	if c := claims(t, fresh.AccessToken); c["client_id"] != p.id || c["iss"] != env.Issuer {
		t.Errorf("refreshed access token: %v", c)
	}
	// cognito-local would take it from any client of the pool; the front
	// knows whose it is.
	if status, tk := refresh(newPortal(t).id); status != http.StatusBadRequest || tk.Error != "invalid_grant" {
		t.Errorf("refresh by another client: %d %+v", status, tk)
	}
	// A disabled identity's refresh is refused.
	other := newUser(t)
	otk := login(t, p, other, password)
	if _, err := env.Cognito.AdminDisableUser(ctx(t), &cip.AdminDisableUserInput{UserPoolId: &env.PoolID, Username: &other}); err != nil {
		t.Fatal(err)
	}
	if status, _ := tokenCall(t, url.Values{"grant_type": {"refresh_token"}, "client_id": {p.id}, "refresh_token": {otk.RefreshToken}}); status != http.StatusBadRequest {
		t.Errorf("a disabled identity's refresh: %d", status)
	}

	if res := do(t, "POST", "/oauth2/revoke", url.Values{"client_id": {newPortal(t).id}, "token": {tk.RefreshToken}}); res.status != http.StatusBadRequest {
		t.Errorf("revoke by another client: %d %s", res.status, res.body)
	}
	res := do(t, "POST", "/oauth2/revoke", url.Values{"client_id": {p.id}, "token": {tk.RefreshToken}})
	if res.status != http.StatusOK || res.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("revoke: %d %s", res.status, res.body)
	}
	if status, tk := refresh(p.id); status != http.StatusBadRequest || tk.Error != "invalid_grant" {
		t.Errorf("refresh after revoke: %d %+v", status, tk)
	}
	if res := do(t, "POST", "/oauth2/revoke", url.Values{"client_id": {p.id}, "token": {tk.RefreshToken}}); res.status != http.StatusOK {
		t.Errorf("revoking again: %d (RFC 7009: no error)", res.status)
	}
	if res := do(t, "POST", "/oauth2/revoke", url.Values{"client_id": {p.id}}); res.status != http.StatusBadRequest {
		t.Errorf("revoke without a token: %d", res.status)
	}
}

func TestUserInfo(t *testing.T) {
	p, email := newPortal(t), newUser(t)
	tk := login(t, p, email, password)
	res := do(t, "GET", "/oauth2/userInfo", nil, "Authorization", "Bearer "+tk.AccessToken)
	var info map[string]string
	if res.status != http.StatusOK || json.Unmarshal([]byte(res.body), &info) != nil || info["email"] != email || info["sub"] != claims(t, tk.AccessToken)["sub"] {
		t.Errorf("userInfo: %d %s", res.status, res.body)
	}
	// An unsigned token, as cognito-local's own GetUser takes.
	forged := base64url(`{"alg":"none","typ":"JWT"}`) + "." + base64url(`{"sub":"x","client_id":"`+p.id+`","token_use":"access","iss":"`+env.Issuer+`","username":"x","exp":9999999999}`) + "."
	for _, bad := range []string{"", "Bearer nonsense", "Bearer " + tk.IDToken, "Bearer " + forged} {
		if res := do(t, "GET", "/oauth2/userInfo", nil, "Authorization", bad); res.status != http.StatusUnauthorized {
			t.Errorf("userInfo with %.20q: %d", bad, res.status)
		}
	}
}

func TestLogout(t *testing.T) {
	p := newPortal(t)
	cases := []struct {
		name  string
		query url.Values
		want  string // Location; "" for a refusal
	}{
		{"Cognito's logout_uri", url.Values{"client_id": {p.id}, "logout_uri": {p.logout}}, p.logout},
		{"OIDC's post_logout_redirect_uri with state", url.Values{"client_id": {p.id}, "post_logout_redirect_uri": {p.logout}, "state": {"abc"}}, p.logout + "?state=abc"},
		{"foreign logout_uri", url.Values{"client_id": {p.id}, "logout_uri": {"https://evil.example/"}}, ""},
		{"a callback URL is no logout URL", url.Values{"client_id": {p.id}, "logout_uri": {p.callback}}, ""},
		{"unknown client", url.Values{"client_id": {"nosuchclient0000000000000"}, "logout_uri": {p.logout}}, ""},
		{"no client", url.Values{"logout_uri": {p.logout}}, ""},
		{"nothing to go back to", url.Values{"client_id": {p.id}}, ""},
		{"the two differ", url.Values{"client_id": {p.id}, "logout_uri": {p.logout}, "post_logout_redirect_uri": {p.logout + "x"}}, ""},
	}
	for _, c := range cases {
		res := do(t, "GET", "/logout?"+c.query.Encode(), nil)
		if c.want == "" {
			if res.status != http.StatusBadRequest || res.header.Get("Location") != "" {
				t.Errorf("%s: %d, Location %q", c.name, res.status, res.header.Get("Location"))
			}
			continue
		}
		if res.status != http.StatusFound || res.header.Get("Location") != c.want {
			t.Errorf("%s: %d, Location %q, want %q", c.name, res.status, res.header.Get("Location"), c.want)
		}
	}
	// oidc-client-ts sends id_token_hint and no client_id.
	tk := login(t, p, newUser(t), password)
	res := do(t, "GET", "/logout?"+url.Values{"id_token_hint": {tk.IDToken}, "post_logout_redirect_uri": {p.logout}}.Encode(), nil)
	if res.status != http.StatusFound || res.header.Get("Location") != p.logout {
		t.Errorf("with id_token_hint: %d %q", res.status, res.header.Get("Location"))
	}
	// redirect_uri and response_type: back to the sign-in page.
	_, ch := pkce()
	q := authorizeQuery(p, ch, "again")
	res = do(t, "GET", "/logout?"+q.Encode(), nil)
	loc := res.header.Get("Location")
	if res.status != http.StatusFound || !strings.HasPrefix(loc, "/login?") {
		t.Fatalf("logout to sign in again: %d %q", res.status, loc)
	}
	if page := do(t, "GET", loc, nil); page.status != http.StatusOK || !strings.Contains(page.body, `name="password"`) {
		t.Errorf("the sign-in page after logout: %d", page.status)
	}
}

func TestPagesEscapeAndHeaders(t *testing.T) {
	p := newPortal(t)
	hostile := `"><script>alert(1)</script><img src=x onerror=alert(2)>`
	locales.Store(p.id, [3]string{"en", `<b>Evil & Co</b>`, `Portal "<script>"`})
	_, ch := pkce()
	page := signInPage(t, authorizeQuery(p, ch, hostile))
	res := signIn(t, page, hostile+"@example.com", "x")
	for _, r := range []response{page, res, do(t, "GET", "/forgotPassword?p="+url.QueryEscape(sealed(t, page)), nil)} {
		if strings.Contains(r.body, "<script>") || strings.Contains(r.body, "<img") || strings.Contains(r.body, "<b>") {
			t.Errorf("a hostile value is on the page unescaped:\n%s", r.body)
		}
		csp := r.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %s", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "script-src") {
			t.Errorf("CSP allows script: %q", csp)
		}
		if r.header.Get("Cache-Control") != "no-store" || r.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("headers: %v", r.header)
		}
	}
	if !strings.Contains(page.body, "Portal &#34;&lt;script&gt;&#34;") || !strings.Contains(page.body, "for &lt;b&gt;Evil &amp; Co&lt;/b&gt;") {
		t.Errorf("the portal's and customer's names are not shown escaped:\n%s", page.body)
	}
	if !strings.Contains(page.header.Get("Content-Security-Policy"), "form-action 'self' http://127.0.0.1:1") {
		t.Errorf("the sign-in page's form-action does not allow the redirect: %q", page.header.Get("Content-Security-Policy"))
	}
	// The state comes back intact, encoded.
	code := codeOf(t, signIn(t, page, newUser(t), password), p, hostile)
	if code == "" {
		t.Fatal("no code")
	}
	if do(t, "GET", "/static/login.css", nil).status != http.StatusOK {
		t.Error("no style sheet")
	}
}

func TestLanguages(t *testing.T) {
	p := newPortal(t)
	_, ch := pkce()
	q := authorizeQuery(p, ch, "x")
	isDutch := func(r response) bool {
		return strings.Contains(r.body, `<html lang="nl">`) && strings.Contains(r.body, "Wachtwoord vergeten?") && strings.Contains(r.body, "E-mailadres")
	}
	isEnglish := func(r response) bool {
		return strings.Contains(r.body, `<html lang="en">`) && strings.Contains(r.body, "Forgot your password?")
	}
	if r := signInPage(t, q); !isEnglish(r) {
		t.Error("no hint: not English")
	}
	withQ := func(k, v string) url.Values {
		c := url.Values{}
		for kk, vv := range q {
			c[kk] = vv
		}
		c.Set(k, v)
		return c
	}
	if r := signInPage(t, withQ("lang", "nl")); !isDutch(r) {
		t.Error("lang=nl: not Dutch")
	}
	if r := signInPage(t, withQ("ui_locales", "fr nl-BE en")); !isDutch(r) {
		t.Error("ui_locales=fr nl-BE en: not Dutch")
	}
	if r := signInPage(t, q, "Accept-Language", "de;q=1, nl-NL;q=0.9, en;q=0.8"); !isDutch(r) {
		t.Error("Accept-Language nl-NL: not Dutch")
	}
	locales.Store(p.id, [3]string{"nl", "Bakkerij De Korenbloem", "Bestelportaal"})
	page := signInPage(t, q, "Accept-Language", "en")
	if !isDutch(page) || !strings.Contains(page.body, "voor Bakkerij De Korenbloem") || !strings.Contains(page.body, "Bestelportaal") {
		t.Errorf("the customer's language and names are not on the page:\n%s", page.body)
	}
	if r := signInPage(t, withQ("lang", "en")); !isEnglish(r) || !strings.Contains(r.body, "for Bakkerij De Korenbloem") {
		t.Error("lang=en does not win over the customer's language")
	}
	// The language stays with the pages that follow.
	r := signIn(t, page, "nobody@example.com", "wrong")
	if !isDutch(r) || errorText(t, r) != "Onjuiste gebruikersnaam of onjuist wachtwoord." {
		t.Errorf("the refusal is not Dutch: %q", errorText(t, r))
	}
	if r := do(t, "GET", "/forgotPassword?p="+url.QueryEscape(sealed(t, page)), nil); !strings.Contains(r.body, "Stuur mij een code") {
		t.Error("the forgot-password page is not Dutch")
	}
	if r := do(t, "GET", "/oauth2/authorize?client_id=nosuch&lang=nl", nil); !strings.Contains(r.body, "onbekend") {
		t.Errorf("the error page is not Dutch:\n%s", r.body)
	}
}

func TestAPIPath(t *testing.T) {
	p, email := newPortal(t), newUser(t)
	// The console signs in with InitiateAuth: through the front, with CORS.
	pre := do(t, "OPTIONS", "/", nil, "Origin", "http://127.0.0.1:9", "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type,x-amz-target")
	if pre.header.Get("Access-Control-Allow-Origin") == "" {
		t.Errorf("preflight of the API: %d %v", pre.status, pre.header)
	}
	out, err := frontAPI().InitiateAuth(ctx(t), &cip.InitiateAuthInput{AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		ClientId: &p.id, AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password}})
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("InitiateAuth through the front: %v", err)
	}
	if iss := claims(t, aws.ToString(out.AuthenticationResult.AccessToken))["iss"]; iss != env.Issuer {
		t.Errorf("iss %v", iss)
	}
	// ConfirmForgotPassword without a code resets nobody's password.
	req, _ := http.NewRequest("POST", env.URL+"/", bytes.NewReader([]byte(`{"ClientId":"`+p.id+`","Username":"`+email+`","Password":"hijacked-password-1"}`)))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.ConfirmForgotPassword")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || res.Header.Get("X-Amzn-ErrorType") != "InvalidParameterException" {
		t.Errorf("ConfirmForgotPassword without a code: %d %s", res.StatusCode, res.Header.Get("X-Amzn-ErrorType"))
	}
	login(t, p, email, password) // the password is unchanged
}

// frontAPI is an SDK client pointed at the front's API path.
func frontAPI() *cip.Client {
	return cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(env.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""), RetryMaxAttempts: 1})
}

func TestCodeAndFormExpire(t *testing.T) {
	p, email := newPortal(t), newUser(t)
	t.Cleanup(func() { clockOffset.Store(0) })
	v, ch := pkce()
	page := signInPage(t, authorizeQuery(p, ch, "x"))
	code := codeOf(t, signIn(t, page, email, password), p, "x")
	clockOffset.Store(int64(5*time.Minute + time.Second))
	if status, tk := exchange(t, p, code, v); status != http.StatusBadRequest || tk.Error != "invalid_grant" {
		t.Errorf("a code older than 5 minutes: %d %+v", status, tk)
	}
	clockOffset.Store(int64(61 * time.Minute))
	res := signIn(t, page, email, password)
	if res.status != http.StatusBadRequest || !strings.Contains(res.body, "This page has expired.") {
		t.Errorf("a form older than an hour: %d", res.status)
	}
}
