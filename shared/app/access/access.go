// Package access resolves who makes a request and decides what they may do.
// The caller is read from the table on every request, by the token's sub: a
// disabled or deleted user is refused at once, even while their token has
// not expired.
package access

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/conc"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Errors of access. Inside a customer the caller cannot see, the answer is
// ErrNotFound, never ErrForbidden, so that ids of other customers reveal
// nothing.
var (
	ErrUnauthenticated = errs.New(errs.Unauthenticated, "unauthenticated")
	ErrForbidden       = errs.New(errs.Permission, "forbidden")
	ErrNotFound        = errs.New(errs.NotExist, "not_found")
	// ErrMFARequired: an operator without a confirmed authenticator app
	// may only read GET /v1/me and enrol one.
	ErrMFARequired = errs.New(errs.Permission, "mfa_required")
)

// Claims are the verified claims of a bearer token, as the gateway's JWT
// authorizer passes them on.
type Claims struct {
	Sub      string
	TokenUse string
	ClientID string
	// Exp is the expiry, in seconds since the epoch, as a string.
	Exp string
}

// Memberships is what resolving a caller reads: every membership of an
// identity, with one strongly consistent read.
type Memberships interface {
	Memberships(ctx context.Context, sub string) ([]domain.Member, error)
}

// Store is what resolving a caller reads: the identity's memberships, for
// a portal's token the portal setup of its app client, and for a request
// inside a customer the customer (strongly consistent).
type Store interface {
	Memberships
	PortalByClient(ctx context.Context, clientID string) (domain.Portal, domain.Customer, error)
	OriginAllowed(ctx context.Context, origin string) (bool, error)
	Customer(ctx context.Context, id string) (domain.Customer, error)
}

// OriginAllowed reports whether a browser may call the portal routes from
// the origin: it is a registered portal setup's. One longer than any
// setup's origin is not, without a read (the header is the client's).
func (r *Resolver) OriginAllowed(ctx context.Context, origin string) (bool, error) {
	if len(origin) > domain.MaxOriginLength {
		return false, nil
	}
	ok, err := r.Store.OriginAllowed(ctx, origin)
	return ok, errs.Wrap("access.OriginAllowed", err)
}

// Resolver resolves callers.
type Resolver struct {
	Store Store
	// AppClientID is the web console's client: the only one whose tokens
	// manage anything.
	AppClientID string
	// MFAOff: operators need no authenticator app (config.OperatorMFAOff,
	// local test stacks only).
	MFAOff bool
	// Now is the business clock, against which an accessUntil has passed;
	// nil is the wall clock.
	Now func() time.Time
}

