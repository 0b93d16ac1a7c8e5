// Package invitations is what an invitee does with the link of an
// invitation e-mail: look at it (who is invited where, until when, whether
// the e-mail already signs in) and accept it (choose a password, or link an
// existing account). Every token that cannot be used gets the same answer,
// so that a dead link tells its holder nothing.
package invitations

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/conc"
	"github.com/portalaccess/portalaccess/shared/app/identitysync"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/state"
)

// ClaimLease is how long an accept holds its token; longer than the accept
// function may run, so that a claim outlives only a crashed accept.
const ClaimLease = 30 * time.Second

// PendingGrace is how long after its claim lapses a pending identity waits
// before the sweep looks at it.
const PendingGrace = 2 * time.Minute

// Errors of invitations.
var (
	// ErrInvalid answers every token that cannot be used.
	ErrInvalid = state.ErrTokenInvalid
	// ErrTokenRequired: the request names no token.
	ErrTokenRequired = errs.Fields(errs.F("token", "required"))
	// ErrPasswordRequired: the e-mail has no account yet, so a password is needed.
	ErrPasswordRequired = errs.Fields(errs.F("password", "required"))
)

// Store is what invitations read and write.
type Store interface {
	Take(ctx context.Context, rc state.RateCount) error
	Invitation(ctx context.Context, hash string, now time.Time) (state.InvitationRef, error)
	ClaimInvitation(ctx context.Context, hash, claimID string, now, until time.Time) (state.InvitationRef, error)
	ReleaseClaim(ctx context.Context, hash, claimID string) error
	CustomerWithPortals(ctx context.Context, id string) (domain.Customer, []domain.Portal, error)
	Member(ctx context.Context, sc domain.Scope, id string) (domain.Member, error)
	Memberships(ctx context.Context, sub string) ([]domain.Member, error)
	PendingIdentity(ctx context.Context, email, claim string, due time.Time) error
	ChangeMember(ctx context.Context, ch state.MemberChange) error
}

