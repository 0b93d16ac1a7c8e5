// Package portals is a customer's portal setups as relying parties of the
// user pool: each its own app client, whose callback URLs are the setup's
// redirect URIs. A setup is committed to the table first; its app client is
// made, changed or deleted after, from what was committed, and the sweep
// finishes what a request left. The package also answers a portal's own
// question: who is this person in this portal, and what may they do.
package portals

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/check"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/app/roles"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Errors of portal setups.
var (
	// ErrNoPortalAccess: an enabled member of the portal's customer who is
	// not linked to the portal.
	ErrNoPortalAccess = errs.New(errs.Permission, "no_portal_access")
)

// Store is what portal setups read and write.
type Store interface {
	Customer(ctx context.Context, id string) (domain.Customer, error)
	CustomerWithPortals(ctx context.Context, id string) (domain.Customer, []domain.Portal, error)
	ChangePortal(ctx context.Context, ch state.PortalChange) error
	PortalSyncDone(ctx context.Context, d state.Due) error
	PortalMembers(ctx context.Context, customerID, portalID string, limit int32, start state.PageKey) (state.Page[domain.Member], error)
	ChangeMember(ctx context.Context, ch state.MemberChange) error
	idem.Store // the records of idempotency keys, for idem.Look
	Memberships(ctx context.Context, sub string) ([]domain.Member, error)
	PortalByClient(ctx context.Context, clientID string) (domain.Portal, domain.Customer, error)
	Roles(ctx context.Context, customerID string) ([]domain.Role, error)
}

// Config says where a portal's users sign in.
type Config struct {
	// Issuer is the user pool's issuer URL (its discovery document is
	// under it); ManagedLoginURL the managed login's domain.
	Issuer          string
	ManagedLoginURL string
	// PasswordAuth lets the portals' app clients sign in with a password
	// too: the local stack's scripts and tests do. Never on AWS.
	PasswordAuth bool
}