func (r *Resolver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// ResolveAny resolves the caller of a route that a portal's token may call
// too (GET /v1/me, GET /v1/portal-access): an access token of the console,
// or of a portal setup's app client, read at once (a setup deleted a
// moment ago is no longer one). A portal's caller carries its Portal.
func (r *Resolver) ResolveAny(ctx context.Context, c Claims) (*Caller, error) {
	if c.ClientID == r.AppClientID {
		return r.ResolveEnrolling(ctx, c)
	}
	const op = "access.ResolveAny"
	if err := unexpired(c); err != nil || c.ClientID == "" {
		return nil, ErrUnauthenticated
	}
	var ms []domain.Member
	var p domain.Portal
	var cu domain.Customer
	msErr, pErr := conc.Both(func() error {
		var err error
		ms, err = r.Store.Memberships(ctx, c.Sub)
		return err
	}, func() error {
		var err error
		p, cu, err = r.Store.PortalByClient(ctx, c.ClientID)
		return err
	})
	if errors.Is(pErr, state.ErrNotFound) {
		return nil, ErrUnauthenticated // no registered portal's token
	}
	if err := errors.Join(msErr, pErr); err != nil {
		return nil, errs.Wrap(op, err)
	}
	// A portal's token speaks for its customer's portal user only: never
	// for provider staff, nor for the person's other customers.
	ms = slices.DeleteFunc(ms, func(m domain.Member) bool { return m.CustomerID != p.CustomerID })
	caller, err := callerOf(c.Sub, ms, r.now())
	if err != nil {
		return nil, err
	}
	caller.Portal = &PortalClient{Portal: p, Customer: cu}
	return caller, nil
}

// PortalClient is the portal setup whose app client a caller signed in
// through, and its customer.
type PortalClient struct {
	Portal   domain.Portal
	Customer domain.Customer
}

func unexpired(c Claims) error {
	if c.Sub == "" || c.TokenUse != "access" {
		return ErrUnauthenticated
	}
	if exp, err := strconv.ParseInt(c.Exp, 10, 64); err != nil || exp <= time.Now().Unix() {
		return ErrUnauthenticated
	}
	return nil
}

// Resolve checks what the gateway's authorizer does not (that the token is
// an access token of the app client, and unexpired by the real clock, not
// the business clock that tests move) and reads the caller's enabled
// memberships.
//
// An operator who has not confirmed an authenticator app is refused with
// ErrMFARequired, whatever else they are.
func (r *Resolver) Resolve(ctx context.Context, c Claims) (*Caller, error) {
	caller, err := r.ResolveEnrolling(ctx, c)
	if err != nil {
		return nil, err
	}
	if caller.MFARequired() {
		return nil, ErrMFARequired
	}
	return caller, nil
}

// ResolveEnrolling is Resolve without the operators' second factor: for
// the routes an operator needs to set one up (GET /v1/me, POST
// /v1/me/mfa). The caller's MFARequired says whether they must.
func (r *Resolver) ResolveEnrolling(ctx context.Context, c Claims) (*Caller, error) {
	const op = "access.Resolve"
	if err := unexpired(c); err != nil || c.ClientID != r.AppClientID {
		return nil, ErrUnauthenticated
	}
	ms, err := r.Store.Memberships(ctx, c.Sub)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	caller, err := callerOf(c.Sub, ms, r.now())
	if err != nil {
		return nil, err
	}
	caller.mfaOff = r.MFAOff
	return caller, nil
}

// ResolveIn resolves the caller of a request inside a customer, and reads
// the customer at the same time: from the moment its offboarding is
// accepted, a customer is gone (ErrNotFound) for every caller, operators
// included, whatever their memberships' copies still say. A customer that
// does not exist is left to the use case to answer, as before; one that
// does is the caller's Tenant.
func (r *Resolver) ResolveIn(ctx context.Context, c Claims, customerID string) (*Caller, error) {
	if !domain.ValidID(domain.PrefixCustomer, customerID) {
		return r.Resolve(ctx, c)
	}
	var caller *Caller
	var cu domain.Customer
	authErr, cuErr := conc.Both(func() error {
		var err error
		caller, err = r.Resolve(ctx, c)
		return err
	}, func() error {
		var err error
		cu, err = r.Store.Customer(ctx, customerID)
		return err
	})
	if authErr != nil {
		return nil, authErr // who is asking is answered first
	}
	switch {
	case errors.Is(cuErr, state.ErrNotFound):
		return caller, nil
	case cuErr != nil:
		return nil, errs.Wrap("access.ResolveIn", cuErr)
	case cu.Offboarding():
		return nil, ErrNotFound
	}
	caller.Tenant = &cu
	return caller, nil
}

// callerOf is the caller of an identity with these memberships: its
// enabled ones whose access has not ended; nobody when none is.
//
// An ended access is refused at the request, not only once the sweep has
// disabled the member, except an operator admin's: the provider's last
// operator admin's end waits until there is another (nobody could enable
// them again), which only the sweep knows, and it ends theirs within its
// interval.
func callerOf(sub string, ms []domain.Member, now time.Time) (*Caller, error) {
	caller := &Caller{Sub: sub, Memberships: map[string]*domain.Member{}}
	for i := range ms {
		m := &ms[i]
		if m.Status != domain.StatusEnabled {
			continue
		}
		if m.AccessEnded(now) && !(m.Scope().IsProvider() && m.Role == domain.RoleAdmin) {
			continue
		}
		caller.Email = m.Email
		if m.Scope().IsProvider() {
			caller.Operator = m
		} else {
			caller.Memberships[m.CustomerID] = m
		}
	}
	if caller.Operator == nil && len(caller.Memberships) == 0 {
		return nil, ErrUnauthenticated
	}
	return caller, nil
}

// Caller is who makes a request and what they may do.
type Caller struct {
	Sub   string
	Email string
	// Operator is the caller's operator record when it is enabled.
	Operator *domain.Member
	// Memberships are the caller's enabled memberships, by customer id.
	Memberships map[string]*domain.Member
	// Portal is the portal setup whose app client the caller signed in
	// through; nil for the console's.
	Portal *PortalClient
	// Tenant is the customer a request inside one is about, read with the
	// caller (ResolveIn); nil when it does not exist or was not read.
	Tenant *domain.Customer
	mfaOff bool
	// system: work no person asked for (As); nothing of it is re-checked
	// in the table.
	system bool
}

// TenantOf is the caller's Tenant when it is the customer id's.
func (c *Caller) TenantOf(customerID string) *domain.Customer {
	if c.Tenant != nil && c.Tenant.ID == customerID {
		return c.Tenant
	}
	return nil
}

// As is a caller for work no person asked for (the deployment inviting the
// first operator admin): it acts as an operator admin, recorded as actor.
func As(actor domain.Actor) *Caller {
	return &Caller{Sub: actor.ID, Email: actor.Email, system: true, Operator: &domain.Member{
		ID: actor.ID, Email: actor.Email, Name: actor.Name, Role: domain.RoleAdmin, Status: domain.StatusEnabled,
	}}
}

// MFARequired reports whether the caller is an operator who must set up
// an authenticator app before anything else.
func (c *Caller) MFARequired() bool { return c.Operator != nil && !c.mfaOff && c.Operator.NeedsMFA() }

// IsOperator reports whether the caller is enabled provider staff.
func (c *Caller) IsOperator() bool { return c.Operator != nil }

// CustomerExists answers whether the customer is there, as the caller's
// own standing tells it or, failing that, a read: a member's membership of
// it proves it, as does the read of it with the caller (ResolveIn); for an
// operator outside that customer it is read, and one that is not there is
// not found (errs.NotExist, as read answers it).
func (c *Caller) CustomerExists(ctx context.Context, customerID string, read func(ctx context.Context, id string) (domain.Customer, error)) error {
	if !c.IsOperator() || c.TenantOf(customerID) != nil {
		return nil
	}
	_, err := read(ctx, customerID)
	return err
}

// IsOperatorAdmin reports whether the caller is an enabled operator admin.
func (c *Caller) IsOperatorAdmin() bool {
	return c.Operator != nil && c.Operator.Role == domain.RoleAdmin
}

// Member is the caller's enabled membership of a customer, or nil.
func (c *Caller) Member(customerID string) *domain.Member { return c.Memberships[customerID] }

// RequireOperator: any operator.
func (c *Caller) RequireOperator() error {
	if c.IsOperator() {
		return nil
	}
	return ErrForbidden
}

// RequireOperatorAdmin: operator admins only.
func (c *Caller) RequireOperatorAdmin() error {
	if c.IsOperatorAdmin() {
		return nil
	}
	return ErrForbidden
}

// RequireCustomerReader: operators, and enabled members of the customer.
func (c *Caller) RequireCustomerReader(customerID string) error {
	if c.IsOperator() || c.Member(customerID) != nil {
		return nil
	}
	return ErrNotFound
}

// RequireUserManager: operators, and the customer's enabled portal admins.
func (c *Caller) RequireUserManager(customerID string) error {
	if c.IsOperator() {
		return nil
	}
	return c.requirePortalAdmin(customerID)
}

// requirePortalAdmin: the customer's enabled portal admins; its other
// members are forbidden, the rest find nothing.
func (c *Caller) requirePortalAdmin(customerID string) error {
	m := c.Member(customerID)
	if m == nil {
		return ErrNotFound
	}
	if !m.Admin {
		return ErrForbidden
	}
	return nil
}

// RequireOperatorIn: operators; others who can see the customer are
// forbidden, the rest find nothing.
func (c *Caller) RequireOperatorIn(customerID string) error {
	if c.IsOperator() {
		return nil
	}
	if c.Member(customerID) != nil {
		return ErrForbidden
	}
	return ErrNotFound
}

// RequireOperatorAdminIn: operator admins; others who can see the customer
// are forbidden, the rest find nothing.
func (c *Caller) RequireOperatorAdminIn(customerID string) error {
	if c.IsOperatorAdmin() {
		return nil
	}
	if c.IsOperator() || c.Member(customerID) != nil {
		return ErrForbidden
	}
	return ErrNotFound
}

// RequireWebhookManager: who may manage a customer's webhook
// subscriptions — operator admins and the customer's enabled portal
// admins; technicians and the customer's other members are forbidden, the
// rest find nothing.
func (c *Caller) RequireWebhookManager(customerID string) error {
	if c.IsOperatorAdmin() {
		return nil
	}
	if c.IsOperator() {
		return ErrForbidden
	}
	return c.requirePortalAdmin(customerID)
}

// RequireManager: who may manage the members of a scope — operator admins
// for the provider's staff, user managers for a customer's users.
func (c *Caller) RequireManager(sc domain.Scope) error {
	if sc.IsProvider() {
		return c.RequireOperatorAdmin()
	}
	return c.RequireUserManager(sc.CustomerID)
}

// ActorIn is the caller as the audit trail of a scope records them.
func (c *Caller) ActorIn(sc domain.Scope) domain.Actor {
	if c.Operator != nil {
		return domain.Actor{ID: c.Operator.ID, Email: c.Operator.Email, Kind: domain.ActorOperator, Name: c.Operator.Name}
	}
	if m := c.Member(sc.CustomerID); m != nil {
		return domain.Actor{ID: m.ID, Email: m.Email, Kind: domain.ActorPortalUser, Name: m.Name}
	}
	return domain.Actor{ID: c.Sub, Email: c.Email, Kind: domain.ActorPortalUser}
}

// ActsAsPortalAdmin reports whether the caller acts in the customer through
// a portal admin membership rather than as an operator: the last-admin rule
// binds them, and their rights are re-checked when a change lands.
func (c *Caller) ActsAsPortalAdmin(customerID string) bool {
	return !c.IsOperator() && c.Member(customerID) != nil
}

// ActingExtras is what a change in the customer carries of the caller (ActIn).
func (c *Caller) ActingExtras(customerID string) state.Extras {
	var x state.Extras
	c.ActIn(domain.CustomerScope(customerID), &x)
	return x
}

// ActIn puts in a change's extras who the caller acts as, to be checked
// again when it lands: a portal admin (ActsAsPortalAdmin) must still be an
// enabled admin of the customer, an operator still an enabled operator in
// the role they acted in. It reports whether the caller is such a portal
// admin (the last-admin rule binds them).
func (c *Caller) ActIn(sc domain.Scope, x *state.Extras) (portalAdmin bool) {
	switch {
	case c.system:
	case c.Operator != nil:
		x.ActingOperator, x.ActingRole = c.Sub, c.Operator.Role
	case !sc.IsProvider() && c.ActsAsPortalAdmin(sc.CustomerID):
		x.ActingAdmin = c.Sub
		return true
	}
	return false
}

// DeploymentActor is the deployment, which invites the first operator admin.
var DeploymentActor = domain.Actor{ID: "deployment", Email: "deployment", Kind: domain.ActorOperator, Name: "The deployment"}

// Acting resolves the person a job acts for, from their identity alone (a
// job has no token): their enabled memberships as they are now, so that
// someone disabled or demoted since they asked stops acting at once. An
// operator who must set up an authenticator app again (reset since) is
// ErrMFARequired, as each of their own requests is.
func (r *Resolver) Acting(ctx context.Context, sub string) (*Caller, error) {
	ms, err := r.Store.Memberships(ctx, sub)
	if err != nil {
		return nil, errs.Wrap("access.Acting", err)
	}
	caller, err := callerOf(sub, ms, r.now())
	if err != nil {
		return nil, err
	}
	caller.mfaOff = r.MFAOff
	if caller.MFARequired() {
		return nil, ErrMFARequired
	}
	return caller, nil
}
