// Package members is the life cycle of the people who may sign in: a
// customer's portal users and the provider's operators share it (invite,
// re-invite, update, enable, disable, delete), each scope with its own
// rules of who may act. Every change is computed from the member's current
// state without I/O, committed with its audit event in one transaction, and
// only then are its effects (the e-mail, the sign-in identity) carried out,
// from what was committed.
package members

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/conc"
	"github.com/portalaccess/portalaccess/shared/app/delivery"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/app/identitysync"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Errors of the life cycle, besides the store's (state.ErrEmailTaken,
// state.ErrLastAdmin, state.ErrStale…) and access's.
var (
	// ErrNotConfirmed: an unconfirmed member cannot be enabled or disabled.
	ErrNotConfirmed = errs.New(errs.Conflict, "not_confirmed")
	// ErrNotUnconfirmed: only an unconfirmed member can be re-invited.
	ErrNotUnconfirmed = errs.New(errs.Conflict, "not_unconfirmed")
	// ErrTooSoon: an invitation was sent moments ago (RetryAfter says how long to wait).
	ErrTooSoon = errs.New(errs.Exhausted, "reinvite_too_soon")
	// ErrUndeliverable: the address bounced for good or complained.
	ErrUndeliverable = errs.New(errs.Conflict, "undeliverable")
)

// Store is what the life cycle reads and writes.
type Store interface {
	Customer(ctx context.Context, id string) (domain.Customer, error)
	CustomerWithPortals(ctx context.Context, id string) (domain.Customer, []domain.Portal, error)
	Member(ctx context.Context, sc domain.Scope, id string) (domain.Member, error)
	MemberByEmail(ctx context.Context, sc domain.Scope, email string) (domain.Member, error)
	ListMembers(ctx context.Context, sc domain.Scope, status domain.Status, search string, limit int32, start state.PageKey) (state.Page[domain.Member], error)
	MemberCounts(ctx context.Context, sc domain.Scope) (domain.MemberCounts, error)
	Roles(ctx context.Context, customerID string) ([]domain.Role, error)
	CreateMember(ctx context.Context, nm state.NewMember) error
	ChangeMember(ctx context.Context, ch state.MemberChange) error
	idem.Store // the records of idempotency keys, for idem.Look
	PutIdempotency(ctx context.Context, rec state.Idempotency) error
	CompleteIdempotency(ctx context.Context, id, fingerprint, response string) error
	Take(ctx context.Context, rc state.RateCount) error
}

// Config are the life cycle's settings.
type Config struct {
	// ReinviteCooldown is how long after a successful send a re-invite waits.
	ReinviteCooldown time.Duration
	// InviteRateLimit is how many invitation e-mails one scope may send a minute.
	InviteRateLimit int
	// AccessReminder is how long before a member's accessUntil their
	// admins are reminded (ACCESS_REMINDER); 0 is no reminder.
	AccessReminder time.Duration
	// TechnicianAccess is the access length of technicians invited without
	// an accessUntil (TECHNICIAN_ACCESS_DEFAULT); 0 is none.
	TechnicianAccess time.Duration
}

