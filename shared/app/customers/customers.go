// Package customers is the provider's customers and their portal setups,
// and what a signed-in person may see of them: their own memberships with
// each customer's name and the portals they may reach.
package customers

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/check"
	"github.com/portalaccess/portalaccess/shared/app/conc"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/app/roles"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Store is what customers read and write.
type Store interface {
	CreateCustomer(ctx context.Context, c domain.Customer, ev domain.AuditEvent, x state.Extras, also ...domain.AuditEvent) error
	ChangeCustomer(ctx context.Context, ch state.CustomerChange) error
	Customer(ctx context.Context, id string) (domain.Customer, error)
	CustomerWithPortals(ctx context.Context, id string) (domain.Customer, []domain.Portal, error)
	ListCustomers(ctx context.Context, limit int32, start state.PageKey) (state.Page[domain.Customer], error)
	Directory(ctx context.Context, customers []string, portals map[string][]string) (map[string]domain.Customer, map[string]domain.Portal, error)
	Roles(ctx context.Context, customerID string) ([]domain.Role, error)
	ListAudit(ctx context.Context, sc domain.Scope, limit int32, start state.PageKey) (state.Page[domain.AuditEvent], error)
	idem.Store // the records of idempotency keys, for idem.Look
}

// Service serves customers.
type Service struct {
	Store Store
	Now   func() time.Time
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// List pages through every customer, by name: operators only.
func (s *Service) List(ctx context.Context, c *access.Caller, limit int32, start state.PageKey) (state.Page[domain.Customer], error) {
	if err := c.RequireOperator(); err != nil {
		return state.Page[domain.Customer]{}, err
	}
	p, err := s.Store.ListCustomers(ctx, limit, start)
	return p, errs.Wrap("customers.List", err)
}

// Get reads a customer: operators, and members of it.
func (s *Service) Get(ctx context.Context, c *access.Caller, id string) (domain.Customer, error) {
	if err := c.RequireCustomerReader(id); err != nil {
		return domain.Customer{}, err
	}
	if cu := c.TenantOf(id); cu != nil {
		return *cu, nil // read with the caller, a moment ago
	}
	cu, err := s.Store.Customer(ctx, id)
	return cu, errs.Wrap("customers.Get", err)
}

// NewCustomer is a customer as the caller gives it: unchecked.
type NewCustomer struct {
	Name   *string
	Locale *string
}

// Create makes a customer: operator admins only. With an idempotency key, a
// retry answers the customer the first attempt made.
func (s *Service) Create(ctx context.Context, c *access.Caller, in NewCustomer, key *idem.Key) (domain.Customer, error) {
	const op = "customers.Create"
	if err := c.RequireOperatorAdmin(); err != nil {
		return domain.Customer{}, err
	}
	var fs check.Fields
	name, code := domain.CleanName(deref(in.Name)) // required
	if code != "" {
		fs.Refuse("name", code)
	}
	locale := domain.LocaleEN
	check.Given(&fs, "locale", in.Locale, domain.CleanLocale, &locale)
	if err := fs.Err(); err != nil {
		return domain.Customer{}, err
	}
	key, err := idem.Look(ctx, s.Store, key, s.now())
	if err != nil {
		return domain.Customer{}, errs.Wrap(op, err)
	}
	if ref := key.PriorRef(); ref != "" {
		cu, err := s.Store.Customer(ctx, ref)
		return cu, errs.Wrap(op, err)
	}
	now := s.now()
	cu := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: name, Locale: locale, CreatedAt: now, UpdatedAt: now, Version: 1}
	// On the customer's own trail, and on the provider's.
	actor, target := c.ActorIn(domain.ProviderScope), customerTarget(cu)
	ev := domain.NewEvent(now, actor, domain.ActionCustomerCreated, target, domain.CustomerScope(cu.ID))
	pev := domain.NewEvent(now, actor, domain.ActionCustomerCreated, target, domain.ProviderScope)
	x := state.Extras{Idempotency: key.Record(cu.ID, now)}
	c.ActIn(domain.ProviderScope, &x)
	if err := s.Store.CreateCustomer(ctx, cu, ev, x, pev); err != nil {
		ref, err := idem.LostRace(ctx, s.Store, key, err, now)
		if err != nil {
			return domain.Customer{}, errs.Wrap(op, err)
		}
		cu, err = s.Store.Customer(ctx, ref)
		return cu, errs.Wrap(op, err)
	}
	return cu, nil
}

