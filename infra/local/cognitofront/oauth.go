package cognitofront

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/golang-jwt/jwt/v5"
)

// ---- the authorization request, carried through the pages ---------------

// authRequest is what /oauth2/authorize was asked. The pages carry it in a
// hidden field (and links) sealed with the front's key, so that a form
// cannot be made to sign in for another client, redirect URI or challenge,
// and a stale one expires; no cookie is needed.
type authRequest struct {
	ClientID    string `json:"c"`
	RedirectURI string `json:"r"`
	State       string `json:"s,omitempty"`
	Challenge   string `json:"x"`
	Scope       string `json:"o,omitempty"`
	Lang        string `json:"l,omitempty"`
	Issued      int64  `json:"t"`
}

// formTTL is how long a page's form stays good.
const formTTL = time.Hour

func (f *Front) seal(ar authRequest) string {
	b, _ := json.Marshal(ar)
	p := base64.RawURLEncoding.EncodeToString(b)
	return p + "." + base64.RawURLEncoding.EncodeToString(f.mac(p))
}

func (f *Front) mac(s string) []byte {
	h := hmac.New(sha256.New, f.key)
	h.Write([]byte("authreq\x00" + s))
	return h.Sum(nil)
}

func (f *Front) unseal(s string) (authRequest, bool) {
	p, sig, ok := strings.Cut(s, ".")
	if !ok {
		return authRequest{}, false
	}
	want, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(want, f.mac(p)) {
		return authRequest{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	var ar authRequest
	if err != nil || json.Unmarshal(b, &ar) != nil {
		return authRequest{}, false
	}
	if age := f.o.Now().Sub(time.Unix(ar.Issued, 0)); age < -time.Minute || age > formTTL {
		return authRequest{}, false
	}
	return ar, true
}

// failure is why a request to a page cannot go on: an error page, or (once
// the redirect URI is known to be the client's) an OAuth error sent back.
type failure struct {
	status   int
	message  string // key of an error page's text
	redirect string // error code for the redirect URI
	detail   string
}

var (
	challengePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	verifierPattern  = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)
)

// client describes an app client of the pool; nil when there is none.
func (f *Front) client(ctx context.Context, id string) (*ciptypes.UserPoolClientType, error) {
	if id == "" || len(id) > 128 {
		return nil, nil
	}
	out, err := f.cognito.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(f.pool()), ClientId: &id})
	if err != nil {
		var nf *ciptypes.ResourceNotFoundException
		var ip *ciptypes.InvalidParameterException
		if errors.As(err, &nf) || errors.As(err, &ip) {
			return nil, nil
		}
		return nil, err
	}
	return out.UserPoolClient, nil
}