// Service runs the life cycle.
type Service struct {
	Store  Store
	Mailer *delivery.Mailer
	// Sync brings identities in line after a change (nil for functions
	// that change no identity).
	Sync   *identitysync.Syncer
	Config Config
	Log    *slog.Logger
	Now    func() time.Time
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// Target is the member an action is on: a portal user of a customer, or an
// operator of the provider.
type Target struct {
	Scope domain.Scope
	ID    string
}

// User is the target of a customer's portal user.
func User(customerID, userID string) Target {
	return Target{Scope: domain.CustomerScope(customerID), ID: userID}
}

// Operator is the target of one of the provider's operators.
func Operator(id string) Target { return Target{Scope: domain.ProviderScope, ID: id} }

// authorize checks that the caller manages the target's scope, and that the
// id can name a member of it (an id of another shape names nobody).
func authorize(c *access.Caller, t Target) error {
	if err := c.RequireManager(t.Scope); err != nil {
		return err
	}
	if !domain.ValidID(t.Scope.IDPrefix(), t.ID) {
		return state.ErrNotFound
	}
	return nil
}

// Get reads one member.
func (s *Service) Get(ctx context.Context, c *access.Caller, t Target) (domain.Member, error) {
	if err := authorize(c, t); err != nil {
		return domain.Member{}, err
	}
	m, err := s.Store.Member(ctx, t.Scope, t.ID)
	if err == nil {
		err = s.name(ctx, t.Scope, nil, &m)
	}
	return m, errs.Wrap("members.Get", err)
}

// Query is what a listing asks for.
type Query struct {
	Status domain.Status // empty for every status
	Search string        // a lower-case prefix of the e-mail
	Limit  int32
	Start  state.PageKey
}

// Listing is one page of a scope's members, with the scope's counts by
// category; Counts is nil while a scope older than the counts waits for
// the backfill.
type Listing struct {
	state.Page[domain.Member]
	Counts *domain.MemberCounts
}

// List pages through a scope's members sorted by e-mail, with the scope's
// counts by category. A customer's are on the customer, read with the
// caller (its standing); the provider's are read from its meta item at the
// same time as the page: one item, whatever the size of the scope. When the
// customer was not read with the caller it does not exist, and ListMembers
// answers as before for a portal admin (whose membership proves otherwise).
func (s *Service) List(ctx context.Context, c *access.Caller, sc domain.Scope, q Query) (Listing, error) {
	const op = "members.List"
	if err := c.RequireManager(sc); err != nil {
		return Listing{}, err
	}
	var l Listing
	var counts domain.MemberCounts
	var countsErr, listErr error
	list := func() error {
		var err error
		l.Page, err = s.Store.ListMembers(ctx, sc, q.Status, q.Search, q.Limit, q.Start)
		return err
	}
	switch cu := c.TenantOf(sc.CustomerID); {
	case sc.IsProvider():
		countsErr, listErr = conc.Both(func() error {
			var err error
			counts, err = s.Store.MemberCounts(ctx, sc)
			return err
		}, list)
	case cu != nil:
		counts, listErr = cu.Members, list()
	case !c.IsOperator():
		counts, countsErr = s.Store.MemberCounts(ctx, sc)
		if countsErr == nil {
			listErr = list()
		}
	default: // an operator, and no such customer
		_, countsErr = s.Store.Customer(ctx, sc.CustomerID)
		if countsErr == nil {
			return l, errs.Wrap(op, state.ErrConcurrent) // made meanwhile: try again
		}
	}
	if countsErr != nil {
		return l, errs.Wrap(op, countsErr)
	}
	if listErr != nil {
		return l, errs.Wrap(op, listErr)
	}
	if counts.Exact {
		l.Counts = &counts
	}
	page := make([]*domain.Member, len(l.Items))
	for i := range l.Items {
		page[i] = &l.Items[i]
	}
	if err := s.name(ctx, sc, nil, page...); err != nil {
		return l, errs.Wrap(op, err)
	}
	return l, nil
}

// change is one change of a member, computed from its current state without
// I/O; nil means there is nothing to write.
type change func(m domain.Member, now time.Time) (*state.MemberChange, error)

// modify reads the member, computes the change and writes it, conditional on
// the version read. With want (If-Match), a member changed since the client
// read it is state.ErrStale. Without, it reads again and retries a few times.
// It returns the member as it is afterwards and the change written (nil
// when there was nothing to write). With cat, the member answered is given
// its role names, the catalogue read before anything is written (so that
// a failed read changes nothing).
func (s *Service) modify(ctx context.Context, t Target, want int, cat *catalogue, f change) (domain.Member, *state.MemberChange, error) {
	for attempt := 1; ; attempt++ {
		m, err := s.Store.Member(ctx, t.Scope, t.ID)
		if err != nil {
			return m, nil, err
		}
		if want > 0 && m.Version != want {
			return m, nil, state.ErrStale
		}
		ch, err := f(m, s.now())
		if err == nil && cat != nil {
			shown := &m
			if ch != nil {
				shown = ch.Result()
			}
			err = s.name(ctx, t.Scope, cat, shown)
		}
		if err != nil || ch == nil {
			return m, nil, err
		}
		if ch.ActingAdmin != "" && ch.ActingAdmin == m.Sub && !m.CountsAsAdmin() {
			// A portal admin acting on their own membership: the store does
			// not re-check them (the change's version condition holds the
			// member as read), so the member as read must still show them an
			// enabled admin, or a demotion that came first is undone.
			return m, nil, state.ErrActorNotAdmin
		}
		if ch.ActingOperator != "" && ch.ActingOperator == m.Sub && m.Scope().IsProvider() &&
			(m.Status != domain.StatusEnabled || ch.ActingRole != "" && m.Role != ch.ActingRole) {
			return m, nil, state.ErrActorNotAdmin // the same, for an operator's own record
		}
		err = s.Store.ChangeMember(ctx, *ch)
		switch {
		case err == nil:
			return *ch.Result(), ch, nil
		case errors.Is(err, state.ErrStale) && want == 0 && attempt < 4:
			continue
		case errors.Is(err, state.ErrStale) && want == 0:
			return m, nil, state.ErrConcurrent
		default:
			return m, nil, err
		}
	}
}

// newChange starts a change of m by the caller: the member at version+1,
// which the change edits through the returned pointer (it is ch.After),
// and the rules that bind the caller — a portal admin keeps their
// customer's last admin and must still be one when the change lands; the
// provider always keeps an operator admin.
func newChange(c *access.Caller, m domain.Member, now time.Time, action string) (*domain.Member, state.MemberChange) {
	after := m
	after.Version = m.Version + 1
	after.UpdatedAt = now
	ch := state.MemberChange{
		Before: m, After: &after, Now: now,
		Event: domain.NewEvent(now, c.ActorIn(m.Scope()), domain.Action(m.Kind(), action), domain.TargetOf(&m), m.Scope()),
	}
	if c.ActIn(m.Scope(), &ch.Extras) {
		ch.GuardLastAdmin = true
	}
	if m.Scope().IsProvider() {
		ch.GuardLastAdmin = true
	}
	return ch.After, ch
}

// Enable gives a disabled member access again.
func (s *Service) Enable(ctx context.Context, c *access.Caller, t Target) (domain.Member, error) {
	m, err := s.setStatus(ctx, c, t, domain.StatusEnabled)
	return m, errs.Wrap("members.Enable", err)
}

// Disable refuses a member's next request at once, and signs their identity
// out everywhere unless another membership keeps it enabled.
func (s *Service) Disable(ctx context.Context, c *access.Caller, t Target) (domain.Member, error) {
	m, err := s.setStatus(ctx, c, t, domain.StatusDisabled)
	return m, errs.Wrap("members.Disable", err)
}

// setStatus enables or disables a member. Doing it twice is no error: the
// second time changes nothing in the table and brings the identity in line
// again, so a request that failed half-way is completed by retrying it.
func (s *Service) setStatus(ctx context.Context, c *access.Caller, t Target, to domain.Status) (domain.Member, error) {
	if err := authorize(c, t); err != nil {
		return domain.Member{}, err
	}
	action := domain.ActionEnabled
	if to == domain.StatusDisabled {
		action = domain.ActionDisabled
	}
	var policy domain.Policy
	if to == domain.StatusEnabled && !t.Scope.IsProvider() {
		// The customer's policy holds for members enabled again as for
		// new ones (its allowed domains). The customer was read with the
		// caller (its standing): no second read.
		cu := c.TenantOf(t.Scope.CustomerID)
		if cu == nil {
			read, err := s.Store.Customer(ctx, t.Scope.CustomerID)
			if err != nil {
				return domain.Member{}, err
			}
			cu = &read
		}
		policy = cu.Policy
	}
	m, ch, err := s.modify(ctx, t, 0, &catalogue{}, func(m domain.Member, now time.Time) (*state.MemberChange, error) {
		switch m.Status {
		case domain.StatusUnconfirmed:
			return nil, ErrNotConfirmed
		case to:
			return nil, nil
		}
		if to == domain.StatusEnabled && ownMembership(c, m) {
			return nil, ErrOwnAccess
		}
		if to == domain.StatusEnabled && !policy.AllowsEmail(m.Email) {
			return nil, ErrDomainNotAllowed
		}
		after, ch := newChange(c, m, now, action)
		after.Status = to
		ch.SyncIdentity = true
		if to == domain.StatusEnabled && m.AccessEnded(now) {
			// Enabling a member whose access ended gives it back for good:
			// an accessUntil in the past would disable them again at once.
			s.setAccess(after, nil, now)
		}
		return &ch, nil
	})
	if err != nil {
		return m, err
	}
	marker := ""
	if ch != nil {
		marker = ch.Event.ID
	}
	s.Sync.Sync(ctx, m.Sub, marker)
	return m, nil
}

// Delete removes a member for good: its invitation is revoked, its e-mail
// freed, and its identity deleted when no other membership keeps it. The
// table commits the removal with the identity's marker, and only then is
// the identity brought in line: a refused delete (last_admin, a lost right)
// touches nothing, and a crash after the commit leaves the marker, which
// the sweep finishes.
func (s *Service) Delete(ctx context.Context, c *access.Caller, t Target) error {
	if err := authorize(c, t); err != nil {
		return err
	}
	m, ch, err := s.modify(ctx, t, 0, nil, func(m domain.Member, now time.Time) (*state.MemberChange, error) {
		_, ch := newChange(c, m, now, domain.ActionDeleted)
		ch.After = nil
		if m.Invitation != nil && m.Invitation.State == domain.InvitationPending {
			ch.RevokeToken = m.Invitation.TokenHash
		}
		ch.SyncIdentity = m.Sub != ""
		return &ch, nil
	})
	if err != nil {
		return errs.Wrap("members.Delete", err)
	}
	if ch.SyncIdentity {
		s.Sync.Sync(ctx, m.Sub, ch.Event.ID)
	}
	return nil
}
