// Package api is the HTTP side of every operation: each adapter decodes
// the request, resolves the caller, calls one use case (shared/app/…) and
// renders its answer. The Lambda functions and the local gateway run
// exactly these. Client codes, their texts and statuses live here
// (problems.go) and in httpapi, nowhere else.
package api

import (
	"context"
	"log/slog"
	"strconv"
	"strings"

	"github.com/portalaccess/portalaccess/shared/app"
	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/conc"
	"github.com/portalaccess/portalaccess/shared/app/customers"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/app/imports"
	"github.com/portalaccess/portalaccess/shared/app/invitations"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/app/mfa"
	"github.com/portalaccess/portalaccess/shared/app/offboarding"
	"github.com/portalaccess/portalaccess/shared/app/portals"
	"github.com/portalaccess/portalaccess/shared/app/profile"
	"github.com/portalaccess/portalaccess/shared/app/roles"
	"github.com/portalaccess/portalaccess/shared/app/subscriptions"
	"github.com/portalaccess/portalaccess/shared/cursor"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/jwtauth"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Services are the use cases the adapters call.
type Services struct {
	Access      *access.Resolver
	Members     *members.Service
	Customers   *customers.Service
	Portals     *portals.Service
	Invitations *invitations.Service
	Profile     *profile.Service
	Roles       *roles.Service
	Offboarding *offboarding.Service
	Imports     *imports.Service
	// Subscriptions are the customers' webhook subscriptions.
	Subscriptions *subscriptions.Service
	// MFA is the operators' second factor (nil in functions without the
	// sign-in client).
	MFA *mfa.Service
	// Tokens checks the tokens of the routes a portal's token may call.
	Tokens  *jwtauth.Verifier
	Cursors *cursor.Codec
	Log     *slog.Logger
}

// NewServices makes the services of a function from what it has.
func NewServices(e app.Env) *Services {
	return &Services{
		Access: e.Access(), Members: e.Members(), Customers: e.Customers(), Portals: e.Portals(), Invitations: e.Invitations(),
		Profile: e.Profile(), Offboarding: e.Offboarding(), Imports: e.Imports(), MFA: e.SecondFactor(), Roles: e.Roles(),
		Subscriptions: e.Subscriptions(),
		Tokens:        jwtauth.New(e.Config.Issuer), Cursors: cursor.New(e.Config.CursorSecret), Log: e.Log,
	}
}

// Operation builds the endpoint of one operation.
type Operation func(s *Services) httpapi.Endpoint

// Handler builds the wrapped handler of an operation, as a function runs it.
func Handler(name string, op Operation, s *Services) httpapi.Handler {
	return httpapi.Wrap(name, op(s), translate, s.Log)
}

// caller resolves who makes the request from the claims the gateway's JWT
// authorizer verified.
func (s *Services) caller(ctx context.Context, r *httpapi.Request) (*access.Caller, error) {
	c, err := s.Access.Resolve(ctx, claimsOf(r))
	if err != nil {
		return nil, err
	}
	r.LogAttrs("caller", c.Sub)
	return c, nil
}

// callerIn resolves who makes a request inside a customer, and reads the
// customer at the same time: one being offboarded is gone for everybody.
func (s *Services) callerIn(ctx context.Context, r *httpapi.Request, customerID string) (*access.Caller, error) {
	c, err := s.Access.ResolveIn(ctx, claimsOf(r), customerID)
	if err != nil {
		return nil, err
	}
	r.LogAttrs("caller", c.Sub)
	return c, nil
}

func claimsOf(r *httpapi.Request) access.Claims {
	claims := r.Claims()
	return access.Claims{Sub: claims["sub"], TokenUse: claims["token_use"], ClientID: claims["client_id"], Exp: claims["exp"]}
}

// authed resolves the caller before the endpoint runs.
func (s *Services) authed(ep func(ctx context.Context, r *httpapi.Request, c *access.Caller) (*httpapi.Response, error)) httpapi.Endpoint {
	return func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
		c, err := s.caller(ctx, r)
		if err != nil {
			return nil, err
		}
		return ep(ctx, r, c)
	}
}

