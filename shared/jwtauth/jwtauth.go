// Package jwtauth checks a bearer token in the function, where no gateway
// authorizer can: the routes a portal's token may call (its app client is
// made at run time, and API Gateway's JWT authorizer takes a fixed list of
// audiences at deploy). It verifies the signature against the user pool's
// JWKS (golang-jwt with MicahParks/keyfunc, fetched on the first token and
// kept for the container's life), the issuer and the expiry; which clients a token may
// come from is access's to decide.
package jwtauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/errs"
)

// ErrKeys: the user pool's keys could not be read (for now).
var ErrKeys = errs.New(errs.Transient, "unavailable")

// Verifier checks the tokens of one user pool.
type Verifier struct {
	// Issuer is the pool's issuer: tokens' iss, and the JWKS is under it.
	Issuer string
	// HTTP fetches the JWKS; http.DefaultClient with a timeout when nil.
	HTTP *http.Client

	mu      sync.Mutex
	kf      keyfunc.Keyfunc
	fetched time.Time
}

// New makes a verifier for the pool of the issuer.
func New(issuer string) *Verifier { return &Verifier{Issuer: strings.TrimRight(issuer, "/")} }

// refetchAfter is how soon a token signed by a key the set lacks (Cognito
// rotated its keys) may fetch the set again: a flood of made-up key ids
// costs the pool one request a minute.
const refetchAfter = time.Minute

// keys are the pool's JWKS, fetched on the first token and kept for the
// container's life; again when stale asks for it and the last fetch is
// old enough. A failed first fetch is tried again by the next request,
// and a failed later one keeps the keys already read. No goroutine: a
// frozen Lambda container has nothing running in the background.
func (v *Verifier) keys(ctx context.Context, stale bool) (keyfunc.Keyfunc, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.kf != nil && (!stale || time.Since(v.fetched) < refetchAfter) {
		return v.kf, nil
	}
	if v.Issuer == "" {
		return nil, errors.New("no issuer configured")
	}
	raw, err := v.fetch(ctx)
	if err == nil {
		var kf keyfunc.Keyfunc
		if kf, err = keyfunc.NewJWKSetJSON(raw); err == nil {
			v.kf, v.fetched = kf, time.Now()
			return kf, nil
		}
	}
	if v.kf != nil {
		return v.kf, nil
	}
	return nil, err
}

func (v *Verifier) fetch(ctx context.Context) (json.RawMessage, error) {
	client := v.HTTP
	if client == nil {
		client = &http.Client{Timeout: 3 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.Issuer+"/.well-known/jwks.json", nil)
	if err != nil {
		return nil, err
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("JWKS: HTTP %d", res.StatusCode)
	}
	var raw json.RawMessage
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&raw); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	return raw, nil
}

// Verify reads the claims of an "Authorization: Bearer …" header's token
// that the pool signed and that has not expired; anything else is
// access.ErrUnauthenticated.
func (v *Verifier) Verify(ctx context.Context, header string) (access.Claims, error) {
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		if raw, ok = strings.CutPrefix(header, "bearer "); !ok {
			return access.Claims{}, access.ErrUnauthenticated
		}
	}
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 8192 {
		return access.Claims{}, access.ErrUnauthenticated
	}
	claims := jwt.MapClaims{}
	parse := func(stale bool) error {
		kf, err := v.keys(ctx, stale)
		if err != nil {
			return ErrKeys.In("jwtauth.Verify", err)
		}
		_, err = jwt.ParseWithClaims(raw, claims, kf.KeyfuncCtx(ctx),
			jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(v.Issuer),
			jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(0))
		return err
	}
	err := parse(false)
	if errors.Is(err, jwkset.ErrKeyNotFound) {
		clear(claims)
		err = parse(true)
	}
	if errs.IsKind(err, errs.Transient) {
		return access.Claims{}, err
	}
	if err != nil {
		return access.Claims{}, access.ErrUnauthenticated.In("jwtauth.Verify", err)
	}
	str := func(k string) string { s, _ := claims[k].(string); return s }
	exp, _ := claims.GetExpirationTime()
	out := access.Claims{Sub: str("sub"), TokenUse: str("token_use"), ClientID: str("client_id")}
	if exp != nil {
		out.Exp = strconv.FormatInt(exp.Unix(), 10)
	}
	return out, nil
}
