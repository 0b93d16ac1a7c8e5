// Package gateway is the local stand-in for API Gateway (HTTP API): it
// serves the route table, checks bearer tokens as the JWT authorizer does
// (signature against the user pool's JWKS, issuer, audience or client_id,
// expiry), builds the payload 2.0 event, and calls the very handler that the
// route's Lambda function runs.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"

	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/routes"
)

// errUnauthorized is the authorizer's refusal. API Gateway's own body is
// {"message":"Unauthorized"}; the status is the same.
var errUnauthorized = &httpapi.Error{Status: http.StatusUnauthorized, Code: "unauthenticated", Detail: "A valid access token of an enabled user is required."}

// MaxPayload is API Gateway's request size limit (10 MB).
const MaxPayload = 10 << 20

// Options configure the authorizer.
type Options struct {
	// Issuer is the user pool's issuer URL; JWKSURL its key set.
	Issuer  string
	JWKSURL string
	// Audience is the app client id.
	Audience string
	Log      *slog.Logger
	// Site, when set, serves every path outside /v1/ (the web console).
	Site http.Handler
}

// Gateway serves the API.
type Gateway struct {
	mux *http.ServeMux
	kf  keyfunc.Keyfunc
	o   Options
}

// New routes every entry of the route table to its handler.
func New(ctx context.Context, handlers map[string]httpapi.Handler, o Options) (*Gateway, error) {
	kf, err := keyfunc.NewDefaultCtx(ctx, []string{o.JWKSURL})
	if err != nil {
		return nil, fmt.Errorf("load the JWKS at %s: %w", o.JWKSURL, err)
	}
	g := &Gateway{mux: http.NewServeMux(), kf: kf, o: o}
	for _, rt := range routes.Table {
		h, ok := handlers[rt.Function]
		if !ok {
			return nil, fmt.Errorf("no handler for function %s", rt.Function)
		}
		// API Gateway's greedy {name+} is Go's {name...}.
		g.mux.HandleFunc(rt.Method+" "+strings.ReplaceAll(rt.Path, "+}", "...}"), g.route(rt, h))
	}
	notFound := func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, &httpapi.Error{Status: http.StatusNotFound, Code: "not_found", Detail: "No such route."}, newRequestID())
	}
	// An unknown API path is a problem answer; the rest is the site's.
	g.mux.HandleFunc("/v1/", notFound)
	if o.Site != nil {
		g.mux.Handle("/", o.Site)
	} else {
		g.mux.HandleFunc("/", notFound)
	}
	return g, nil
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.mux.ServeHTTP(w, r) }

func (g *Gateway) route(rt routes.Route, h httpapi.Handler) http.HandlerFunc {
	params := pathParams(rt.Path)
	return func(w http.ResponseWriter, r *http.Request) {
		rid := newRequestID()
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
		if err != nil {
			writeProblem(w, &httpapi.Error{Status: http.StatusBadRequest, Code: "malformed_body", Detail: "The request body could not be read."}, rid)
			return
		}
		if len(body) > MaxPayload {
			writeProblem(w, &httpapi.Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Detail: "The request body is too large."}, rid)
			return
		}
		ev := buildEvent(r, rt, params, body, rid)
		if !rt.Public && !rt.OwnToken { // those check their token themselves, if any
			claims, scopes, err := g.authorize(r)
			if err != nil {
				g.o.Log.Info("token refused", "apiRequestId", rid, "route", ev.RouteKey, "reason", err.Error())
				writeProblem(w, errUnauthorized, rid)
				return
			}
			ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: scopes},
			}
		}
		resp, err := h(r.Context(), ev)
		if err != nil { // handlers never fail; Lambda would answer 500 here
			writeProblem(w, err, rid)
			return
		}
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		out := []byte(resp.Body)
		if resp.IsBase64Encoded {
			if out, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
				writeProblem(w, err, rid)
				return
			}
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(out)
	}
}

// authorize checks the bearer token as API Gateway's JWT authorizer does.
// Like it, it does not look at token_use: the handlers refuse ID tokens.
func (g *Gateway) authorize(r *http.Request) (map[string]string, []string, error) {
	raw := r.Header.Get("Authorization")
	if raw == "" {
		return nil, nil, errors.New("no Authorization header")
	}
	if len(raw) > 7 && strings.EqualFold(raw[:7], "bearer ") {
		raw = strings.TrimSpace(raw[7:])
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, g.kf.Keyfunc,
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(g.o.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(0),
	)
	if err != nil {
		return nil, nil, err
	}
	// The audience: "aud" when the token has one (ID tokens), otherwise
	// "client_id" (access tokens).
	aud, _ := claims.GetAudience()
	if len(aud) > 0 {
		if !slices.Contains(aud, g.o.Audience) {
			return nil, nil, errors.New("aud is not the app client")
		}
	} else if cid, _ := claims["client_id"].(string); cid != g.o.Audience {
		return nil, nil, errors.New("client_id is not the app client")
	}
	out := make(map[string]string, len(claims))
	for k, v := range claims {
		out[k] = claimString(v)
	}
	var scopes []string
	if s, ok := claims["scope"].(string); ok {
		scopes = strings.Fields(s)
	}
	return out, scopes, nil
}

// claimString writes a claim the way API Gateway passes it on: strings as
// they are, numbers in plain notation, arrays as "[a b]".
func claimString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = claimString(p)
		}
		return "[" + strings.Join(parts, " ") + "]"
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func buildEvent(r *http.Request, rt routes.Route, params []string, body []byte, rid string) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	for k, vs := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = map[string]string{}
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	var path map[string]string
	for _, p := range params {
		if path == nil {
			path = map[string]string{}
		}
		path[p] = r.PathValue(p)
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	now := time.Now()
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: rt.Method + " " + rt.Path, RawPath: r.URL.EscapedPath(), RawQueryString: r.URL.RawQuery,
		Headers: headers, QueryStringParameters: query, PathParameters: path,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: rt.Method + " " + rt.Path, AccountID: "000000000000", Stage: "$default", RequestID: rid,
			APIID: "local", DomainName: r.Host, Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: ip, UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// pathParams lists the {names} of a path template.
func pathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}"), "+"))
		}
	}
	return out
}

func writeProblem(w http.ResponseWriter, err error, rid string) {
	p, h := httpapi.ProblemOf(err, nil, rid)
	for k, v := range h {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Request-Id", rid)
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