// authRequestOf reads the authorization request of a page: the sealed
// field "p" when there is one, else the plain OAuth parameters (a link
// from the app, as to Cognito's /oauth2/authorize or /login), checked as
// Cognito checks them.
func (f *Front) authRequestOf(r *http.Request, sealedOnly bool) (authRequest, *ciptypes.UserPoolClientType, *failure) {
	var ar authRequest
	plain := false
	if p := r.FormValue("p"); p != "" {
		var ok bool
		if ar, ok = f.unseal(p); !ok {
			return ar, nil, &failure{status: http.StatusBadRequest, message: "err_expired"}
		}
	} else if sealedOnly {
		return ar, nil, &failure{status: http.StatusBadRequest, message: "err_expired"}
	} else {
		q := r.URL.Query()
		plain = true
		ar = authRequest{
			ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"), State: q.Get("state"),
			Challenge: q.Get("code_challenge"), Scope: q.Get("scope"), Issued: f.o.Now().Unix(),
			Lang: explicitLang(q),
		}
	}
	c, err := f.client(r.Context(), ar.ClientID)
	if err != nil {
		f.o.Log.Error("describe app client", "error", err.Error())
		return ar, nil, &failure{status: http.StatusServiceUnavailable, message: "err_unavailable"}
	}
	if c == nil {
		return ar, nil, &failure{status: http.StatusBadRequest, message: "err_client"}
	}
	if ar.RedirectURI == "" || !slices.Contains(c.CallbackURLs, ar.RedirectURI) {
		return ar, c, &failure{status: http.StatusBadRequest, message: "err_redirect"}
	}
	if !plain {
		return ar, c, nil
	}
	q := r.URL.Query()
	switch {
	case len(ar.State) > 2048 || len(ar.Scope) > 2048:
		return ar, c, &failure{redirect: "invalid_request", detail: "state or scope too long"}
	case q.Get("response_type") != "code":
		return ar, c, &failure{redirect: "unsupported_response_type", detail: "response_type must be code"}
	case q.Get("code_challenge_method") != "S256" || !challengePattern.MatchString(ar.Challenge):
		return ar, c, &failure{redirect: "invalid_request", detail: "PKCE with code_challenge_method S256 is required"}
	case len(c.AllowedOAuthFlows) > 0 && !slices.Contains(c.AllowedOAuthFlows, ciptypes.OAuthFlowTypeCode):
		return ar, c, &failure{redirect: "unauthorized_client", detail: "the client may not use the code flow"}
	}
	if len(c.AllowedOAuthScopes) > 0 {
		for _, s := range strings.Fields(ar.Scope) {
			if !slices.Contains(c.AllowedOAuthScopes, s) {
				return ar, c, &failure{redirect: "invalid_scope", detail: "scope " + s + " is not allowed for the client"}
			}
		}
	}
	return ar, c, nil
}

// fail answers a failure: an OAuth error to the (checked) redirect URI, or
// an error page.
func (f *Front) fail(w http.ResponseWriter, r *http.Request, ar authRequest, fl *failure) {
	if fl.redirect != "" {
		v := url.Values{"error": {fl.redirect}, "error_description": {fl.detail}}
		if ar.State != "" {
			v.Set("state", ar.State)
		}
		noStore(w)
		http.Redirect(w, r, withQuery(ar.RedirectURI, v), http.StatusFound)
		return
	}
	f.renderError(w, r, ar, fl.status, fl.message)
}

func withQuery(base string, v url.Values) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	q := u.Query()
	for k, vs := range v {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// sameOrigin refuses a form posted from another site (with the sealed
// field, the second line of defence against cross-site posts).
func (f *Front) sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != f.origin {
		return false
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return false
}

// ---- sign-in ---------------------------------------------------------------

// grant is what an authorization code stands for.
type grant struct {
	clientID, redirectURI, challenge string
	tokens                           ciptypes.AuthenticationResultType
	expires                          time.Time
}

// codeTTL is how long an authorization code may be redeemed (Cognito: 5 min).
const codeTTL = 5 * time.Minute

func (f *Front) signInPage(w http.ResponseWriter, r *http.Request) {
	ar, ok := f.pageRequest(w, r)
	if !ok {
		return
	}
	notice := ""
	if r.URL.Query().Get("notice") == "changed" {
		notice = "signin_changed"
	}
	f.renderSignIn(w, r, ar, "", "", notice)
}

// signIn checks the e-mail and password and sends the browser back with a
// code. A wrong password, an unknown e-mail and a disabled identity get the
// same answer.
func (f *Front) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		f.renderError(w, r, authRequest{}, http.StatusBadRequest, "err_expired")
		return
	}
	if !f.sameOrigin(r) {
		f.renderError(w, r, authRequest{}, http.StatusForbidden, "err_crosssite")
		return
	}
	ar, _, fl := f.authRequestOf(r, true)
	if fl != nil {
		f.fail(w, r, ar, fl)
		return
	}
	email := normalizeEmail(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	if email == "" || password == "" {
		f.renderSignIn(w, r, ar, email, "signin_failed", "")
		return
	}
	tokens, msg := f.authenticate(r.Context(), ar.ClientID, email, password)
	if msg != "" {
		f.renderSignIn(w, r, ar, email, msg, "")
		return
	}
	code := randomToken()
	f.mu.Lock()
	now := f.o.Now()
	for k, g := range f.codes {
		if now.After(g.expires) {
			delete(f.codes, k)
		}
	}
	f.codes[code] = &grant{clientID: ar.ClientID, redirectURI: ar.RedirectURI, challenge: ar.Challenge, tokens: *tokens, expires: now.Add(codeTTL)}
	f.refresh[digest(aws.ToString(tokens.RefreshToken))] = ar.ClientID
	f.mu.Unlock()
	v := url.Values{"code": {code}}
	if ar.State != "" {
		v.Set("state", ar.State)
	}
	noStore(w)
	http.Redirect(w, r, withQuery(ar.RedirectURI, v), http.StatusFound)
}