// Audit pages through a customer's audit trail, newest first: operators,
// and its portal admins. For operators an unknown customer is told apart
// from one without events, at the same time.
func (s *Service) Audit(ctx context.Context, c *access.Caller, customerID string, limit int32, start state.PageKey) (state.Page[domain.AuditEvent], error) {
	const op = "customers.Audit"
	if err := c.RequireUserManager(customerID); err != nil {
		return state.Page[domain.AuditEvent]{}, err
	}
	var p state.Page[domain.AuditEvent]
	existsErr, listErr := conc.Both(func() error {
		return c.CustomerExists(ctx, customerID, s.Store.Customer)
	}, func() error {
		var err error
		p, err = s.Store.ListAudit(ctx, domain.CustomerScope(customerID), limit, start)
		return err
	})
	if existsErr != nil {
		return p, errs.Wrap(op, existsErr)
	}
	return p, errs.Wrap(op, listErr)
}

// Membership is one of the caller's enabled memberships, with its
// customer's name and the portal setups it may reach.
type Membership struct {
	Member       *domain.Member
	CustomerName string
	Portals      []domain.Portal
}

// Profile is who the caller is: their name, operator record and enabled
// memberships, by customer id.
type Profile struct {
	Caller      *access.Caller
	Name        string
	Memberships []Membership
}

// Me says who the caller is, their operator role, and their enabled
// memberships with each customer's name and the portals they may reach.
func (s *Service) Me(ctx context.Context, c *access.Caller) (Profile, error) {
	out := Profile{Caller: c}
	if c.Operator != nil && c.Portal == nil {
		out.Name = c.Operator.Name
	}
	var ids []string
	portals := map[string][]string{}
	for cid, m := range c.Memberships {
		if c.Portal != nil && cid != c.Portal.Portal.CustomerID {
			continue // a portal's token sees its own customer only
		}
		ids = append(ids, cid)
		portals[cid] = m.PortalIDs
	}
	if len(ids) == 0 {
		return out, nil
	}
	sort.Strings(ids)
	// The customers and portals, and the catalogue of each customer whose
	// membership holds roles (to name them), all at once.
	named := make(map[string]*domain.Member, len(ids))
	reads := []func() error{}
	for _, cid := range ids {
		m := *c.Memberships[cid]
		named[cid] = &m
		if domain.NeedsCatalogue(&m) {
			reads = append(reads, func() error { return roles.Name(ctx, s.Store, cid, &m) })
		} else {
			m.Roles = m.LegacyRoles
		}
	}
	var cs map[string]domain.Customer
	var ps map[string]domain.Portal
	err := conc.All(append([]func() error{func() error {
		var err error
		cs, ps, err = s.Store.Directory(ctx, ids, portals)
		return err
	}}, reads...)...)
	if err != nil {
		return out, errs.Wrap("customers.Me", err)
	}
	for _, cid := range ids {
		if cu, ok := cs[cid]; !ok || cu.Offboarding() {
			continue // gone, or going: its memberships go with it
		}
		m := named[cid]
		if out.Name == "" {
			out.Name = m.Name
		}
		ms := Membership{Member: m, CustomerName: cs[cid].Name}
		for _, pid := range m.PortalIDs {
			if p, ok := ps[pid]; ok {
				ms.Portals = append(ms.Portals, p)
			}
		}
		out.Memberships = append(out.Memberships, ms)
	}
	return out, nil
}

// customerTarget is a customer as the audit trail names it.
func customerTarget(cu domain.Customer) domain.Target {
	name := cu.Name
	return domain.Target{Kind: domain.TargetCustomer, ID: cu.ID, Name: &name}
}

// Change is a change of a customer as the caller gives it: unchecked.
type Change struct {
	Name   *string
	Locale *string
	// Policy, when given, replaces the customer's policy whole.
	Policy *PolicyInput
}

// PolicyInput is a customer's policy as the caller gives it: unchecked.
// A field left out is no restriction (or, for the lifetime, the provider's).
type PolicyInput struct {
	AllowedDomains            []string
	InvitationLifetimeSeconds *int64
	SeatLimit                 *int
}

