package members

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/check"
	"github.com/portalaccess/portalaccess/shared/app/conc"
	"github.com/portalaccess/portalaccess/shared/app/delivery"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/mail"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Scope is what inviting into a scope needs to know of it: the customer
// (its name and locale, for the e-mail) and its portal setups (to check
// portalIds). Loading it may run beside resolving the caller; its error is
// kept and reported only once the caller is known to be allowed, so that a
// refusal is what a stranger hears first.
type Scope struct {
	delivery.Where
	Portals []domain.Portal
	// roles is the customer's catalogue, read when a role is checked or
	// named (at most once per request).
	roles *catalogue
	err   error
}

// LoadScope reads the customer and its portal setups (one read), or
// nothing for the provider scope.
func (s *Service) LoadScope(ctx context.Context, sc domain.Scope) Scope {
	out := Scope{Where: delivery.Where{Scope: sc}, roles: &catalogue{}}
	if sc.IsProvider() {
		return out
	}
	cu, portals, err := s.Store.CustomerWithPortals(ctx, sc.CustomerID)
	if err == nil && cu.Offboarding() {
		out.Customer = &cu      // the caller's check tells everybody it is gone
		err = state.ErrNotFound // gone for every call from the moment its offboarding began
	}
	if err != nil {
		out.err = err
		return out
	}
	out.Customer, out.Portals = &cu, portals
	return out
}

// Invitee is whom an invitation is for, as the caller gives it: unchecked.
type Invitee struct {
	Email     string
	Name      *string
	Admin     *bool
	Roles     *RoleChoice
	PortalIDs []string
	// Role is an operator's role; ignored for portal users.
	Role *string
	// SendInvitation false adds the person now and invites them later
	// (nil is true).
	SendInvitation *bool
	// AccessUntil, when given, is when the member's access ends (RFC 3339).
	AccessUntil *string
}

// Profile are the fields of a portal user, as the caller gives them.
type Profile struct {
	Name      *string
	Admin     *bool
	Roles     *RoleChoice
	PortalIDs []string
	// SendInvitation false, in a bulk invite, adds the people now and
	// invites them later (nil is true).
	SendInvitation *bool
	// AccessUntil: nil leaves it, "" clears it, a moment (RFC 3339) sets it.
	AccessUntil *string
}

// newMember is a checked invitation.
type newMember struct {
	Email     string
	Name      string
	Admin     bool
	RoleIDs   []string
	PortalIDs []string
	Role      domain.OperatorRole
	// Request is the idempotency record of a bulk invite that makes it, so
	// that a retry of that request recognises its own work.
	Request string
	// Later: the invitation is not sent now.
	Later bool
	// AccessUntil is when the member's access ends; nil never.
	AccessUntil *time.Time
}

// checkProfile checks the fields a portal user is invited or updated with;
// roles, when given, against the catalogue (loaded by then).
func (sc Scope) checkProfile(p Profile, fs *check.Fields) (name string, roles, portals []string) {
	check.Given(fs, "name", p.Name, domain.CleanName, &name)
	if p.Roles != nil {
		roles = checkRoles(p.Roles, sc.catalogue(), fs)
	}
	if p.PortalIDs != nil {
		portals = dedupe(p.PortalIDs)
		if len(portals) > domain.MaxPortalIDs {
			fs.Refuse("portalIds", "too_many")
		} else {
			known := map[string]bool{}
			for _, pt := range sc.Portals {
				known[pt.ID] = true
			}
			for i, id := range portals {
				if !known[id] {
					fs.RefuseAt("portalIds", i, "unknown_portal")
					break
				}
			}
		}
	}
	return name, roles, portals
}

// check turns an invitee into a new member of the scope.
func (sc Scope) check(in Invitee, now time.Time) (newMember, error) {
	var fs check.Fields
	email, code := domain.NormalizeEmail(in.Email)
	if code != "" {
		fs.Refuse("email", code)
	}
	nm := newMember{Email: email}
	nm.AccessUntil, _ = parseAccessUntil("accessUntil", in.AccessUntil, now, &fs)
	if sc.Scope.IsProvider() {
		check.Given(&fs, "name", in.Name, domain.CleanName, &nm.Name)
		if in.Role == nil || !domain.ValidOperatorRole(*in.Role) {
			fs.Refuse("role", "invalid_role")
		} else {
			nm.Role = domain.OperatorRole(*in.Role)
		}
	} else {
		nm.Name, nm.RoleIDs, nm.PortalIDs = sc.checkProfile(Profile{Name: in.Name, Admin: in.Admin, Roles: in.Roles, PortalIDs: in.PortalIDs}, &fs)
		nm.Admin = in.Admin != nil && *in.Admin
	}
	nm.Later = in.SendInvitation != nil && !*in.SendInvitation
	if err := fs.Err(); err != nil {
		return nm, err
	}
	if !sc.allowed(nm.Email) {
		return nm, ErrDomainNotAllowed
	}
	return nm, nil
}

