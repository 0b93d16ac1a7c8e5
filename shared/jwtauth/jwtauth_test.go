package jwtauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/errs"
)

// pool serves a user pool's JWKS the way Cognito does, under its issuer.
type pool struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	down   atomic.Bool
	issuer string
	// next is served beside key, as kid k2, once rotated.
	next    *rsa.PrivateKey
	rotated atomic.Bool
	fetches atomic.Int32
}

func newPool(t *testing.T) *pool {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	next, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &pool{key: key, next: next}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.down.Load() || r.URL.Path != "/local_pool/.well-known/jwks.json" {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		p.fetches.Add(1)
		b64 := base64.RawURLEncoding.EncodeToString
		jwk := func(kid string, k *rsa.PrivateKey) map[string]string {
			return map[string]string{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
				"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
		}
		keys := []map[string]string{jwk("k1", key)}
		if p.rotated.Load() {
			keys = append(keys, jwk("k2", next))
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	}))
	t.Cleanup(p.srv.Close)
	p.issuer = p.srv.URL + "/local_pool"
	return p
}

func (p *pool) token(t *testing.T, key *rsa.PrivateKey, edit func(jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	c := jwt.MapClaims{
		"sub": "sub-1", "iss": p.issuer, "token_use": "access", "client_id": "portal-client",
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	if edit != nil {
		edit(c)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = "k1"
	if key == p.next {
		tok.Header["kid"] = "k2"
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAPoolsTokenIsRead(t *testing.T) {
	p := newPool(t)
	v := New(p.issuer + "/")
	got, err := v.Verify(context.Background(), "Bearer "+p.token(t, p.key, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got.Sub != "sub-1" || got.TokenUse != "access" || got.ClientID != "portal-client" || got.Exp == "" {
		t.Fatalf("claims %+v", got)
	}
}

func TestWhatThePoolDidNotSignIsRefused(t *testing.T) {
	p := newPool(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good := p.token(t, p.key, nil)
	parts := strings.Split(good, ".")
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "x", "iss": p.issuer, "exp": time.Now().Add(time.Hour).Unix()})
	hs.Header["kid"] = "k1"
	hsToken, _ := hs.SignedString([]byte("guess"))
	cases := map[string]string{
		"another key, same kid": "Bearer " + p.token(t, other, nil),
		"another issuer":        "Bearer " + p.token(t, p.key, func(c jwt.MapClaims) { c["iss"] = "https://cognito-idp.example/other" }),
		"expired":               "Bearer " + p.token(t, p.key, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Second).Unix() }),
		"no expiry":             "Bearer " + p.token(t, p.key, func(c jwt.MapClaims) { delete(c, "exp") }),
		"issued in the future":  "Bearer " + p.token(t, p.key, func(c jwt.MapClaims) { c["iat"] = time.Now().Add(time.Hour).Unix() }),
		"HMAC with a guess":     "Bearer " + hsToken,
		"alg none":              "Bearer " + base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"k1"}`)) + "." + parts[1] + ".",
		"payload changed":       "Bearer " + parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","iss":"`+p.issuer+`","exp":9999999999}`)) + "." + parts[2],
		"no scheme":             good,
		"basic":                 "Basic " + good,
		"empty":                 "Bearer ",
		"too long":              "Bearer " + strings.Repeat("a", 9000),
		"garbage":               "Bearer not.a.token",
	}
	v := New(p.issuer)
	for name, h := range cases {
		if got, err := v.Verify(context.Background(), h); !errors.Is(err, access.ErrUnauthenticated) {
			t.Errorf("%s: %+v, %v; want unauthenticated", name, got, err)
		}
	}
	// The verifier still reads a good token after all that.
	if _, err := v.Verify(context.Background(), "bearer "+good); err != nil {
		t.Fatalf("a good token after refusals: %v", err)
	}
}

// Keys that cannot be read are the pool's trouble, not the caller's: a
// transient error, tried again by the next request.
func TestUnreadableKeysAreTransientAndRetried(t *testing.T) {
	p := newPool(t)
	p.down.Store(true)
	v := New(p.issuer)
	tok := "Bearer " + p.token(t, p.key, nil)
	_, err := v.Verify(context.Background(), tok)
	if err == nil || errors.Is(err, access.ErrUnauthenticated) || errs.KindOf(err) != errs.Transient {
		t.Fatalf("keys down: %v (kind %v), want a transient error", err, errs.KindOf(err))
	}
	p.down.Store(false)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("keys back: %v", err)
	}
	if _, err := New("").Verify(context.Background(), tok); err == nil {
		t.Fatal("a verifier without an issuer accepted a token")
	}
}

// A key the set lacks fetches the set again, once a minute at most: the
// pool's rotation is followed, and made-up key ids cost it little.
func TestANewKeyIsFetchedOnceAMinuteAtMost(t *testing.T) {
	p := newPool(t)
	v := New(p.issuer)
	if _, err := v.Verify(context.Background(), "Bearer "+p.token(t, p.key, nil)); err != nil {
		t.Fatal(err)
	}
	p.rotated.Store(true)
	// Fetched a minute ago or more: the new key is looked for.
	v.fetched = v.fetched.Add(-refetchAfter)
	if _, err := v.Verify(context.Background(), "Bearer "+p.token(t, p.next, nil)); err != nil {
		t.Fatalf("a token of the rotated key: %v", err)
	}
	before := p.fetches.Load()
	for range 20 {
		tok := p.token(t, p.next, nil)
		h := strings.Split(tok, ".")
		h[0] = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"made-up","typ":"JWT"}`))
		if _, err := v.Verify(context.Background(), "Bearer "+strings.Join(h, ".")); !errors.Is(err, access.ErrUnauthenticated) {
			t.Fatalf("a made-up key id: %v", err)
		}
	}
	if got := p.fetches.Load() - before; got != 0 {
		t.Fatalf("20 made-up key ids fetched the set %d times within a minute", got)
	}
	if _, err := v.Verify(context.Background(), "Bearer "+p.token(t, p.key, nil)); err != nil {
		t.Fatalf("the old key still signs: %v", err)
	}
}