// check turns a policy input into a policy, its problems into fs.
func (in PolicyInput) check(fs *check.Fields) domain.Policy {
	var p domain.Policy
	if in.AllowedDomains != nil {
		ds, i, code := domain.CleanDomains(in.AllowedDomains)
		if code != "" {
			fs.RefuseAt("policy.allowedDomains", i, code)
		}
		if len(ds) > 0 {
			p.AllowedDomains = ds
		}
	}
	if v := in.InvitationLifetimeSeconds; v != nil {
		d := time.Duration(*v) * time.Second
		if *v < int64(domain.MinInvitationLifetime/time.Second) || *v > int64(domain.MaxInvitationLifetime/time.Second) {
			fs.Refuse("policy.invitationLifetimeSeconds", "out_of_range")
		} else {
			p.InvitationLifetime = d
		}
	}
	if v := in.SeatLimit; v != nil {
		if *v < 1 || *v > domain.MaxSeatLimit {
			fs.Refuse("policy.seatLimit", "out_of_range")
		} else {
			p.SeatLimit = *v
		}
	}
	return p
}

// Update renames a customer or changes its language (operator admins);
// want, when not 0, is the version the caller read. The copies its portal
// setups' records keep of both change with it, and the change is on the
// provider's trail and the customer's.
func (s *Service) Update(ctx context.Context, c *access.Caller, id string, in Change, want int) (domain.Customer, error) {
	const op = "customers.Update"
	if err := c.RequireOperatorAdminIn(id); err != nil {
		return domain.Customer{}, err
	}
	if in.Name == nil && in.Locale == nil && in.Policy == nil {
		return domain.Customer{}, errs.ErrEmptyChange
	}
	var fs check.Fields
	var name, locale string
	check.Given(&fs, "name", in.Name, domain.CleanName, &name)
	check.Given(&fs, "locale", in.Locale, domain.CleanLocale, &locale)
	var policy domain.Policy
	if in.Policy != nil {
		policy = in.Policy.check(&fs)
	}
	if err := fs.Err(); err != nil {
		return domain.Customer{}, err
	}
	var cu, after domain.Customer
	err := state.Unpinned(want, func() error {
		var ps []domain.Portal
		var err error
		cu, ps, err = s.Store.CustomerWithPortals(ctx, id)
		if err == nil && cu.Offboarding() {
			err = state.ErrNotFound
		}
		if err != nil {
			return err
		}
		if want > 0 && cu.Version != want {
			return state.ErrStale
		}
		after = cu
		if in.Name != nil {
			after.Name = name
		}
		if in.Locale != nil {
			after.Locale = locale
		}
		if in.Policy != nil {
			after.Policy = policy
		}
		if after.Name == cu.Name && after.Locale == cu.Locale && samePolicy(after.Policy, cu.Policy) {
			return nil // nothing changes: no new version, no audit event
		}
		now := s.now()
		after.Version, after.UpdatedAt = cu.Version+1, now
		actor, target := c.ActorIn(domain.ProviderScope), customerTarget(after)
		ch := state.CustomerChange{Before: cu, After: after, Portals: ps, Now: now, Events: []domain.AuditEvent{
			domain.NewEvent(now, actor, domain.ActionCustomerUpdated, target, domain.ProviderScope),
			domain.NewEvent(now, actor, domain.ActionCustomerUpdated, target, cu.Scope()),
		}}
		c.ActIn(domain.ProviderScope, &ch.Extras)
		return s.Store.ChangeCustomer(ctx, ch)
	})
	if err != nil {
		return cu, errs.Wrap(op, err)
	}
	return after, nil
}

// ProviderAudit pages through the provider's own trail, newest first:
// operators invited, changed, disabled, deleted; customers created,
// renamed, offboarded. Operator admins only.
func (s *Service) ProviderAudit(ctx context.Context, c *access.Caller, limit int32, start state.PageKey) (state.Page[domain.AuditEvent], error) {
	if err := c.RequireOperatorAdmin(); err != nil {
		return state.Page[domain.AuditEvent]{}, err
	}
	p, err := s.Store.ListAudit(ctx, domain.ProviderScope, limit, start)
	return p, errs.Wrap("customers.ProviderAudit", err)
}

func samePolicy(a, b domain.Policy) bool {
	return slices.Equal(a.AllowedDomains, b.AllowedDomains) && a.InvitationLifetime == b.InvitationLifetime && a.SeatLimit == b.SeatLimit
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