func inviteKey(sc domain.Scope) string {
	if sc.IsProvider() {
		return "invites#provider"
	}
	return "invites#" + sc.CustomerID
}

// countInvites counts n invitation e-mails against the scope's limit per
// minute, to be written with the change that sends them.
func (s *Service) countInvites(sc domain.Scope, n int) *state.RateCount {
	return &state.RateCount{Key: inviteKey(sc), N: n, Limit: s.Config.InviteRateLimit, Window: time.Minute, Now: s.now()}
}

// Invite invites one person into the scope (a customer's portal user, or an
// operator): the member is unconfirmed with a pending invitation until it
// is accepted, and the invitation e-mail goes out. With an idempotency key,
// a retry of the request (or a copy racing it) answers what the first
// attempt created, finishing its delivery, instead of creating again.
func (s *Service) Invite(ctx context.Context, c *access.Caller, sc Scope, in Invitee, key *idem.Key) (domain.Member, error) {
	const op = "members.Invite"
	if err := c.RequireManager(sc.Scope); err != nil {
		return domain.Member{}, err
	}
	if sc.err != nil {
		return domain.Member{}, errs.Wrap(op, sc.err)
	}
	key, err := idem.Look(ctx, s.Store, key, s.now())
	if err != nil {
		return domain.Member{}, errs.Wrap(op, err)
	}
	if ref := key.PriorRef(); ref != "" {
		// The same request (the key's fingerprint says so) made its member
		// already, checked as it was then: an end date passed since, or a
		// role deleted, does not turn its retry into a refusal.
		m, err := s.resume(ctx, c, sc, ref)
		if errors.Is(err, state.ErrNotFound) && key.Prior.Response != "" {
			return firstAnswer(key.Prior.Response) // the member it made is gone since
		}
		return m, errs.Wrap(op, err)
	}
	if in.Roles != nil && !sc.Scope.IsProvider() {
		if err := s.load(ctx, sc.Scope, sc.roles); err != nil {
			return domain.Member{}, errs.Wrap(op, err)
		}
	}
	nm, err := sc.check(in, s.now())
	if err != nil {
		return domain.Member{}, err
	}
	if selfInvite(c, sc.Scope, nm.Email) {
		return domain.Member{}, ErrSelfInvite
	}
	x := state.Extras{Rate: s.countInvites(sc.Scope, 1), Idempotency: key.Record("", s.now())}
	if nm.Later {
		x.Rate = nil // no e-mail goes out: nothing to count
	}
	m, err := s.invite(ctx, c, sc, nm, x)
	if err != nil {
		ref, err := idem.LostRace(ctx, s.Store, key, err, s.now())
		if err != nil {
			return m, errs.Wrap(op, err)
		}
		m, err = s.resume(ctx, c, sc, ref)
		return m, errs.Wrap(op, err)
	}
	return m, nil
}

// invite creates an unconfirmed member with a pending invitation and sends
// the invitation e-mail once the creation has committed. An idempotency
// record among the extras is given the member's id.
func (s *Service) invite(ctx context.Context, c *access.Caller, sc Scope, nm newMember, x state.Extras) (domain.Member, error) {
	now := s.now()
	actor := c.ActorIn(sc.Scope)
	inv, token := s.Mailer.NewInvitationIn(now, actor.Name, sc.Where)
	if nm.Later {
		inv, token = domain.Invitation{State: domain.InvitationNotSent, Delivery: domain.DeliveryNotSent, InvitedBy: actor.Name}, ""
	}
	m := domain.Member{
		ID: domain.NewID(sc.Scope.IDPrefix()), CustomerID: sc.Scope.CustomerID,
		Email: nm.Email, Name: nm.Name, Status: domain.StatusUnconfirmed,
		Admin: nm.Admin, RoleIDs: nm.RoleIDs, PortalIDs: nm.PortalIDs, Role: nm.Role,
		Invitation: &inv, CreatedAt: now, UpdatedAt: now, Version: 1, Request: nm.Request,
	}
	if m.Name == "" {
		m.Name = domain.LocalPart(m.Email)
	}
	if !sc.Scope.IsProvider() {
		m.Roles = sc.catalogue().Names(&m) // the catalogue was read to check them
	}
	s.defaultAccess(&nm, now)
	s.setAccess(&m, nm.AccessUntil, now)
	if x.Idempotency != nil {
		rec := *x.Idempotency
		rec.Ref = m.ID
		// The member as made is the first answer: a retry answers it even
		// once the member has been deleted.
		b, err := json.Marshal(m)
		if err != nil {
			return m, errs.Wrap("members.invite", err)
		}
		rec.Response = string(b)
		x.Idempotency = &rec
	}
	c.ActIn(sc.Scope, &x)
	ev := domain.NewEvent(now, actor, domain.Action(m.Kind(), domain.ActionInvited), domain.TargetOf(&m), sc.Scope)
	if err := s.Store.CreateMember(ctx, state.NewMember{Member: m, Event: ev, Extras: x}); err != nil {
		return m, err
	}
	if !nm.Later {
		s.Mailer.Send(ctx, &m, token, mail.KindInvitation, sc.Where)
	}
	return m, nil
}

