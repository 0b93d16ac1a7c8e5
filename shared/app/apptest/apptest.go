// Package apptest puts the use cases together over the in-memory store, the
// in-memory sign-in system and mailbox, and a clock the test moves: the fast
// tier, which needs no emulator and no JDK. A World also does what a person
// would (invite, read the e-mail, accept, sign in) so that a test reads as
// the story it checks.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app"
	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/customers"
	"github.com/portalaccess/portalaccess/shared/app/invitations"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/app/mfa"
	"github.com/portalaccess/portalaccess/shared/app/offboarding"
	"github.com/portalaccess/portalaccess/shared/app/portals"
	"github.com/portalaccess/portalaccess/shared/app/profile"
	"github.com/portalaccess/portalaccess/shared/app/roles"
	"github.com/portalaccess/portalaccess/shared/app/sweep"
	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/identity/memidentity"
	"github.com/portalaccess/portalaccess/shared/mail/mailbox"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/store/memstore"
)

// Password is the password every person of a World chooses.
const Password = "correct horse battery staple"

// AppClient is the app client whose tokens the World's callers carry.
const AppClient = "console"

// Clock is the business clock of a World.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now is the clock's time. Each reading is a microsecond after the one
// before, as a real clock is, so that what happens later sorts later.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Microsecond)
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// World is the use cases over in-memory parts.
type World struct {
	T           testing.TB
	Store       *memstore.Store
	Identities  *memidentity.Pool
	Mailbox     *mailbox.Box
	Clock       *Clock
	Env         app.Env
	Access      *access.Resolver
	Members     *members.Service
	Customers   *customers.Service
	Portals     *portals.Service
	Invitations *invitations.Service
	Sweeper     *sweep.Sweeper
	Profile     *profile.Service
	Roles       *roles.Service
	Offboarding *offboarding.Service
	MFA         *mfa.Service
	// Admin is the provider's first operator admin, signed in.
	Admin *access.Caller
}

// Config is the configuration of a World: the defaults, with limits high
// enough not to get in a test's way.
func Config() config.Config {
	return config.Config{
		TableName: "t", UserPoolID: "pool", AppClientID: AppClient, PortalURL: "https://portal.example",
		Issuer: "https://idp.example/pool", ManagedLoginURL: "https://login.example",
		SenderEmail: "no-reply@provider.example", CursorSecret: make([]byte, 32),
		InvitationTTL: config.DefaultInvitationTTL, InvitationReminder: config.DefaultInvitationReminder,
		ReinviteCooldown: config.DefaultReinviteCooldown, InviteRateLimit: 1_000_000, PublicRateLimit: 1_000_000,
	}
}

// New makes a World with its first operator admin, admin@provider.example.
func New(t testing.TB) *World { return NewWith(t, Config()) }

// NewWith makes a World with a configuration of its own.
func NewWith(t testing.TB, cfg config.Config) *World {
	t.Helper()
	w := &World{T: t, Store: memstore.New(), Identities: memidentity.New(), Mailbox: mailbox.New(),
		Clock: &Clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}}
	w.Env = app.Env{Config: cfg, Store: w.Store, Identity: w.Identities, Clients: w.Identities, Mail: w.Mailbox,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: w.Clock.Now}
	w.Access, w.Members, w.Customers, w.Portals = w.Env.Access(), w.Env.Members(), w.Env.Customers(), w.Env.Portals()
	w.Invitations, w.Sweeper = w.Env.Invitations(), w.Env.Sweeper()
	w.Profile, w.Offboarding, w.MFA = w.Env.Profile(), w.Env.Offboarding(), w.Env.SecondFactor()
	w.Roles = w.Env.Roles()
	if _, err := w.Members.EnsureFirstAdmin(context.Background(), "admin@provider.example"); err != nil {
		t.Fatalf("first admin: %v", err)
	}
	w.Accept("admin@provider.example")
	w.Enrol("admin@provider.example")
	w.Admin = w.SignIn("admin@provider.example")
	return w
}

// Ctx is a context for one call.
func (w *World) Ctx() context.Context { return context.Background() }

// SignIn resolves the caller who signs in with the e-mail, as a request
// with their access token would; the test fails if they cannot.
func (w *World) SignIn(email string) *access.Caller {
	w.T.Helper()
	c, err := w.Resolve(email)
	if err != nil {
		w.T.Fatalf("%s cannot sign in: %v", email, err)
	}
	return c
}