// Service serves portal setups.
type Service struct {
	Store   Store
	Clients identity.Clients // nil for functions that make no app client
	Config  Config
	Log     *slog.Logger
	Now     func() time.Time
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// SignIn is what a portal needs to sign its users in: a standard OIDC
// client's settings.
type SignIn struct {
	ClientID              string
	Issuer                string
	DiscoveryURL          string
	AuthorizationEndpoint string
	TokenEndpoint         string
	LogoutEndpoint        string
	// UILocales is the customer's language, for the managed login's pages.
	UILocales string
}

// SignInOf is the sign-in details of a setup; ClientID is empty while its
// app client is being made.
func (s *Service) SignInOf(p domain.Portal, locale string) SignIn {
	ml := strings.TrimRight(s.Config.ManagedLoginURL, "/")
	return SignIn{
		ClientID: p.ClientID, Issuer: s.Config.Issuer,
		DiscoveryURL:          strings.TrimRight(s.Config.Issuer, "/") + "/.well-known/openid-configuration",
		AuthorizationEndpoint: ml + "/oauth2/authorize", TokenEndpoint: ml + "/oauth2/token", LogoutEndpoint: ml + "/logout",
		UILocales: locale,
	}
}

// Setup is what a caller gives of a portal setup: unchecked.
type Setup struct {
	Name         *string
	URL          *string
	RedirectURIs []string
}

// check checks a setup into the fields of p (those given).
func (in Setup) check(p *domain.Portal) error {
	var fs check.Fields
	oldDefault := p.URL != "" && slices.Equal(p.RedirectURIs, []string{domain.DefaultRedirectURI(p.URL)})
	check.Given(&fs, "name", in.Name, domain.CleanName, &p.Name)
	check.Given(&fs, "url", in.URL, domain.CleanPortalURL, &p.URL)
	if in.RedirectURIs != nil {
		if len(in.RedirectURIs) == 0 || len(in.RedirectURIs) > domain.MaxRedirectURIs {
			fs.Refuse("redirectUris", "count")
		}
		var uris []string
		for i, raw := range in.RedirectURIs {
			u, code := domain.CleanPortalURL(raw)
			if code != "" {
				fs.RefuseAt("redirectUris", i, code)
				continue
			}
			if !slices.Contains(uris, u) {
				uris = append(uris, u)
			}
		}
		p.RedirectURIs = uris
	} else if in.URL != nil && (len(p.RedirectURIs) == 0 || oldDefault) {
		// The default follows the address; redirect URIs of one's own stay.
		p.RedirectURIs = []string{domain.DefaultRedirectURI(p.URL)}
	}
	return fs.Err()
}

// List lists a customer's portal setups, by name: operators, and its
// portal admins.
func (s *Service) List(ctx context.Context, c *access.Caller, customerID string) ([]domain.Portal, domain.Customer, error) {
	if err := c.RequireUserManager(customerID); err != nil {
		return nil, domain.Customer{}, err
	}
	cu, ps, err := s.Store.CustomerWithPortals(ctx, customerID)
	if err != nil {
		return nil, cu, errs.Wrap("portals.List", err)
	}
	slices.SortStableFunc(ps, func(a, b domain.Portal) int {
		return strings.Compare(strings.ToLower(a.Name)+"\x01"+a.ID, strings.ToLower(b.Name)+"\x01"+b.ID)
	})
	return ps, cu, nil
}

// Get reads a portal setup: operators, and its customer's portal admins.
func (s *Service) Get(ctx context.Context, c *access.Caller, customerID, portalID string) (domain.Portal, domain.Customer, error) {
	if err := c.RequireUserManager(customerID); err != nil {
		return domain.Portal{}, domain.Customer{}, err
	}
	return s.read(ctx, customerID, portalID)
}

func (s *Service) read(ctx context.Context, customerID, portalID string) (domain.Portal, domain.Customer, error) {
	if !domain.ValidID(domain.PrefixPortal, portalID) {
		return domain.Portal{}, domain.Customer{}, state.ErrNotFound
	}
	cu, ps, err := s.Store.CustomerWithPortals(ctx, customerID)
	if err != nil {
		return domain.Portal{}, cu, errs.Wrap("portals.Get", err)
	}
	if i := slices.IndexFunc(ps, func(p domain.Portal) bool { return p.ID == portalID }); i >= 0 {
		return ps[i], cu, nil
	}
	return domain.Portal{}, cu, state.ErrNotFound
}

// Create adds a portal setup to a customer (operator admins): committed
// first, then its app client is made and recorded. With an idempotency
// key, a retry answers the setup the first attempt made, finishing its
// registration; a client the first made but has not recorded is left to
// it (it may still be running) or to the sweep.
func (s *Service) Create(ctx context.Context, c *access.Caller, customerID string, in Setup, key *idem.Key) (domain.Portal, domain.Customer, error) {
	const op = "portals.Create"
	if err := c.RequireOperatorAdminIn(customerID); err != nil {
		return domain.Portal{}, domain.Customer{}, err
	}
	now := s.now()
	p := domain.Portal{ID: domain.NewID(domain.PrefixPortal), CustomerID: customerID, CreatedAt: now, UpdatedAt: now, Version: 1}
	if in.Name == nil {
		in.Name = new(string)
	}
	if in.URL == nil {
		in.URL = new(string)
	}
	if err := in.check(&p); err != nil {
		return domain.Portal{}, domain.Customer{}, err
	}
	key, err := idem.Look(ctx, s.Store, key, now)
	if err != nil {
		return domain.Portal{}, domain.Customer{}, errs.Wrap(op, err)
	}
	if ref := key.PriorRef(); ref != "" {
		return s.resume(ctx, customerID, ref)
	}
	cu, err := s.Store.Customer(ctx, customerID)
	if err != nil {
		return domain.Portal{}, domain.Customer{}, errs.Wrap(op, err)
	}
	sc := domain.CustomerScope(customerID)
	ch := state.PortalChange{After: &p, Customer: cu, Now: now, SyncClient: true,
		Event:  domain.NewEvent(now, c.ActorIn(sc), domain.ActionPortalCreated, domain.Target{Kind: "portal", ID: p.ID}, sc),
		Extras: state.Extras{Idempotency: key.Record(p.ID, now)},
	}
	c.ActIn(sc, &ch.Extras)
	if err := s.Store.ChangePortal(ctx, ch); err != nil {
		ref, err := idem.LostRace(ctx, s.Store, key, err, now)
		if err != nil {
			return domain.Portal{}, domain.Customer{}, errs.Wrap(op, err)
		}
		return s.resume(ctx, customerID, ref)
	}
	return s.settle(ctx, p, cu, ch.Event.ID, byCreate), cu, nil
}

// resume answers a setup an earlier request with the same key made,
// finishing its registration.
func (s *Service) resume(ctx context.Context, customerID, portalID string) (domain.Portal, domain.Customer, error) {
	p, cu, err := s.read(ctx, customerID, portalID)
	if err != nil {
		return p, cu, errs.Wrap("portals.resume", err)
	}
	return s.settle(ctx, p, cu, "", byRequest), cu, nil
}

// settle brings the app client of a setup in line now, after the change
// (marker) committed (a failure is left to the sweep), and answers the
// setup as it then is.
func (s *Service) settle(ctx context.Context, p domain.Portal, cu domain.Customer, marker string, by syncer) domain.Portal {
	after, err := s.syncClient(ctx, p, cu, marker, by)
	if err != nil {
		// after is what got through: a client recorded before the marker
		// failed to clear is the setup's, and the answer shows it.
		s.Log.WarnContext(ctx, "portal's app client not yet in line; the sweep will finish", "portal", p.ID, "error", err.Error())
	}
	return after
}

// syncer is who brings a setup's app client in line, which says whose an
// app client made but not recorded may be.
type syncer int

const (
	// byCreate: the request that made the setup just now; no app client
	// of it can exist yet.
	byCreate syncer = iota
	// byRequest: a later request (a retry of the create, a change). A
	// client made but not recorded is another request's, which may still
	// be running (a retry after a timeout, a double click) and about to
	// record it: it is left alone.
	byRequest
	// bySweep: the sweep, past the grace of the setup's last change, when
	// no request that made a client of it still runs: one made but not
	// recorded is a dead request's, and is replaced.
	bySweep
)

// errUnrecorded says a setup's app client was made but not recorded, by a
// request that may still record it; the sweep replaces it if none does.
var errUnrecorded = errors.New("an app client made but not recorded: another request's, left to it or to the sweep")

// spec is what the app client of a setup is to be.
func (s *Service) spec(p domain.Portal) identity.ClientSpec {
	return identity.ClientSpec{Name: "portal-" + p.ID, CallbackURLs: p.RedirectURIs, LogoutURLs: p.LogoutURIs(), PasswordAuth: s.Config.PasswordAuth,
		ReadAttributes: identity.PortalReadAttributes, WriteAttributes: identity.PortalWriteAttributes}
}

// syncClient makes or changes the app client of an existing setup, records
// a new client's id on the setup (with the record that finds the setup by
// it), and clears the marker of the change (marker, its event id; empty
// leaves the marker to the sweep). A client made but not recorded is
// another request's: a request leaves it to that one (which records it)
// or to the sweep; the sweep, once no such request can still run, finds
// it by its name and replaces it, so that no setup has two and none lacks
// its managed login style.
func (s *Service) syncClient(ctx context.Context, p domain.Portal, cu domain.Customer, marker string, by syncer) (domain.Portal, error) {
	if s.Clients == nil {
		return p, errors.New("no sign-in client")
	}
	if p.ClientID != "" {
		if err := s.Clients.UpdateClient(ctx, p.ClientID, s.spec(p)); err != nil {
			return p, err
		}
	} else {
		if by != byCreate {
			old, found, err := s.Clients.FindClient(ctx, s.spec(p).Name)
			switch {
			case err != nil:
				return p, err
			case found && by == byRequest:
				// Never deleted by a request: the request that made it may
				// be about to record it, and the setup would then name a
				// client that is gone.
				return p, errUnrecorded
			case found:
				// Replaced rather than used: the call that gives a new
				// client its managed login style came after and may never
				// have been made.
				if err := s.Clients.DeleteClient(ctx, old); err != nil {
					return p, err
				}
			}
		}
		id, err := s.Clients.CreateClient(ctx, s.spec(p))
		if err != nil {
			return p, err
		}
		if p, err = s.record(ctx, p, cu, id); err != nil {
			return p, err
		}
	}
	if marker == "" {
		return p, nil
	}
	return p, s.Store.PortalSyncDone(ctx, state.Due{Scope: domain.CustomerScope(p.CustomerID), PortalID: p.ID, Marker: marker})
}

// errNotNamed says a client made for a setup was deleted again: the setup
// went, or names another request's client (which answers for it).
var errNotNamed = errors.New("the setup does not name the app client made for it")

// record records the app client id, just made from the setup p, on the
// setup, with a write conditional on its version. Lost to a change made
// meanwhile, it reads the setup again: one that names the client has it
// (the write landed after all); one still without a client has the
// client set from it as it now is, and recorded again; one that names
// another request's client, or is gone, never will name this one, which
// is deleted (a client is recorded only by whoever made it, so no one else
// would). The answer is the setup as recorded.
func (s *Service) record(ctx context.Context, p domain.Portal, cu domain.Customer, id string) (domain.Portal, error) {
	cur, made := p, p // the setup as last read; the one the client was set from
	var after domain.Portal
	again := false
	err := state.Unpinned(0, func() error {
		if again {
			var err error
			if cur, cu, err = s.read(ctx, p.CustomerID, p.ID); err != nil {
				return err
			}
			switch {
			case cur.ClientID == id:
				after = cur
				return nil
			case cur.ClientID != "":
				return errNotNamed
			case cur.Version != made.Version:
				if err := s.Clients.UpdateClient(ctx, id, s.spec(cur)); err != nil {
					return err
				}
				made = cur
			}
		}
		again = true
		now := s.now()
		after = cur
		after.ClientID, after.Version, after.UpdatedAt = id, cur.Version+1, now
		sc := domain.CustomerScope(cur.CustomerID)
		return s.Store.ChangePortal(ctx, state.PortalChange{Before: &cur, After: &after, Customer: cu, Now: now,
			Event: domain.NewEvent(now, domain.SystemActor, domain.ActionPortalRegistered, domain.Target{Kind: "portal", ID: cur.ID}, sc)})
	})
	switch {
	case err == nil:
		return after, nil
	case errors.Is(err, errNotNamed):
		if err := s.Clients.DeleteClient(ctx, id); err != nil {
			return cur, err
		}
		return cur, nil // the other request's client answers for the setup
	case errors.Is(err, state.ErrNotFound):
		if derr := s.Clients.DeleteClient(ctx, id); derr != nil {
			return p, derr
		}
		return p, errNotNamed
	}
	return cur, err
}

// Update changes a portal setup's name, address and redirect URIs
// (operator admins); want, when not 0, is the version the caller read.
// The app client follows once the change has committed.
func (s *Service) Update(ctx context.Context, c *access.Caller, customerID, portalID string, in Setup, want int) (domain.Portal, domain.Customer, error) {
	const op = "portals.Update"
	if err := c.RequireOperatorAdminIn(customerID); err != nil {
		return domain.Portal{}, domain.Customer{}, err
	}
	if in.Name == nil && in.URL == nil && in.RedirectURIs == nil {
		return domain.Portal{}, domain.Customer{}, errs.ErrEmptyChange
	}
	var p, after domain.Portal
	var cu domain.Customer
	var ch state.PortalChange
	err := state.Unpinned(want, func() error {
		var err error
		if p, cu, err = s.read(ctx, customerID, portalID); err != nil {
			return err
		}
		if want > 0 && p.Version != want {
			return state.ErrStale
		}
		after = p
		if err := in.check(&after); err != nil {
			return err
		}
		if after.Name == p.Name && after.URL == p.URL && slices.Equal(after.RedirectURIs, p.RedirectURIs) {
			return nil // nothing changes: no new version, no audit event
		}
		now := s.now()
		after.Version, after.UpdatedAt = p.Version+1, now
		sc := domain.CustomerScope(customerID)
		ch = state.PortalChange{Before: &p, After: &after, Customer: cu, Now: now, SyncClient: true,
			Event: domain.NewEvent(now, c.ActorIn(sc), domain.ActionPortalUpdated, domain.Target{Kind: "portal", ID: p.ID}, sc)}
		c.ActIn(sc, &ch.Extras)
		return s.Store.ChangePortal(ctx, ch)
	})
	if err != nil || after.Version == p.Version { // refused, or nothing to change
		return p, cu, errs.Wrap(op, err)
	}
	return s.settle(ctx, after, cu, ch.Event.ID, byRequest), cu, nil
}

// Delete removes a portal setup (operator admins): its tokens stop working
// at once (the record that finds it by its app client goes with it); then
// its app client is deleted and its links are taken off its members, a
// bounded number now and the rest by the sweep.
func (s *Service) Delete(ctx context.Context, c *access.Caller, customerID, portalID string) error {
	const op = "portals.Delete"
	if err := c.RequireOperatorAdminIn(customerID); err != nil {
		return err
	}
	var p domain.Portal
	var ch state.PortalChange
	sc := domain.CustomerScope(customerID)
	err := state.Unpinned(0, func() error {
		var err error
		if p, _, err = s.read(ctx, customerID, portalID); err != nil {
			return err
		}
		now := s.now()
		ch = state.PortalChange{Before: &p, Now: now, SyncClient: true,
			Event: domain.NewEvent(now, c.ActorIn(sc), domain.ActionPortalDeleted, domain.Target{Kind: "portal", ID: p.ID}, sc)}
		c.ActIn(sc, &ch.Extras)
		return s.Store.ChangePortal(ctx, ch)
	})
	if err != nil {
		return errs.Wrap(op, err)
	}
	d := state.Due{Scope: sc, PortalID: p.ID, ClientID: p.ClientID, Marker: ch.Event.ID}
	if err := s.retire(ctx, d, unlinkNow); err != nil {
		s.Log.WarnContext(ctx, "deleted portal not yet retired; the sweep will finish", "portal", p.ID, "error", err.Error())
	}
	return nil
}

// Remove deletes a portal setup as the system (a customer's offboarding):
// committed first, then its app client is deleted; what a failure leaves is
// finished by the sweep, through the setup's marker.
func (s *Service) Remove(ctx context.Context, p domain.Portal) error {
	now := s.now()
	sc := domain.CustomerScope(p.CustomerID)
	ch := state.PortalChange{Before: &p, Now: now, SyncClient: true,
		Event: domain.NewEvent(now, domain.SystemActor, domain.ActionPortalDeleted, domain.Target{Kind: domain.TargetPortal, ID: p.ID}, sc)}
	if err := s.Store.ChangePortal(ctx, ch); err != nil {
		return errs.Wrap("portals.Remove", err)
	}
	d := state.Due{Scope: sc, PortalID: p.ID, ClientID: p.ClientID, Marker: ch.Event.ID}
	if err := s.retire(ctx, d, unlinkNow); err != nil {
		s.Log.WarnContext(ctx, "removed portal not yet retired; the sweep will finish", "portal", p.ID, "error", err.Error())
	}
	return nil
}

// unlinkNow is how many members a delete unlinks itself; the sweep takes
// unlinkPerRun a run.
const (
	unlinkNow    = 25
	unlinkPerRun = 100
)

// errMore says a deleted setup still has members to unlink.
var errMore = errors.New("more members to unlink")

// retire finishes after a deleted setup: its app client goes, and up to
// limit of its members lose their link to it (each an audited change by
// the system); once none is left, the marker goes.
func (s *Service) retire(ctx context.Context, d state.Due, limit int32) error {
	if s.Clients == nil {
		return errors.New("no sign-in client")
	}
	client := d.ClientID
	if client == "" {
		// Deleted before its app client was recorded: one may have been
		// made, which nothing names any more. It is found by its name.
		id, found, err := s.Clients.FindClient(ctx, s.spec(domain.Portal{ID: d.PortalID}).Name)
		if err != nil {
			return err
		}
		if found {
			client = id
		}
	}
	if client != "" {
		if err := s.Clients.DeleteClient(ctx, client); err != nil {
			return err
		}
	}
	page, err := s.Store.PortalMembers(ctx, d.Scope.CustomerID, d.PortalID, limit, nil)
	if err != nil {
		return err
	}
	now := s.now()
	for _, m := range page.Items {
		after := m
		after.PortalIDs = slices.DeleteFunc(slices.Clone(m.PortalIDs), func(id string) bool { return id == d.PortalID })
		after.Version, after.UpdatedAt = m.Version+1, now
		err := s.Store.ChangeMember(ctx, state.MemberChange{Before: m, After: &after, Now: now,
			Event: domain.NewEvent(now, domain.SystemActor, domain.Action(m.Kind(), domain.ActionUpdated), domain.TargetOf(&m), m.Scope())})
		if err != nil && !errors.Is(err, state.ErrStale) { // changed meanwhile: the next run looks again
			return err
		}
	}
	if page.Next != nil || len(page.Items) == int(limit) {
		return errMore
	}
	return s.Store.PortalSyncDone(ctx, d)
}

// Sync is the sweep's work on a portal setup's marker: the app client of a
// setup is brought in line with it, a deleted setup retired.
func (s *Service) Sync(ctx context.Context, d state.Due) error {
	p, cu, err := s.read(ctx, d.Scope.CustomerID, d.PortalID)
	if errors.Is(err, state.ErrNotFound) {
		err = s.retire(ctx, d, unlinkPerRun)
		if errors.Is(err, errMore) {
			return nil // the marker stays: the next run unlinks more
		}
		return err
	}
	if err != nil {
		return err
	}
	_, err = s.syncClient(ctx, p, cu, d.Marker, bySweep)
	return err
}

// Refresh sets every setting of a setup's app client again, from the setup
// as it is: the sweep's migration, for clients made before a setting was
// added. The setup is read again after: one changed meanwhile may have
// had its client set by its own change before this older read landed, so
// it is done again from the newer read. A setup gone, or with no client
// yet, is left (its deletion or creation sets the client).
func (s *Service) Refresh(ctx context.Context, customerID, portalID string) error {
	if s.Clients == nil {
		return errors.New("no sign-in client")
	}
	last := -1 // the version the client was last set from
	for range 4 {
		p, _, err := s.read(ctx, customerID, portalID)
		switch {
		case errors.Is(err, state.ErrNotFound):
			return nil
		case err != nil:
			return err
		case p.ClientID == "" || p.Version == last:
			return nil
		}
		if err := s.Clients.UpdateClient(ctx, p.ClientID, s.spec(p)); err != nil {
			return err
		}
		last = p.Version
	}
	return nil // changing all the while: its changes set the client
}

// Members pages through the members linked to a portal setup, by e-mail:
// operators, and its customer's portal admins.
func (s *Service) Members(ctx context.Context, c *access.Caller, customerID, portalID string, limit int32, start state.PageKey) (state.Page[domain.Member], error) {
	if err := c.RequireUserManager(customerID); err != nil {
		return state.Page[domain.Member]{}, err
	}
	if _, _, err := s.read(ctx, customerID, portalID); err != nil {
		return state.Page[domain.Member]{}, err
	}
	p, err := s.Store.PortalMembers(ctx, customerID, portalID, limit, start)
	if err == nil {
		ms := make([]*domain.Member, len(p.Items))
		for i := range p.Items {
			ms[i] = &p.Items[i]
		}
		err = roles.Name(ctx, s.Store, customerID, ms...)
	}
	return p, errs.Wrap("portals.Members", err)
}

// Admission is a portal's answer about the person whose token it holds.
type Admission struct {
	Portal   domain.Portal
	Customer domain.Customer
	Member   *domain.Member
}

// Admit answers a portal's question: who is this person in this portal,
// and what may they do. The caller signed in through the portal's own app
// client (c.Portal). Not an enabled member of its customer (disabled,
// deleted, never one): unauthenticated; a member not linked to it: no
// portal access. The member's roles are named through the customer's
// catalogue: one more read, only when they hold any.
func (s *Service) Admit(ctx context.Context, c *access.Caller) (Admission, error) {
	if c.Portal == nil {
		return Admission{}, access.ErrUnauthenticated
	}
	p := c.Portal.Portal
	m := c.Member(p.CustomerID)
	if m == nil {
		return Admission{}, access.ErrUnauthenticated
	}
	if !slices.Contains(m.PortalIDs, p.ID) {
		return Admission{}, ErrNoPortalAccess
	}
	named := *m
	if err := roles.Name(ctx, s.Store, p.CustomerID, &named); err != nil {
		return Admission{}, errs.Wrap("portals.Admit", err)
	}
	return Admission{Portal: p, Customer: c.Portal.Customer, Member: &named}, nil
}
