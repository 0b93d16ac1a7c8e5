// Package cognitofront is the local stand-in for Cognito's public face, one
// http.Handler in front of cognito-local:
//
//   - POST / is the Cognito JSON 1.1 API (X-Amz-Target), passed on to
//     cognito-local, so that SDK clients and the console can point at the
//     front. A successful ForgotPassword, whoever calls it, has its code
//     delivered by e-mail to the SES emulator (cognito-local only prints it).
//   - /<pool>/.well-known/openid-configuration and jwks.json: a complete
//     discovery document whose issuer is the tokens' iss.
//   - /oauth2/authorize, /login, /oauth2/token, /oauth2/revoke,
//     /oauth2/userInfo, /logout, /forgotPassword, /confirmForgotPassword:
//     what Cognito's managed login (https://<prefix>.auth.<region>.amazoncognito.com)
//     is on AWS, in English and Dutch.
//
// It puts right what cognito-local gets wrong for a managed login
// (/work/notes/cognito-local.md): disabled identities are refused, codes
// are one-time and bound to client, redirect URI and PKCE challenge, the
// confirm page refuses an empty code and a password the policy refuses, and
// every page is escaped and served with a strict CSP.
//
// For cognito-local's tokens to carry the front's issuer, start it with
// emulators.CognitoConfig{IssuerDomain: Options.URL}.
package cognitofront

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/portalaccess/portalaccess/infra/local/cognitofront/lambdalocal"
	"github.com/portalaccess/portalaccess/shared/mail/sesmail"
)

// Options configure the front.
type Options struct {
	// URL is the front's own base URL as browsers reach it
	// (http://127.0.0.1:<port>, no path). cognito-local must have it as
	// TokenConfig.IssuerDomain: the issuer is URL + "/" + the pool id.
	URL string
	// CognitoURL is cognito-local's base URL.
	CognitoURL string
	// UserPoolID returns the id of the pool the front serves (the pool is
	// made after cognito-local starts).
	UserPoolID func() string
	// CognitoDir is cognito-local's working directory
	// (emulators.Emulators.CognitoDir): the pending codes are read from
	// .cognito/db/<poolId>.json there.
	CognitoDir string
	// SES delivers the codes, from Sender. Without SES no code is
	// delivered (cognito-local still prints it on its console).
	SES    sesmail.Client
	Sender string
	// Functions, when set, is the local Lambda endpoint cognito-local's
	// triggers call: the front keeps the CustomMessage trigger's answer for
	// each user and delivers the code with its subject and message.
	Functions *lambdalocal.Functions
	// Locale, when set, answers for an app client the customer's language
	// ("en", "nl") and the customer's and portal's names, shown on the
	// pages. nil: English, no names.
	Locale func(ctx context.Context, clientID string) (locale, customerName, portalName string)
	// Log receives what the front does, never a code, password or token;
	// nil discards.
	Log *slog.Logger
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
	// MFAFile, when set, keeps the users' authenticator apps (totp.go)
	// across restarts; otherwise they are in memory only.
	MFAFile string
}

// Front is the handler. Make it with New.
type Front struct {
	o        Options
	base     string // URL without a trailing slash
	origin   string // scheme://host[:port] of URL
	mux      *http.ServeMux
	cognito  *cip.Client // through the front's own API path, in process
	upstream *http.Client
	key      []byte // signs the pages' hidden state

	mu       sync.Mutex
	codes    map[string]*grant
	refresh  map[string]string // sha256(refresh token) → client id it was issued to
	captures map[captureKey]capture
	keys     *keySet
	// brandings are the clients given a managed login style (standIn).
	brandings map[string]string
	// totp are the users' authenticator apps by sub, mfaSessions the
	// sign-ins waiting for a code (totp.go).
	totp        map[string]*totpUser
	mfaSessions map[string]*mfaSession
}