// Resolve resolves the caller of an e-mail: ErrUnauthenticated when the
// identity is gone, disabled, or the password no longer works, or the table
// refuses them.
func (w *World) Resolve(email string) (*access.Caller, error) {
	if !w.Identities.SignIn(email, Password) {
		return nil, access.ErrUnauthenticated
	}
	id, _ := w.Identities.Get(email)
	return w.Access.Resolve(w.Ctx(), w.Claims(id.Sub))
}

// ResolveIn resolves the caller of an e-mail in a request inside a
// customer, as a request about the customer would: the customer is read
// with the caller.
func (w *World) ResolveIn(email, customerID string) (*access.Caller, error) {
	if !w.Identities.SignIn(email, Password) {
		return nil, access.ErrUnauthenticated
	}
	id, _ := w.Identities.Get(email)
	return w.Access.ResolveIn(w.Ctx(), w.Claims(id.Sub), customerID)
}

// Claims are the claims of an unexpired access token of the app client.
func (w *World) Claims(sub string) access.Claims {
	return access.Claims{Sub: sub, TokenUse: "access", ClientID: AppClient, Exp: strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)}
}

// Token is the token of the newest invitation e-mail to an address.
func (w *World) Token(email string) string {
	w.T.Helper()
	tok := w.Mailbox.Token(email)
	if tok == "" {
		w.T.Fatalf("no invitation e-mail to %s", email)
	}
	return tok
}

// Accept accepts the newest invitation to the e-mail with the Password.
func (w *World) Accept(email string) invitations.Accepted {
	w.T.Helper()
	tok, pw := w.Token(email), Password
	out, err := w.Invitations.Accept(w.Ctx(), invitations.Acceptance{Request: invitations.Request{Token: &tok, SourceIP: "192.0.2.1"}, Password: &pw})
	if err != nil {
		w.T.Fatalf("%s cannot accept: %v", email, err)
	}
	return out
}

// NewCustomer makes a customer.
func (w *World) NewCustomer(name, locale string) domain.Customer {
	w.T.Helper()
	cu, err := w.Customers.Create(w.Ctx(), w.Admin, customers.NewCustomer{Name: &name, Locale: &locale}, nil)
	if err != nil {
		w.T.Fatal(err)
	}
	return cu
}

// NewRoles adds roles to a customer's catalogue, as the operator admin.
func (w *World) NewRoles(customerID string, names ...string) []domain.Role {
	w.T.Helper()
	var out []domain.Role
	for _, n := range names {
		r, err := w.Roles.Create(w.Ctx(), w.Admin, customerID, roles.Input{Name: &n}, nil)
		if err != nil {
			w.T.Fatalf("role %s: %v", n, err)
		}
		out = append(out, r)
	}
	return out
}

// Scope loads a scope for inviting into it.
func (w *World) Scope(sc domain.Scope) members.Scope { return w.Members.LoadScope(w.Ctx(), sc) }

// Invite invites a portal user of the customer as the caller.
func (w *World) Invite(c *access.Caller, customerID, email string, admin bool) domain.Member {
	w.T.Helper()
	m, err := w.Members.Invite(w.Ctx(), c, w.Scope(domain.CustomerScope(customerID)), members.Invitee{Email: email, Admin: &admin}, nil)
	if err != nil {
		w.T.Fatalf("invite %s: %v", email, err)
	}
	return m
}

// User invites a portal user, who accepts and signs in.
func (w *World) User(customerID, email string, admin bool) (domain.Member, *access.Caller) {
	w.T.Helper()
	m := w.Invite(w.Admin, customerID, email, admin)
	w.Accept(email)
	m, err := w.Store.Member(w.Ctx(), m.Scope(), m.ID)
	if err != nil {
		w.T.Fatal(err)
	}
	return m, w.SignIn(email)
}

// Operator invites an operator of the role, who accepts and signs in.
func (w *World) Operator(email string, role domain.OperatorRole) (domain.Member, *access.Caller) {
	w.T.Helper()
	r := string(role)
	m, err := w.Members.Invite(w.Ctx(), w.Admin, w.Scope(domain.ProviderScope), members.Invitee{Email: email, Role: &r}, nil)
	if err != nil {
		w.T.Fatalf("invite operator %s: %v", email, err)
	}
	w.Accept(email)
	w.Enrol(email)
	m, err = w.Store.Member(w.Ctx(), m.Scope(), m.ID)
	if err != nil {
		w.T.Fatal(err)
	}
	return m, w.SignIn(email)
}

// Cast are the people of a policy test: two customers, Acme and Other;
// Acme's portal admin and a plain user of it; Other's portal admin; and a
// technician of the provider.
type Cast struct {
	Acme, Other                         domain.Customer
	PortalAdmin, User, OtherAdmin, Tech *access.Caller
}