// authenticate signs in; it answers the tokens, or the key of the message
// to show.
func (f *Front) authenticate(ctx context.Context, clientID, email, password string) (*ciptypes.AuthenticationResultType, string) {
	// cognito-local lets a disabled identity sign in: ask first.
	u, err := f.cognito.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool()), Username: &email})
	if err != nil {
		if isAPIError(err) {
			return nil, "signin_failed"
		}
		f.o.Log.Error("sign-in: AdminGetUser", "error", err.Error())
		return nil, "err_unavailable"
	}
	if !u.Enabled {
		f.o.Log.Info("sign-in refused: identity disabled", "client_id", clientID)
		return nil, "signin_failed"
	}
	out, err := f.cognito.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	if err != nil {
		if isAPIError(err) {
			return nil, "signin_failed"
		}
		f.o.Log.Error("sign-in: InitiateAuth", "error", err.Error())
		return nil, "err_unavailable"
	}
	if out.AuthenticationResult == nil || out.AuthenticationResult.AccessToken == nil {
		// NEW_PASSWORD_REQUIRED (which cognito-local answers before it checks
		// the password) or MFA: this stand-in offers neither step.
		f.o.Log.Info("sign-in refused: a challenge the stand-in does not offer", "challenge", string(out.ChallengeName))
		return nil, "signin_failed"
	}
	return out.AuthenticationResult, ""
}

func isAPIError(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorFault() != smithy.FaultServer
}

func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return string(h[:])
}

// ---- /oauth2/token ---------------------------------------------------------

func (f *Front) token(w http.ResponseWriter, r *http.Request) {
	clientID, ok := f.tokenRequest(w, r)
	if !ok {
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		f.redeemCode(w, r, clientID)
	case "refresh_token":
		f.refreshTokens(w, r, clientID)
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
	}
}

// tokenRequest begins the answer to a token or revoke request (CORS, no
// caching), parses the request and authenticates the client: client_id in
// the body (public clients) or HTTP Basic; a client with a secret must
// give it.
func (f *Front) tokenRequest(w http.ResponseWriter, r *http.Request) (string, bool) {
	cors(w)
	noStore(w)
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return "", false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "")
		return "", false
	}
	clientID, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		if clientID != "" && clientID != u {
			oauthError(w, http.StatusBadRequest, "invalid_client", "")
			return "", false
		}
		clientID, secret = u, p
	}
	c, err := f.client(r.Context(), clientID)
	if err != nil {
		oauthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "")
		return "", false
	}
	if c == nil {
		oauthError(w, http.StatusBadRequest, "invalid_client", "")
		return "", false
	}
	if s := aws.ToString(c.ClientSecret); s != "" && subtle.ConstantTimeCompare([]byte(s), []byte(secret)) != 1 {
		oauthError(w, http.StatusBadRequest, "invalid_client", "")
		return "", false
	}
	return clientID, true
}

