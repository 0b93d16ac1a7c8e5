package api

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/store"
)

// target is the member a request acts on.
type target struct {
	sc domain.Scope
	id string
}

// operatorTarget reads {operatorId}; only operator admins manage operators.
func operatorTarget(r *httpapi.Request, c *Caller) (target, error) {
	if err := c.requireOperatorAdmin(); err != nil {
		return target{}, err
	}
	id := r.Path("operatorId")
	if !domain.ValidID(domain.PrefixOperator, id) {
		return target{}, apperr.ErrNotFound
	}
	return target{sc: domain.ProviderScope, id: id}, nil
}

// memberTarget reads the user or operator a route names.
func memberTarget(r *httpapi.Request, c *Caller, operators bool) (target, error) {
	if operators {
		return operatorTarget(r, c)
	}
	sc, id, err := userTarget(r, c)
	return target{sc: sc, id: id}, err
}

var errInvalidState = func(detail string) error { return apperr.New(apperr.Conflict, "invalid_state", detail) }

// ifMatch reads an optional If-Match header: "<version>", W/"<version>" or *.
func ifMatch(r *httpapi.Request) (int, error) {
	v := strings.TrimSpace(r.Header("if-match"))
	if v == "" || v == "*" {
		return 0, nil
	}
	v = strings.Trim(strings.TrimPrefix(v, "W/"), `"`)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, apperr.Fields(apperr.Field("If-Match", "invalid", `If-Match must be the ETag of the resource, e.g. "3".`))
	}
	return n, nil
}

// change is one change of a member, as a handler computes it from the
// member's current state; nil means there is nothing to write.
type change func(m domain.Member, now time.Time) (*store.MemberChange, error)

// modify reads the member, computes the change and writes it, conditional on
// the version read. With If-Match, a member changed since the client read it
// is a 412. Without, the handler reads again and retries a few times.
func (d *Deps) modify(ctx context.Context, t target, want int, f change) (domain.Member, *store.MemberChange, error) {
	for attempt := 1; ; attempt++ {
		m, err := d.Store.Member(ctx, t.sc, t.id, true)
		if err != nil {
			return m, nil, err
		}
		if want > 0 && m.Version != want {
			return m, nil, apperr.ErrVersion
		}
		ch, err := f(m, d.now())
		if err != nil || ch == nil {
			return m, nil, err
		}
		err = d.Store.ChangeMember(ctx, *ch, nil)
		switch {
		case err == nil:
			return *ch.After0(), ch, nil
		case errors.Is(err, store.ErrVersion) && want > 0:
			return m, nil, apperr.ErrVersion
		case errors.Is(err, store.ErrVersion) && attempt < 4:
			continue
		case errors.Is(err, store.ErrVersion):
			return m, nil, store.ErrConflict
		default:
			return m, nil, err
		}
	}
}

// base makes the common part of a change: the new state at version+1, which
// the caller edits through the returned pointer (it is ch.After).
func (d *Deps) base(c *Caller, m domain.Member, now time.Time, action string) (*domain.Member, store.MemberChange) {
	after := m
	after.Version = m.Version + 1
	after.UpdatedAt = now
	ch := store.MemberChange{
		Before: m, After: &after, Now: now,
		Event: newEvent(now, c.actorIn(m.Scope()), domain.Action(m.Kind(), action), domain.TargetOf(&m), m.Scope()),
	}
	if c.actsAsPortalAdmin(m.CustomerID) {
		ch.ActorSub = c.Sub
		ch.GuardLastAdmin = true
	}
	if m.Scope().IsProvider() {
		ch.GuardLastAdmin = true // the provider always keeps an operator admin
	}
	return ch.After, ch
}

func memberResponse(m *domain.Member) *httpapi.Response {
	return httpapi.OK(viewMember(m)).WithETag(m.Version)
}

// setStatus enables or disables a member. Doing it twice is no error: the
// second time changes nothing in the table and brings Cognito in line again,
// so a request that failed half-way is completed by retrying it.
func (d *Deps) setStatus(ctx context.Context, c *Caller, t target, to domain.Status) (*httpapi.Response, error) {
	action := domain.ActionEnabled
	if to == domain.StatusDisabled {
		action = domain.ActionDisabled
	}
	m, ch, err := d.modify(ctx, t, 0, func(m domain.Member, now time.Time) (*store.MemberChange, error) {
		switch m.Status {
		case domain.StatusUnconfirmed:
			return nil, errInvalidState("An unconfirmed user has not accepted the invitation yet: re-invite or delete them.")
		case to:
			return nil, nil
		}
		after, ch := d.base(c, m, now, action)
		after.Status = to
		ch.SyncIdentity = true
		return &ch, nil
	})
	if err != nil {
		return nil, err
	}
	marker := ""
	if ch != nil {
		marker = ch.Event.ID
	}
	d.syncIdentity(ctx, m.Sub, marker)
	return memberResponse(&m), nil
}