// authedAs resolves the caller and checks them against the policy before
// the endpoint runs.
func (s *Services) authedAs(policy func(*access.Caller) error, ep func(ctx context.Context, r *httpapi.Request, c *access.Caller) (*httpapi.Response, error)) httpapi.Endpoint {
	return s.authed(func(ctx context.Context, r *httpapi.Request, c *access.Caller) (*httpapi.Response, error) {
		if err := policy(c); err != nil {
			return nil, err
		}
		return ep(ctx, r, c)
	})
}

// inCustomer resolves the caller and reads {customerId}, and checks the
// caller against the policy for that customer, before the endpoint runs.
// The customer is read with the caller: one being offboarded answers 404.
func (s *Services) inCustomer(policy func(*access.Caller, string) error,
	ep func(ctx context.Context, r *httpapi.Request, c *access.Caller, customerID string) (*httpapi.Response, error)) httpapi.Endpoint {
	return func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
		c, err := s.callerIn(ctx, r, r.Path("customerId"))
		if err != nil {
			return nil, err
		}
		cid, err := customerParam(r)
		if err != nil {
			return nil, err
		}
		if err := policy(c, cid); err != nil {
			return nil, err
		}
		return ep(ctx, r, c, cid)
	}
}

// decodeCreate reads a creating request: its body into in, and its
// optional Idempotency-Key for the operation.
func decodeCreate(r *httpapi.Request, c *access.Caller, op string, in any) (*idem.Key, error) {
	if err := r.Decode(in); err != nil {
		return nil, err
	}
	return idempotencyKey(r, c, op)
}

// inScope resolves the caller and reads the customer (with its portal
// setups) at the same time, for the operations that invite into it:
// neither needs the other. A refusal to authenticate or authorise is still
// what the client hears first.
func (s *Services) inScope(ep func(ctx context.Context, r *httpapi.Request, c *access.Caller, sc members.Scope) (*httpapi.Response, error)) httpapi.Endpoint {
	return func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
		cid, err := customerParam(r)
		if err != nil {
			return nil, err
		}
		var c *access.Caller
		var sc members.Scope
		authErr, _ := conc.Both(func() error {
			var err error
			c, err = s.caller(ctx, r)
			return err
		}, func() error {
			sc = s.Members.LoadScope(ctx, domain.CustomerScope(cid))
			return nil
		})
		if authErr != nil {
			return nil, authErr
		}
		if sc.Customer != nil && sc.Customer.Offboarding() {
			return nil, state.ErrNotFound // gone for everybody from the moment its offboarding began
		}
		if err := c.RequireUserManager(cid); err != nil {
			return nil, err
		}
		return ep(ctx, r, c, sc)
	}
}

// customerParam reads {customerId}; an id of the wrong shape names no
// customer, so it is not found without a read.
func customerParam(r *httpapi.Request) (string, error) {
	id := r.Path("customerId")
	if !domain.ValidID(domain.PrefixCustomer, id) {
		return "", state.ErrNotFound
	}
	r.LogAttrs("customer", id)
	return id, nil
}

// ifMatch reads an optional If-Match header: "<version>", W/"<version>" or *.
func ifMatch(r *httpapi.Request) (int, error) {
	v := strings.TrimSpace(r.Header("if-match"))
	if v == "" || v == "*" {
		return 0, nil
	}
	v = strings.Trim(strings.TrimPrefix(v, "W/"), `"`)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, httpapi.Invalid(httpapi.Field("If-Match", "invalid", `If-Match must be the ETag of the resource, e.g. "3".`))
	}
	return n, nil
}