func (f *Front) redeemCode(w http.ResponseWriter, r *http.Request, clientID string) {
	code := r.PostForm.Get("code")
	f.mu.Lock()
	g := f.codes[code]
	delete(f.codes, code) // one attempt, right or wrong
	f.mu.Unlock()
	verifier := r.PostForm.Get("code_verifier")
	switch {
	case g == nil || f.o.Now().After(g.expires):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "")
	case g.clientID != clientID || g.redirectURI != r.PostForm.Get("redirect_uri"):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "")
	case !verifierPattern.MatchString(verifier) || !s256Matches(verifier, g.challenge):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "")
	default:
		writeTokens(w, f.o.Now(), &g.tokens, true)
	}
}

func s256Matches(verifier, challenge string) bool {
	h := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(h[:])), []byte(challenge)) == 1
}

// clientsToken reads the form's refresh token (field), answering an OAuth
// error and false when it is missing or was issued by this front to
// another client: cognito-local takes any client's refresh token.
func (f *Front) clientsToken(w http.ResponseWriter, r *http.Request, field, clientID, code, desc string) (string, bool) {
	tok := r.PostForm.Get(field)
	if tok == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", field+" is required")
		return "", false
	}
	f.mu.Lock()
	owner, known := f.refresh[digest(tok)]
	f.mu.Unlock()
	if known && owner != clientID {
		oauthError(w, http.StatusBadRequest, code, desc)
		return "", false
	}
	return tok, true
}

func (f *Front) refreshTokens(w http.ResponseWriter, r *http.Request, clientID string) {
	rt, ok := f.clientsToken(w, r, "refresh_token", clientID, "invalid_grant", "")
	if !ok {
		return
	}
	// The API path refuses a disabled identity's refresh (see guard).
	out, err := f.cognito.InitiateAuth(r.Context(), &cip.InitiateAuthInput{
		AuthFlow: ciptypes.AuthFlowTypeRefreshTokenAuth, ClientId: &clientID,
		AuthParameters: map[string]string{"REFRESH_TOKEN": rt},
	})
	if err != nil || out.AuthenticationResult == nil {
		if err != nil && !isAPIError(err) {
			f.o.Log.Error("refresh: InitiateAuth", "error", err.Error())
			oauthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "")
			return
		}
		oauthError(w, http.StatusBadRequest, "invalid_grant", "")
		return
	}
	writeTokens(w, f.o.Now(), out.AuthenticationResult, false)
}

