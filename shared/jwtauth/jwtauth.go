// Package jwtauth checks a bearer token in the function, where no gateway
// authorizer can: the routes a portal's token may call (its app client is
// made at run time, and API Gateway's JWT authorizer takes a fixed list of
// audiences at deploy). It verifies the signature against the user pool's
// JWKS (golang-jwt with MicahParks/keyfunc, fetched once a container, on
// the first token), the issuer and the expiry; which clients a token may
// come from is access's to decide.
package jwtauth

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"

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

	mu sync.Mutex
	kf keyfunc.Keyfunc
}

// New makes a verifier for the pool of the issuer.
func New(issuer string) *Verifier { return &Verifier{Issuer: strings.TrimRight(issuer, "/")} }

// keys fetches the pool's JWKS once; a failed fetch is tried again by the
// next request.
func (v *Verifier) keys(ctx context.Context) (keyfunc.Keyfunc, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.kf != nil {
		return v.kf, nil
	}
	if v.Issuer == "" {
		return nil, errors.New("no issuer configured")
	}
	kf, err := keyfunc.NewDefaultCtx(context.WithoutCancel(ctx), []string{v.Issuer + "/.well-known/jwks.json"})
	if err != nil {
		return nil, err
	}
	v.kf = kf
	return kf, nil
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
	kf, err := v.keys(ctx)
	if err != nil {
		return access.Claims{}, ErrKeys.In("jwtauth.Verify", err)
	}
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(raw, claims, kf.KeyfuncCtx(ctx),
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(v.Issuer),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(0))
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
