// Package customers is the provider's customers and their portal setups,
// and what a signed-in person may see of them: their own memberships with
// each customer's name and the portals they may reach.
package customers

import (
	"context"
	"sort"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/conc"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Store is what customers read and write.
type Store interface {
	CreateCustomer(ctx context.Context, c domain.Customer, ev domain.AuditEvent, x state.Extras) error
	Customer(ctx context.Context, id string) (domain.Customer, error)
	CustomerWithPortals(ctx context.Context, id string) (domain.Customer, []domain.Portal, error)
	ListCustomers(ctx context.Context, limit int32, start state.PageKey) (state.Page[domain.Customer], error)
	Directory(ctx context.Context, customers []string, portals map[string][]string) (map[string]domain.Customer, map[string]domain.Portal, error)
	ListAudit(ctx context.Context, sc domain.Scope, limit int32, start state.PageKey) (state.Page[domain.AuditEvent], error)
	IdempotencyRecord(ctx context.Context, id string, now time.Time) (*state.Idempotency, error)
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
	var fields []errs.Field
	name, code := domain.CleanName(deref(in.Name))
	if code != "" {
		fields = append(fields, errs.F("name", code))
	}
	locale := domain.LocaleEN
	if in.Locale != nil {
		if locale = *in.Locale; !domain.ValidLocale(locale) {
			fields = append(fields, errs.F("locale", "invalid_locale"))
		}
	}
	if len(fields) > 0 {
		return domain.Customer{}, errs.Fields(fields...)
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
	cu := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: name, Locale: locale, CreatedAt: now, UpdatedAt: now}
	ev := domain.NewEvent(now, c.ActorIn(domain.ProviderScope), domain.ActionCustomerCreated,
		domain.Target{Kind: "customer", ID: cu.ID}, domain.CustomerScope(cu.ID))
	if err := s.Store.CreateCustomer(ctx, cu, ev, state.Extras{Idempotency: key.Record(cu.ID, now)}); err != nil {
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
		if !c.IsOperator() {
			return nil // their membership proves the customer exists
		}
		_, err := s.Store.Customer(ctx, customerID)
		return err
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
	cs, ps, err := s.Store.Directory(ctx, ids, portals)
	if err != nil {
		return out, errs.Wrap("customers.Me", err)
	}
	for _, cid := range ids {
		m := c.Memberships[cid]
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

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