// writeTokens answers the token endpoint's success. expires_in is the
// access token's own (cognito-local says 3600 whatever it is).
func writeTokens(w http.ResponseWriter, now time.Time, t *ciptypes.AuthenticationResultType, withRefresh bool) {
	access := aws.ToString(t.AccessToken)
	var claims struct {
		Exp int64 `json:"exp"`
	}
	expiresIn := int64(3600)
	if jwtPayload(access, &claims) == nil && claims.Exp > 0 {
		expiresIn = max(claims.Exp-now.Unix(), 0)
	}
	out := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": expiresIn}
	if t.IdToken != nil {
		out["id_token"] = aws.ToString(t.IdToken)
	}
	if withRefresh && t.RefreshToken != nil {
		out["refresh_token"] = aws.ToString(t.RefreshToken)
	}
	writeJSON(w, http.StatusOK, out)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	body := map[string]string{"error": code}
	if desc != "" {
		body["error_description"] = desc
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ---- /oauth2/revoke ----------------------------------------------------

func (f *Front) revoke(w http.ResponseWriter, r *http.Request) {
	clientID, ok := f.tokenRequest(w, r)
	if !ok {
		return
	}
	tok, ok := f.clientsToken(w, r, "token", clientID, "unauthorized_client", "the token was not issued to this client")
	if !ok {
		return
	}
	_, err := f.cognito.RevokeToken(r.Context(), &cip.RevokeTokenInput{ClientId: &clientID, Token: &tok})
	if err != nil && !isAPIError(err) {
		f.o.Log.Error("revoke: RevokeToken", "error", err.Error())
		oauthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "")
		return
	}
	// An unknown or already revoked token is no error (RFC 7009 2.2).
	f.mu.Lock()
	delete(f.refresh, digest(tok))
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// ---- /logout -----------------------------------------------------------

// logout ends the managed login's session (this stand-in keeps none) and
// goes back: to logout_uri (Cognito) or post_logout_redirect_uri (OIDC,
// with state), which must be one of the client's LogoutURLs; or, with
// redirect_uri and response_type, to the sign-in page again, as Cognito
// does. The client is client_id, else the audience of id_token_hint.
func (f *Front) logout(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	q := r.URL.Query()
	clientID := q.Get("client_id")
	if clientID == "" && q.Get("id_token_hint") != "" {
		if claims, err := f.verifyToken(r.Context(), q.Get("id_token_hint"), "id", true); err == nil {
			if aud, err := claims.GetAudience(); err == nil && len(aud) == 1 {
				clientID = aud[0]
			}
		}
	}
	c, err := f.client(r.Context(), clientID)
	if err != nil {
		f.renderError(w, r, authRequest{}, http.StatusServiceUnavailable, "err_unavailable")
		return
	}
	if c == nil {
		f.renderError(w, r, authRequest{}, http.StatusBadRequest, "err_client")
		return
	}
	back, oidcBack := q.Get("logout_uri"), q.Get("post_logout_redirect_uri")
	if back != "" && oidcBack != "" && back != oidcBack {
		f.renderError(w, r, authRequest{}, http.StatusBadRequest, "err_logout")
		return
	}
	if back == "" {
		back = oidcBack
	}
	if back != "" {
		if !slices.Contains(c.LogoutURLs, back) {
			f.renderError(w, r, authRequest{}, http.StatusBadRequest, "err_logout")
			return
		}
		v := url.Values{}
		if s := q.Get("state"); s != "" {
			v.Set("state", s)
		}
		http.Redirect(w, r, withQuery(back, v), http.StatusFound)
		return
	}
	if q.Get("redirect_uri") != "" && q.Get("response_type") != "" {
		v := url.Values{}
		for _, k := range []string{"client_id", "redirect_uri", "response_type", "state", "scope", "code_challenge", "code_challenge_method", "lang", "ui_locales"} {
			if s := q.Get(k); s != "" {
				v.Set(k, s)
			}
		}
		v.Set("client_id", clientID)
		http.Redirect(w, r, "/login?"+v.Encode(), http.StatusFound)
		return
	}
	f.renderError(w, r, authRequest{}, http.StatusBadRequest, "err_logout")
}

// ---- /oauth2/userInfo --------------------------------------------------

// userInfo answers the signed-in user's claims, as Cognito's does, for a
// valid access token of an enabled identity. (cognito-local's own GetUser
// does not check the token at all; this one does.)
func (f *Front) userInfo(w http.ResponseWriter, r *http.Request) {
	cors(w)
	noStore(w)
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	claims, err := f.verifyToken(r.Context(), strings.TrimSpace(tok), "access", false)
	if !ok || err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token", "")
		return
	}
	username, _ := claims["username"].(string)
	u, err := f.cognito.AdminGetUser(r.Context(), &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool()), Username: &username})
	if err != nil || !u.Enabled {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token", "")
		return
	}
	out := map[string]string{"username": aws.ToString(u.Username)}
	for _, a := range u.UserAttributes {
		switch n := aws.ToString(a.Name); n {
		case "sub", "email", "email_verified", "name", "given_name", "family_name", "phone_number", "phone_number_verified", "locale":
			out[n] = aws.ToString(a.Value)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// ---- discovery and keys ----------------------------------------------------

type discoveryDoc struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethods     []string `json:"revocation_endpoint_auth_methods_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	UILocalesSupported                []string `json:"ui_locales_supported"`
}

// Discovery is the front's OpenID Connect discovery document.
func (f *Front) Discovery() any {
	iss := f.Issuer()
	return discoveryDoc{
		Issuer:                            iss,
		AuthorizationEndpoint:             f.base + "/oauth2/authorize",
		TokenEndpoint:                     f.base + "/oauth2/token",
		UserinfoEndpoint:                  f.base + "/oauth2/userInfo",
		EndSessionEndpoint:                f.base + "/logout",
		RevocationEndpoint:                f.base + "/oauth2/revoke",
		JWKSURI:                           iss + "/.well-known/jwks.json",
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query"},
		SubjectTypesSupported:             []string{"public"},
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		CodeChallengeMethodsSupported:     []string{"S256"},
		GrantTypesSupported:               []string{"authorization_code", "refresh_token"},
		TokenEndpointAuthMethodsSupported: []string{"none"},
		RevocationEndpointAuthMethods:     []string{"none"},
		ScopesSupported:                   []string{"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"},
		ClaimsSupported:                   []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "token_use", "email", "email_verified", "cognito:username", "cognito:groups"},
		UILocalesSupported:                []string{"en", "nl"},
	}
}

func (f *Front) discovery(w http.ResponseWriter, r *http.Request) {
	cors(w)
	if r.PathValue("pool") != f.pool() {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, f.Discovery())
}

func (f *Front) jwks(w http.ResponseWriter, r *http.Request) {
	cors(w)
	if r.PathValue("pool") != f.pool() {
		http.NotFound(w, r)
		return
	}
	b, err := f.fetchJWKS(r.Context())
	if err != nil {
		f.o.Log.Error("jwks", "error", err.Error())
		http.Error(w, "cognito-local is unreachable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

func (f *Front) fetchJWKS(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.o.CognitoURL+"/"+url.PathEscape(f.pool())+"/.well-known/jwks.json", nil)
	if err != nil {
		return nil, err
	}
	res, err := f.upstream.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("cognito-local answered %s for the JWKS", res.Status)
	}
	return io.ReadAll(io.LimitReader(res.Body, 1<<20))
}

// keySet caches cognito-local's signing keys.
type keySet struct {
	f       *Front
	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

func (k *keySet) get(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.keys[kid]; ok {
		return key, nil
	}
	if time.Since(k.fetched) < 5*time.Second {
		return nil, errors.New("unknown key")
	}
	k.fetched = time.Now()
	b, err := k.f.fetchJWKS(ctx)
	if err != nil {
		return nil, err
	}
	var set struct {
		Keys []struct{ Kid, Kty, N, E string }
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, err
	}
	k.keys = map[string]*rsa.PublicKey{}
	for _, jk := range set.Keys {
		n, err1 := base64.RawURLEncoding.DecodeString(jk.N)
		e, err2 := base64.RawURLEncoding.DecodeString(jk.E)
		if jk.Kty != "RSA" || err1 != nil || err2 != nil {
			continue
		}
		k.keys[jk.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	if key, ok := k.keys[kid]; ok {
		return key, nil
	}
	return nil, errors.New("unknown key")
}

// verifyToken checks a token of cognito-local's: signature, issuer, use,
// and (unless allowExpired) its lifetime.
func (f *Front) verifyToken(ctx context.Context, tok, use string, allowExpired bool) (jwt.MapClaims, error) {
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"RS256"})}
	if allowExpired {
		opts = append(opts, jwt.WithoutClaimsValidation())
	} else {
		opts = append(opts, jwt.WithExpirationRequired(), jwt.WithIssuer(f.Issuer()))
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return f.keys.get(ctx, kid)
	}, opts...)
	if err != nil {
		return nil, err
	}
	if iss, _ := claims.GetIssuer(); iss != f.Issuer() {
		return nil, errors.New("wrong issuer")
	}
	if claims["token_use"] != use {
		return nil, errors.New("wrong token use")
	}
	return claims, nil
}

// ---- little helpers ----------------------------------------------------

func cors(w http.ResponseWriter) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
}

func (f *Front) preflight(w http.ResponseWriter, r *http.Request) {
	cors(w)
	w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	headers := "Authorization, Content-Type"
	if h := r.Header.Get("Access-Control-Request-Headers"); h != "" {
		headers = h
	}
	w.Header().Set("Access-Control-Allow-Headers", headers)
	w.Header().Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}
