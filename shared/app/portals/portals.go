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
// registration.
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
	return s.settle(ctx, p, cu, ch.Event.ID, true), cu, nil
}

// resume answers a setup an earlier request with the same key made,
// finishing its registration.
func (s *Service) resume(ctx context.Context, customerID, portalID string) (domain.Portal, domain.Customer, error) {
	p, cu, err := s.read(ctx, customerID, portalID)
	if err != nil {
		return p, cu, errs.Wrap("portals.resume", err)
	}
	return s.settle(ctx, p, cu, "", false), cu, nil
}

// settle brings the app client of a setup in line now, after the change
// (marker) committed (a failure is left to the sweep), and answers the
// setup as it then is. fresh says the setup was made just now, by this
// request: no app client of it can exist yet.
func (s *Service) settle(ctx context.Context, p domain.Portal, cu domain.Customer, marker string, fresh bool) domain.Portal {
	after, err := s.syncClient(ctx, p, cu, marker, fresh)
	if err != nil {
		// after is what got through: a client recorded before the marker
		// failed to clear is the setup's, and the answer shows it.
		s.Log.WarnContext(ctx, "portal's app client not yet in line; the sweep will finish", "portal", p.ID, "error", err.Error())
	}
	return after
}

// spec is what the app client of a setup is to be.
func (s *Service) spec(p domain.Portal) identity.ClientSpec {
	return identity.ClientSpec{Name: "portal-" + p.ID, CallbackURLs: p.RedirectURIs, LogoutURLs: p.LogoutURIs(), PasswordAuth: s.Config.PasswordAuth,
		ReadAttributes: identity.PortalReadAttributes, WriteAttributes: identity.PortalWriteAttributes}
}

// syncClient makes or changes the app client of an existing setup, records
// a new client's id on the setup (with the record that finds the setup by
// it), and clears the marker of the change (marker, its event id; empty
// leaves the marker to the sweep). A client made but not recorded (a
// request that died in between) is found by its name and replaced, so that
// no setup has two and none lacks its managed login style.
func (s *Service) syncClient(ctx context.Context, p domain.Portal, cu domain.Customer, marker string, fresh bool) (domain.Portal, error) {
	if s.Clients == nil {
		return p, errors.New("no sign-in client")
	}
	if p.ClientID != "" {
		if err := s.Clients.UpdateClient(ctx, p.ClientID, s.spec(p)); err != nil {
			return p, err
		}
	} else {
		if !fresh {
			// A client made but not recorded (a request that died, or whose
			// answer was lost, in between) is replaced rather than used: the
			// call that gives a new client its managed login style came after
			// and may never have been made.
			old, found, err := s.Clients.FindClient(ctx, s.spec(p).Name)
			if err != nil {
				return p, err
			}
			if found {
				if err := s.Clients.DeleteClient(ctx, old); err != nil {
					return p, err
				}
			}
		}
		id, err := s.Clients.CreateClient(ctx, s.spec(p))
		if err != nil {
			return p, err
		}
		now := s.now()
		after := p
		after.ClientID, after.Version, after.UpdatedAt = id, p.Version+1, now
		sc := domain.CustomerScope(p.CustomerID)
		if err := s.Store.ChangePortal(ctx, state.PortalChange{Before: &p, After: &after, Customer: cu, Now: now,
			Event: domain.NewEvent(now, domain.SystemActor, domain.ActionPortalRegistered, domain.Target{Kind: "portal", ID: p.ID}, sc)}); err != nil {
			return p, err
		}
		p = after
	}
	if marker == "" {
		return p, nil
	}
	return p, s.Store.PortalSyncDone(ctx, state.Due{Scope: domain.CustomerScope(p.CustomerID), PortalID: p.ID, Marker: marker})
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
	return s.settle(ctx, after, cu, ch.Event.ID, false), cu, nil
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
	_, err = s.syncClient(ctx, p, cu, d.Marker, false)
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
