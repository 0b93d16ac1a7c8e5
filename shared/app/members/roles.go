package members

import (
	"context"
	"sync"

	"github.com/portalaccess/portalaccess/shared/app/check"
	"github.com/portalaccess/portalaccess/shared/domain"
)

// A portal user's roles come from the customer's role catalogue: the caller
// names them (without case) or asks for all of them, the member keeps their
// ids, and every answer shows them by the names the catalogue has now. The
// catalogue (at most domain.MaxCatalogueRoles roles) is one Query, made at
// most once per request and only when a role has to be checked or named.

// RoleChoice is the roles a caller gives a portal user: names from the
// customer's catalogue, or All, every role the catalogue has at that moment
// (a snapshot: a role added later is not given to them by itself).
type RoleChoice struct {
	All   bool
	Names []string
}

// catalogue is the customer's catalogue, read at most once per request.
// The workers of a bulk invite or an import share it: mu guards its
// reading, and whoever has loaded it may read ix from then on.
type catalogue struct {
	mu     sync.Mutex
	ix     domain.RoleIndex
	loaded bool
}

// load reads the scope's catalogue unless it was read already (the
// provider's operators hold no roles).
func (s *Service) load(ctx context.Context, sc domain.Scope, cat *catalogue) error {
	if sc.IsProvider() {
		return nil
	}
	cat.mu.Lock()
	defer cat.mu.Unlock()
	if cat.loaded {
		return nil
	}
	rs, err := s.Store.Roles(ctx, sc.CustomerID)
	if err != nil {
		return err
	}
	cat.ix, cat.loaded = domain.IndexRoles(rs), true
	return nil
}

// name gives members their role names for an answer, reading the
// catalogue only when one of them holds a role by id.
func (s *Service) name(ctx context.Context, sc domain.Scope, cat *catalogue, ms ...*domain.Member) error {
	if cat == nil {
		cat = &catalogue{}
	}
	if domain.NeedsCatalogue(ms...) {
		if err := s.load(ctx, sc, cat); err != nil {
			return err
		}
	}
	ix := cat.index()
	for _, m := range ms {
		if m != nil && !m.Scope().IsProvider() {
			m.Roles = ix.Names(m)
		}
	}
	return nil
}

// index is the catalogue as read (empty when it was not).
func (cat *catalogue) index() domain.RoleIndex {
	cat.mu.Lock()
	defer cat.mu.Unlock()
	return cat.ix
}

// checkRoles turns the caller's choice into role ids of the catalogue
// (which must be loaded), naming the first bad one (roles.<i>).
func checkRoles(ch *RoleChoice, ix domain.RoleIndex, fs *check.Fields) []string {
	if ch.All {
		return ix.All()
	}
	ids, i, code := ix.Match(ch.Names)
	if code != "" {
		fs.RefuseAt("roles", i, code)
	}
	return ids
}

// LoadRoles reads the scope's catalogue for the checks of rows that name
// roles (an import's), unless it was read already.
func (s *Service) LoadRoles(ctx context.Context, sc Scope) error {
	if sc.roles == nil {
		return nil
	}
	return s.load(ctx, sc.Scope, sc.roles)
}

// catalogue is the scope's catalogue as read (empty when it was not).
func (sc Scope) catalogue() domain.RoleIndex {
	if sc.roles == nil {
		return domain.RoleIndex{}
	}
	return sc.roles.index()
}