// New makes the front.
func New(o Options) (*Front, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
		return nil, fmt.Errorf("cognitofront: URL %q must be http(s)://host[:port]", o.URL)
	}
	if o.CognitoURL == "" || o.UserPoolID == nil {
		return nil, errors.New("cognitofront: CognitoURL and UserPoolID are required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.CognitoURL = strings.TrimRight(o.CognitoURL, "/")
	f := &Front{
		o: o, base: strings.TrimRight(o.URL, "/"), origin: u.Scheme + "://" + u.Host,
		upstream: &http.Client{Timeout: 30 * time.Second},
		key:      make([]byte, 32),
		codes:    map[string]*grant{}, refresh: map[string]string{}, captures: map[captureKey]capture{},
	}
	_, _ = rand.Read(f.key)
	f.loadTOTP()
	f.keys = &keySet{f: f}
	f.cognito = cip.New(cip.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String("http://cognito-front.internal"),
		HTTPClient:   inProcess{http.HandlerFunc(f.api)},
		// No retries: a ForgotPassword retried would send a second code.
		Retryer: aws.NopRetryer{},
	})
	if o.Functions != nil {
		o.Functions.Observe(f.observeTrigger)
	}

	m := http.NewServeMux()
	m.HandleFunc("/{$}", f.api)
	m.HandleFunc("/health", f.api)
	m.HandleFunc("GET /{pool}/.well-known/openid-configuration", f.discovery)
	m.HandleFunc("GET /{pool}/.well-known/jwks.json", f.jwks)
	m.HandleFunc("OPTIONS /{pool}/.well-known/{doc}", f.preflight)
	m.HandleFunc("GET /oauth2/authorize", f.signInPage)
	m.HandleFunc("GET /login", f.signInPage)
	m.HandleFunc("POST /oauth2/authorize", f.signIn)
	m.HandleFunc("POST /login", f.signIn)
	m.HandleFunc("POST /oauth2/token", f.token)
	m.HandleFunc("OPTIONS /oauth2/token", f.preflight)
	m.HandleFunc("POST /oauth2/revoke", f.revoke)
	m.HandleFunc("OPTIONS /oauth2/revoke", f.preflight)
	m.HandleFunc("GET /oauth2/userInfo", f.userInfo)
	m.HandleFunc("POST /oauth2/userInfo", f.userInfo)
	m.HandleFunc("OPTIONS /oauth2/userInfo", f.preflight)
	m.HandleFunc("GET /logout", f.logout)
	m.HandleFunc("GET /forgotPassword", f.forgotPage)
	m.HandleFunc("POST /forgotPassword", f.forgot)
	m.HandleFunc("GET /confirmForgotPassword", f.confirmPage)
	m.HandleFunc("POST /confirmForgotPassword", f.confirm)
	m.HandleFunc("GET /static/login.css", f.css)
	f.mux = m
	return f, nil
}

// Issuer is the tokens' iss: URL + "/" + the pool id.
func (f *Front) Issuer() string { return f.base + "/" + f.o.UserPoolID() }

func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.mux.ServeHTTP(w, r) }

func (f *Front) pool() string { return f.o.UserPoolID() }

// ---- the JSON 1.1 API --------------------------------------------------

// maxAPIBody bounds a request to the API (Cognito's are small).
const maxAPIBody = 1 << 20

// api passes a request to cognito-local, and answers with its answer. Two
// of cognito-local's holes are closed on the way (see guard), and after a
// successful ForgotPassword the code is delivered before the answer goes
// back, so that whoever asked finds the e-mail when the call returns.
func (f *Front) api(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAPIBody))
		if err != nil {
			apiError(w, http.StatusRequestEntityTooLarge, "InvalidParameterException", "The request is too large.")
			return
		}
		body = b
	}
	target := ""
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		target = t[strings.LastIndexByte(t, '.')+1:]
	}
	if r.Method == http.MethodPost && target != "" {
		if f.standIn(w, target, body) || f.mfaStandIn(w, r, target, body) {
			return
		}
		if refused := f.guard(r.Context(), target, body); refused != nil {
			refused(w)
			return
		}
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, f.o.CognitoURL+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidParameterException", "Bad request.")
		return
	}
	for k, vs := range r.Header {
		if hopByHop[http.CanonicalHeaderKey(k)] {
			continue
		}
		req.Header[k] = vs
	}
	res, err := f.upstream.Do(req)
	if err != nil {
		f.o.Log.Error("cognito-local is unreachable", "error", err.Error())
		apiError(w, http.StatusServiceUnavailable, "InternalErrorException", "cognito-local is unreachable.")
		return
	}
	defer res.Body.Close()
	resBody, err := io.ReadAll(res.Body)
	if err != nil {
		apiError(w, http.StatusBadGateway, "InternalErrorException", "cognito-local's answer was cut off.")
		return
	}
	if target == "ForgotPassword" && res.StatusCode == http.StatusOK {
		f.deliverForgotPassword(r.Context(), body)
	}
	if r.Method == http.MethodPost {
		resBody = f.mfaAfter(target, res.StatusCode, resBody)
	}
	for k, vs := range res.Header {
		if hopByHop[http.CanonicalHeaderKey(k)] || http.CanonicalHeaderKey(k) == "Content-Length" {
			continue
		}
		w.Header()[k] = vs
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(resBody)
}

var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true, "Host": true,
	"Accept-Encoding": true,
}

// apiError answers as Cognito does: the type in the body and the header.
func apiError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"__type":%q,"message":%q}`, typ, msg)
}

// inProcess is an SDK HTTP client that hands requests to a handler of this
// process: the front's own calls go through its API path, as a browser's
// would, without a trip through the network.
type inProcess struct{ h http.Handler }

func (c inProcess) Do(r *http.Request) (*http.Response, error) {
	if r.Body == nil {
		r.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, r)
	res := rec.Result()
	res.Request = r
	return res, nil
}