// firstAnswer is the member an invite made, as it answered then.
func firstAnswer(response string) (domain.Member, error) {
	var m domain.Member
	if err := json.Unmarshal([]byte(response), &m); err != nil {
		return m, errs.Wrap("members.firstAnswer", err)
	}
	return m, nil
}

// resume finishes an invite that an earlier request with the same key
// began: the member exists; if its e-mail did not go out, a fresh link is
// made and sent.
func (s *Service) resume(ctx context.Context, c *access.Caller, sc Scope, id string) (domain.Member, error) {
	for attempt := 0; ; attempt++ {
		m, err := s.Store.Member(ctx, sc.Scope, id)
		if err == nil {
			err = s.name(ctx, sc.Scope, sc.roles, &m)
		}
		if err != nil || !delivery.NeedsResend(&m, s.now()) {
			return m, err
		}
		var x state.Extras
		c.ActIn(sc.Scope, &x)
		m, err = s.rotate(ctx, c, sc, m, domain.ActionReinvited, x)
		if errors.Is(err, state.ErrStale) && attempt < 3 {
			continue // changed meanwhile: look again
		}
		return m, err
	}
}

// rotate gives m a fresh token and expiry (the old link dies), and sends it
// once that has committed.
func (s *Service) rotate(ctx context.Context, c *access.Caller, sc Scope, m domain.Member, action string, x state.Extras) (domain.Member, error) {
	now := s.now()
	actor := c.ActorIn(sc.Scope)
	old := m.Invitation
	inv, token := s.Mailer.NewInvitationIn(now, actor.Name, sc.Where)
	inv.SendCount, inv.LastSentAt = old.SendCount, old.LastSentAt
	after := m
	after.Invitation = &inv
	after.Version = m.Version + 1
	after.UpdatedAt = now
	ch := state.MemberChange{
		Before: m, After: &after, Now: now, NewToken: true, RevokeToken: old.TokenHash,
		Event:  domain.NewEvent(now, actor, domain.Action(m.Kind(), action), domain.TargetOf(&m), sc.Scope),
		Extras: x,
	}
	if err := s.Store.ChangeMember(ctx, ch); err != nil {
		return m, err
	}
	s.Mailer.Send(ctx, &after, token, mail.KindInvitation, sc.Where)
	return after, nil
}

// Reinvite sends an unconfirmed member a fresh invitation: the old link
// dies, the expiry starts again. Refused inside the cooldown after a
// successful send, and while a send is still under way.
func (s *Service) Reinvite(ctx context.Context, c *access.Caller, t Target) (domain.Member, error) {
	const op = "members.Reinvite"
	if err := authorize(c, t); err != nil {
		return domain.Member{}, err
	}
	for attempt := 1; ; attempt++ {
		// The member and its customer do not depend on each other: read both at once.
		var m domain.Member
		var sc Scope
		memberErr, _ := conc.Both(func() error {
			var err error
			m, err = s.Store.Member(ctx, t.Scope, t.ID)
			return err
		}, func() error {
			sc = s.LoadScope(ctx, t.Scope)
			return nil
		})
		if memberErr != nil {
			return m, errs.Wrap(op, memberErr)
		}
		if sc.err != nil {
			return m, errs.Wrap(op, sc.err)
		}
		if err := s.name(ctx, t.Scope, sc.roles, &m); err != nil {
			return m, errs.Wrap(op, err)
		}
		inv := m.Invitation
		if m.Status != domain.StatusUnconfirmed || inv == nil {
			return m, ErrNotUnconfirmed
		}
		if selfInvite(c, t.Scope, m.Email) {
			return m, ErrSelfInvite
		}
		if inv.Undeliverable {
			return m, ErrUndeliverable
		}
		now := s.now()
		if m.AccessEnded(now) {
			return m, ErrAccessEnded
		}
		if inv.Delivery.Sent() && inv.LastSentAt != nil {
			if wait := inv.LastSentAt.Add(s.Config.ReinviteCooldown).Sub(now); wait > 0 {
				return m, ErrTooSoon.After(wait)
			}
		}
		if delivery.UnderWay(inv, now) {
			return m, ErrTooSoon.After(inv.AttemptedAt.Add(delivery.SendLease).Sub(now))
		}
		x := state.Extras{Rate: s.countInvites(t.Scope, 1)}
		c.ActIn(t.Scope, &x)
		after, err := s.rotate(ctx, c, sc, m, domain.ActionReinvited, x)
		if errors.Is(err, state.ErrStale) && attempt < 4 {
			continue
		}
		return after, errs.Wrap(op, err)
	}
}

func dedupe(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