// Service serves invitees.
type Service struct {
	Store    Store
	Identity identity.Provider
	Sync     *identitysync.Syncer
	// PublicRateLimit is how many calls one source address may make a minute.
	PublicRateLimit int
	Log             *slog.Logger
	Now             func() time.Time
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// Request is what every call of an invitee brings: the token as given, and
// where the call comes from (its limit is counted per source address).
type Request struct {
	Token    *string
	SourceIP string
}

// takePublic counts a call against its source address's limit per minute;
// the gateway's route throttling limits the routes as a whole besides.
func (s *Service) takePublic(ctx context.Context, ip string) error {
	if ip == "" {
		ip = "unknown"
	}
	return s.Store.Take(ctx, state.RateCount{Key: "public#" + ip, N: 1, Limit: s.PublicRateLimit, Window: time.Minute, Now: s.now()})
}

// hashOf reads the token of a request. A missing token is invalid input; a
// token of the wrong shape is answered as any unknown token is.
func hashOf(p *string) (string, error) {
	if p == nil {
		return "", ErrTokenRequired
	}
	if !domain.WellFormedToken(*p) {
		return "", ErrInvalid
	}
	return domain.HashToken(*p), nil
}

// Inspection is what an invitee may learn of their invitation.
type Inspection struct {
	Email string
	// CustomerName is nil for an operator's invitation.
	CustomerName    *string
	ExpiresAt       time.Time
	ExistingAccount bool
	// Portals are the customer's portal setups the invitee is linked to, by
	// name: where they will sign in.
	Portals []domain.Portal
}

// linked are the setups among ps that the member is linked to, by name.
func linked(m domain.Member, ps []domain.Portal) []domain.Portal {
	var out []domain.Portal
	for _, p := range ps {
		if slices.Contains(m.PortalIDs, p.ID) {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b domain.Portal) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out
}

// Inspect tells the invitee who is invited where, until when, and whether
// the e-mail already signs in (then no password is asked for).
func (s *Service) Inspect(ctx context.Context, r Request) (Inspection, error) {
	const op = "invitations.Inspect"
	if err := s.takePublic(ctx, r.SourceIP); err != nil {
		return Inspection{}, errs.Wrap(op, err)
	}
	hash, err := hashOf(r.Token)
	if err != nil {
		return Inspection{}, err
	}
	ref, err := s.Store.Invitation(ctx, hash, s.now())
	if err != nil {
		return Inspection{}, errs.Wrap(op, err)
	}
	out := Inspection{Email: ref.Email, ExpiresAt: ref.ExpiresAt}
	if ref.Scope.IsProvider() { // operators are invited to no customer
		var err error
		out.ExistingAccount, _, err = s.existingAccount(ctx, ref.Email, ref.Scope)
		return out, errs.Wrap(op, err)
	}
	var cu domain.Customer
	var ps []domain.Portal
	var m domain.Member
	err = conc.All(func() error {
		var err error
		cu, ps, err = s.Store.CustomerWithPortals(ctx, ref.Scope.CustomerID)
		return err
	}, func() error {
		var err error
		m, err = s.Store.Member(ctx, ref.Scope, ref.MemberID)
		return err
	}, func() error {
		var err error
		out.ExistingAccount, _, err = s.existingAccount(ctx, ref.Email, ref.Scope)
		return err
	})
	if errors.Is(err, state.ErrNotFound) || err == nil && cu.Offboarding() {
		return Inspection{}, ErrInvalid // deleted meanwhile, or its customer going
	}
	if err != nil {
		return Inspection{}, errs.Wrap(op, err)
	}
	out.CustomerName, out.Portals = &cu.Name, linked(m, ps)
	return out, nil
}

// existingAccount reports whether the e-mail signs in already through a
// membership other than the one in the scope. An identity without any
// membership is left over from an accept that failed half-way: it is not an
// account, and accepting gives it the chosen password.
func (s *Service) existingAccount(ctx context.Context, email string, sc domain.Scope) (bool, *identity.Identity, error) {
	id, found, err := s.Identity.Lookup(ctx, email)
	if err != nil || !found {
		return false, nil, err
	}
	ms, err := s.Store.Memberships(ctx, id.Sub)
	if err != nil {
		return false, &id, err
	}
	for _, m := range ms {
		if m.Scope() != sc {
			return true, &id, nil
		}
	}
	return false, &id, nil
}

// Acceptance is what accepting asks for.
type Acceptance struct {
	Request
	Password *string
	// Name, when given, replaces the member's name.
	Name *string
}

// SignIn says how the invitee signs in from now on.
type SignIn string

const (
	PasswordSet     SignIn = "password_set"
	ExistingAccount SignIn = "existing_account"
)

// Accepted is the outcome of accepting.
type Accepted struct {
	Email  string
	SignIn SignIn
	// Customer is whose portals the invitee now signs in to (nil for an
	// operator); Portals the setups they are linked to, by name.
	Customer *domain.Customer
	Portals  []domain.Portal
}

// Accept turns an invitation into an enabled membership: the token is
// claimed (so that of two accepts only one proceeds), the sign-in identity
// is created with the chosen password (or an existing account is linked,
// its password untouched), and one transaction spends the token, enables
// the member and records it. If that transaction fails, an identity this
// request created is deleted again, and one it could not delete is found by
// the sweep through the marker written before it was made: nothing is left
// half-done, and the same request can simply be retried.
func (s *Service) Accept(ctx context.Context, a Acceptance) (Accepted, error) {
	const op = "invitations.Accept"
	if err := s.takePublic(ctx, a.SourceIP); err != nil {
		return Accepted{}, errs.Wrap(op, err)
	}
	hash, err := hashOf(a.Token)
	if err != nil {
		return Accepted{}, err
	}
	var name string
	if a.Name != nil {
		var code string
		if name, code = domain.CleanName(*a.Name); code != "" {
			return Accepted{}, errs.Fields(errs.F("name", code))
		}
	}
	now := s.now()
	claim := domain.NewID("claim")
	ref, err := s.Store.ClaimInvitation(ctx, hash, claim, now, now.Add(ClaimLease))
	if err != nil {
		return Accepted{}, errs.Wrap(op, err)
	}
	out, err := s.accept(ctx, ref, hash, claim, a.Password, name)
	if err != nil {
		s.release(ctx, hash, claim)
		return Accepted{}, errs.Wrap(op, err)
	}
	return out, nil
}

// releaseAttempts is how often an accept that did not complete tries to
// give its claim back before leaving it to lapse.
const releaseAttempts = 3

// release gives the token back after an accept that did not complete (a
// weak password, say), so that the invitee's next try is not refused while
// the claim holds. One failed call must not leave that trace, so it tries
// again a few times, briefly; if the table stays unreachable, the claim
// lapses after ClaimLease.
func (s *Service) release(ctx context.Context, hash, claim string) {
	ctx = context.WithoutCancel(ctx)
	var err error
	for attempt := range releaseAttempts {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
		}
		if err = s.Store.ReleaseClaim(ctx, hash, claim); err == nil {
			return
		}
	}
	s.Log.WarnContext(ctx, "claim not released; it lapses", "error", err.Error())
}

// retire deletes the identity a failed accept made, unless a membership
// holds it by now: another accept of the e-mail (another customer's
// invitation) may have found it and be linking it at this moment, which
// the lease of identitysync's Retire either refuses or lets this one see.
// What it cannot do is left to the sweep, through the pending marker.
func (s *Service) retire(ctx context.Context, sub string) {
	if _, err := s.Sync.Retire(context.WithoutCancel(ctx), sub); err != nil {
		s.Log.ErrorContext(ctx, "identity of a failed accept not deleted; the sweep will", "sub", sub, "error", err.Error())
	}
}

func (s *Service) accept(ctx context.Context, ref state.InvitationRef, hash, claim string, password *string, name string) (Accepted, error) {
	m, err := s.Store.Member(ctx, ref.Scope, ref.MemberID)
	if errors.Is(err, state.ErrNotFound) {
		return Accepted{}, ErrInvalid
	}
	if err != nil {
		return Accepted{}, err
	}
	if m.Status != domain.StatusUnconfirmed || m.Invitation == nil || m.Invitation.TokenHash != hash || m.Invitation.State != domain.InvitationPending {
		return Accepted{}, ErrInvalid
	}
	if m.AccessEnded(s.now()) {
		// Their access ended before they accepted: the link is no longer
		// good (one that slips through a moment before is disabled by the
		// sweep, as any member whose access ends).
		return Accepted{}, ErrInvalid
	}
	// Where they will sign in, read beside the account: the answer names it.
	var existing bool
	var id *identity.Identity
	var cu *domain.Customer
	var ps []domain.Portal
	idErr, cuErr := conc.Both(func() error {
		var err error
		existing, id, err = s.existingAccount(ctx, m.Email, m.Scope())
		return err
	}, func() error {
		if m.Scope().IsProvider() {
			return nil
		}
		c, all, err := s.Store.CustomerWithPortals(ctx, m.CustomerID)
		cu, ps = &c, all
		return err
	})
	if err := errors.Join(idErr, cuErr); err != nil {
		return Accepted{}, err
	}
	if cu != nil && cu.Offboarding() {
		return Accepted{}, ErrInvalid // its customer is going: nobody joins it
	}
	signIn := ExistingAccount
	created, pending := false, false
	if !existing {
		signIn = PasswordSet
		if password == nil {
			return Accepted{}, ErrPasswordRequired
		}
		if err := identity.Policy.Check(*password); err != nil {
			return Accepted{}, err
		}
		// The table hears of the identity before the sign-in system makes it:
		// if this request dies between the two, the sweep finds the marker and
		// deletes an identity that no membership came to hold.
		if err := s.Store.PendingIdentity(ctx, m.Email, claim, s.now().Add(ClaimLease+PendingGrace)); err != nil {
			return Accepted{}, err
		}
		pending = true
		if id == nil {
			nid, err := s.Identity.Create(ctx, m.Email, *password)
			switch {
			case errors.Is(err, identity.ErrExists):
				// Made by a call whose answer was lost, or by an accept that
				// failed half-way: it has no membership, so it is ours to use.
				found, ok, lerr := s.Identity.Lookup(ctx, m.Email)
				if lerr != nil || !ok {
					return Accepted{}, errors.Join(err, lerr)
				}
				if err := s.Identity.SetPassword(ctx, found.Sub, *password); err != nil {
					return Accepted{}, err
				}
				id = &found
			case err != nil:
				if nid.Sub != "" { // created, but the password was refused
					s.retire(ctx, nid.Sub)
				}
				return Accepted{}, err
			default:
				id, created = &nid, true
			}
		} else if err := s.Identity.SetPassword(ctx, id.Sub, *password); err != nil {
			return Accepted{}, err
		}
	}
	now := s.now()
	after := m
	after.Status, after.Sub, after.Version, after.UpdatedAt = domain.StatusEnabled, id.Sub, m.Version+1, now
	if name != "" {
		after.Name = name
	}
	inv := *m.Invitation
	inv.State = domain.InvitationAccepted
	after.Invitation = &inv
	actor := domain.Actor{ID: m.ID, Email: m.Email, Kind: domain.ActorPortalUser, Name: m.Name}
	if m.Scope().IsProvider() {
		actor.Kind = domain.ActorOperator
	}
	// An identity this accept did not make is brought in line after the
	// commit (and by the sweep, should this request die): a change of
	// another of its memberships may be bringing it in line at this very
	// moment from what it read before this membership was there.
	ch := state.MemberChange{
		Before: m, After: &after, Now: now, UseToken: hash, ClaimID: claim,
		SyncIdentity: !id.Enabled || !created,
		Event:        domain.NewEvent(now, actor, domain.Action(m.Kind(), domain.ActionAccepted), domain.TargetOf(&m), m.Scope()),
	}
	if pending {
		ch.ClearPending = claim
	}
	if err := s.Store.ChangeMember(ctx, ch); err != nil {
		// Only a refusal says the membership did not come to hold the
		// identity made for it. After a fault (a lost answer, a timeout) the
		// commit may have landed: the identity stays, and the pending marker
		// lets the sweep delete it if no membership holds it after all.
		if k := errs.KindOf(err); created && k != errs.Internal && k != errs.Transient {
			s.retire(ctx, id.Sub)
		}
		if errors.Is(err, state.ErrStale) {
			return Accepted{}, ErrInvalid
		}
		return Accepted{}, err
	}
	if ch.SyncIdentity {
		s.Sync.Sync(ctx, id.Sub, ch.Event.ID)
	}
	return Accepted{Email: m.Email, SignIn: signIn, Customer: cu, Portals: linked(after, ps)}, nil
}