// idempotencyKey reads the optional Idempotency-Key of a creating request:
// nil when there is none. The key is scoped to the caller and the
// operation, and only its hash is kept; the request it came with is its
// fingerprint.
func idempotencyKey(r *httpapi.Request, c *access.Caller, op string) (*idem.Key, error) {
	raw := r.Header("idempotency-key")
	if raw == "" {
		return nil, nil
	}
	if len(raw) > 255 {
		return nil, httpapi.Invalid(httpapi.Field("Idempotency-Key", "too_long", "The Idempotency-Key header must be 1 to 255 characters."))
	}
	for _, ch := range raw {
		if ch < 0x21 || ch > 0x7e {
			return nil, httpapi.Invalid(httpapi.Field("Idempotency-Key", "invalid", "The Idempotency-Key header must be printable ASCII without spaces."))
		}
	}
	return &idem.Key{
		ID:          idem.ID(c.Sub, op, raw),
		Fingerprint: idem.Fingerprint(r.Event.RequestContext.HTTP.Method, r.Event.RawPath, r.Event.Body),
	}, nil
}

// pageQuery is the paging of a listing: its limit and where it starts, read
// from limit and cursor, the cursor bound to the listing it came from.
type pageQuery struct {
	limit   int32
	start   state.PageKey
	binding string
	// csv: the page is answered as CSV (Accept: text/csv).
	csv *csvQuery
}

// readPage reads a listing's query: its own parameters, checked by bind
// (which adds its field problems and returns what the listing is, to bind
// the cursor to), then limit and cursor.
func (s *Services) readPage(r *httpapi.Request, params []string, bind func(httpapi.Query, *[]httpapi.FieldProblem) string) (pageQuery, error) {
	q, err := r.Query(append(params, "limit", "cursor")...)
	if err != nil {
		return pageQuery{}, err
	}
	var fields []httpapi.FieldProblem
	binding := bind(q, &fields)
	def, most := 50, 200
	if wantsCSV(r) {
		def, most = csvPage, csvPage
	}
	limit, fe := q.Limit(def, most)
	if fe != nil {
		fields = append(fields, *fe)
	}
	if len(fields) > 0 {
		return pageQuery{}, httpapi.Invalid(fields...)
	}
	start, err := s.Cursors.Decode(binding, q["cursor"])
	if err != nil {
		return pageQuery{}, err
	}
	pq := pageQuery{limit: limit, start: start, binding: binding}
	if wantsCSV(r) {
		pq.csv = &csvQuery{path: r.Event.RawPath, query: q}
	}
	return pq, nil
}

// listPage answers a listing without parameters of its own, bound to
// binding: it reads the page query, fetches that page from the use case
// and renders it through view.
func listPage[E, V any](s *Services, r *httpapi.Request, binding string, fetch func(limit int32, start state.PageKey) (state.Page[E], error), view func(*E) V) (*httpapi.Response, error) {
	pq, err := s.readPage(r, nil, listing(binding))
	if err != nil {
		return nil, err
	}
	p, err := fetch(pq.limit, pq.start)
	if err != nil {
		return nil, err
	}
	return pageOf(s, pq, p, view), nil
}

// listing binds a listing without parameters of its own.
func listing(binding string) func(httpapi.Query, *[]httpapi.FieldProblem) string {
	return func(httpapi.Query, *[]httpapi.FieldProblem) string { return binding }
}

// listView is a page of a listing as the API answers it.
type listView[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"nextCursor"`
}

// pageOf renders a page through view, with the signed cursor of the next.
func pageOf[E, V any](s *Services, pq pageQuery, p state.Page[E], view func(*E) V) *httpapi.Response {
	out := listView[V]{Items: make([]V, 0, len(p.Items)), NextCursor: s.Cursors.Encode(pq.binding, p.Next)}
	for i := range p.Items {
		out.Items = append(out.Items, view(&p.Items[i]))
	}
	return httpapi.OK(out)
}