// NewCast makes the cast, each signed in.
func (w *World) NewCast() Cast {
	c := Cast{Acme: w.NewCustomer("Acme", "en"), Other: w.NewCustomer("Other", "en")}
	_, c.PortalAdmin = w.User(c.Acme.ID, "pa@acme.example", true)
	_, c.User = w.User(c.Acme.ID, "user@acme.example", false)
	_, c.OtherAdmin = w.User(c.Other.ID, "pa@other.example", true)
	_, c.Tech = w.Operator("tech@provider.example", domain.RoleTechnician)
	return c
}

// Enrol sets up an authenticator app for the operator of the e-mail, as
// they would with their own token, and confirms it (POST /v1/me/mfa).
func (w *World) Enrol(email string) {
	w.T.Helper()
	w.Identities.SetUpTOTP(email, false)
	c, err := w.Enrolling(email)
	if err != nil {
		w.T.Fatalf("%s cannot sign in to enrol: %v", email, err)
	}
	if _, err := w.MFA.Enrol(w.Ctx(), c); err != nil {
		w.T.Fatalf("%s cannot enrol: %v", email, err)
	}
}

// Enrolling resolves the caller of an e-mail as the routes an operator
// may call before enrolling do (GET /v1/me, POST /v1/me/mfa).
func (w *World) Enrolling(email string) (*access.Caller, error) {
	if !w.Identities.SignIn(email, Password) {
		return nil, access.ErrUnauthenticated
	}
	id, _ := w.Identities.Get(email)
	return w.Access.ResolveEnrolling(w.Ctx(), w.Claims(id.Sub))
}

// Member re-reads a member.
func (w *World) Member(m domain.Member) (domain.Member, bool) {
	got, err := w.Store.Member(w.Ctx(), m.Scope(), m.ID)
	return got, err == nil
}

// Audit counts a scope's audit events.
func (w *World) Audit(sc domain.Scope) int {
	w.T.Helper()
	n := 0
	var start state.PageKey
	for {
		p, err := w.Store.ListAudit(w.Ctx(), sc, 200, start)
		if err != nil {
			w.T.Fatal(err)
		}
		n += len(p.Items)
		if p.Next == nil {
			return n
		}
		start = p.Next
	}
}

// Sweep runs the sweep once the markers of recent changes are due.
func (w *World) Sweep() sweep.Report {
	w.T.Helper()
	w.Clock.Advance(3 * time.Minute)
	return w.SweepNow()
}

// SweepNow runs the sweep at the clock's time.
func (w *World) SweepNow() sweep.Report {
	w.T.Helper()
	rep, err := w.Sweeper.Run(w.Ctx(), time.Minute)
	if err != nil {
		w.T.Fatal(err)
	}
	return rep
}

// NewPortal makes a portal setup of a customer, its app client made.
func (w *World) NewPortal(customerID, name, url string) domain.Portal {
	w.T.Helper()
	p, _, err := w.Portals.Create(w.Ctx(), w.Admin, customerID, portals.Setup{Name: &name, URL: &url}, nil)
	if err != nil || p.ClientID == "" {
		w.T.Fatalf("portal %s: %+v %v", name, p, err)
	}
	return p
}

// PortalClaims are the claims of an unexpired access token of an app client.
func (w *World) PortalClaims(email, clientID string) access.Claims {
	id, _ := w.Identities.Get(email)
	c := w.Claims(id.Sub)
	c.ClientID = clientID
	return c
}

// PortalSignIn resolves the caller who signs in to a portal through its
// app client, as the portal's request with their token would.
func (w *World) PortalSignIn(email, clientID string) (*access.Caller, error) {
	if !w.Identities.SignIn(email, Password) {
		return nil, access.ErrUnauthenticated
	}
	return w.Access.ResolveAny(w.Ctx(), w.PortalClaims(email, clientID))
}

// Fields is the fields an invalid-input error names, as "name:reason".
func Fields(err error) []string {
	var out []string
	if e := errs.As(err); e != nil {
		for _, f := range e.Fields {
			out = append(out, f.Name+":"+f.Reason)
		}
	}
	return out
}

// Actions lists a customer's audit actions, newest first.
func (w *World) Actions(t *testing.T, customerID string) []string {
	t.Helper()
	p, err := w.Store.ListAudit(w.Ctx(), domain.CustomerScope(customerID), 200, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range p.Items {
		out = append(out, e.Action)
	}
	return out
}