// deleteMember removes a member for good: its invitation is revoked, its
// e-mail freed, and its identity deleted when no other membership keeps it.
// The change is computed without I/O; the table commits it together with
// the identity's marker, and only then is Cognito brought in line (deleted
// when no membership is left, otherwise enabled or disabled as the others
// say). A refused delete (last_admin, a lost right) touches nothing, and a
// crash after the commit leaves the marker, which the sweep finishes.
func (d *Deps) deleteMember(ctx context.Context, c *Caller, t target) (*httpapi.Response, error) {
	m, ch, err := d.modify(ctx, t, 0, func(m domain.Member, now time.Time) (*store.MemberChange, error) {
		_, ch := d.base(c, m, now, domain.ActionDeleted)
		ch.After = nil
		if m.Invitation != nil && m.Invitation.State == domain.InvitationPending {
			ch.RevokeToken = m.Invitation.TokenHash
		}
		ch.SyncIdentity = m.Sub != ""
		return &ch, nil
	})
	if err != nil {
		return nil, err
	}
	if ch.SyncIdentity {
		d.syncIdentity(ctx, m.Sub, ch.Event.ID)
	}
	return httpapi.NoContent(), nil
}

// reinvite sends a fresh invitation to an unconfirmed member: the old link
// dies, the expiry starts again. Refused inside the cooldown after a
// successful send, and while a send is still under way.
func (d *Deps) reinvite(ctx context.Context, c *Caller, t target) (*httpapi.Response, error) {
	for attempt := 1; ; attempt++ {
		// The member and its customer do not depend on each other: read both at once.
		var m domain.Member
		var sx scopeContext
		memberErr, scopeErr := both(func() error {
			var err error
			m, err = d.Store.Member(ctx, t.sc, t.id, true)
			return err
		}, func() error {
			var err error
			sx, err = d.loadScope(ctx, t.sc)
			return err
		})
		if memberErr != nil {
			return nil, memberErr
		}
		if scopeErr != nil {
			return nil, scopeErr
		}
		inv := m.Invitation
		if m.Status != domain.StatusUnconfirmed || inv == nil {
			return nil, errInvalidState("Only unconfirmed users can be re-invited.")
		}
		now := d.now()
		if inv.Delivery == domain.DeliverySent && inv.LastSentAt != nil {
			if wait := inv.LastSentAt.Add(d.Config.ReinviteCooldown).Sub(now); wait > 0 {
				return nil, tooSoon(wait)
			}
		}
		if d.sendUnderWay(inv) {
			return nil, tooSoon(inv.AttemptedAt.Add(sendLease).Sub(now))
		}
		after, err := d.rotate(ctx, c, sx, m, domain.ActionReinvited, true, d.countInvite(t.sc))
		if errors.Is(err, store.ErrVersion) && attempt < 4 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return memberResponse(&after), nil
	}
}

func tooSoon(wait time.Duration) error {
	e := apperr.Newf(apperr.TooManyRequests, "reinvite_too_soon",
		"An invitation was sent moments ago; wait %d seconds before sending another.", int(wait.Seconds()+0.999))
	e.RetryAfter = wait
	return e
}

// syncIdentity brings the Cognito identity in line with the table: deleted
// when no membership is left, enabled while one is enabled, otherwise
// disabled and signed out everywhere. Failures leave the marker in place, and
// the sweep finishes the job; the table, which every request reads, is
// already right.
func (d *Deps) syncIdentity(ctx context.Context, sub, marker string) {
	if sub == "" || d.Identity == nil {
		return
	}
	if err := d.reconcile(ctx, sub); err != nil {
		d.Log.WarnContext(ctx, "identity not yet in line; the sweep will finish", "sub", sub, "error", err.Error())
		return
	}
	if marker != "" {
		if err := d.Store.SyncDone(ctx, sub, marker); err != nil {
			d.Log.WarnContext(ctx, "identity marker not cleared", "sub", sub, "error", err.Error())
		}
	}
}

func (d *Deps) reconcile(ctx context.Context, sub string) error {
	ms, err := d.Store.Memberships(ctx, sub)
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		return d.Identity.Delete(ctx, sub)
	}
	for _, m := range ms {
		if m.Status == domain.StatusEnabled {
			return d.Identity.Enable(ctx, sub)
		}
	}
	return d.Identity.Disable(ctx, sub)
}
