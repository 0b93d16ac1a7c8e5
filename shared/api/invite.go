package api

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/mail"
	"github.com/portalaccess/portalaccess/shared/store"
)

// sendLease is how long a send, once handed to the mail service, is taken
// to be under way: a retry inside it does not send again.
const sendLease = time.Minute

// newMember is a validated invitation request.
type newMember struct {
	Email     string
	Name      string
	Admin     bool
	Roles     []string
	PortalIDs []string
	Role      domain.OperatorRole
	// Request is the idempotency record of a bulk invite that makes it, so
	// that a retry of that request recognises its own work.
	Request string
}

// scopeContext is what an invitation e-mail says about where it invites to.
type scopeContext struct {
	Scope    domain.Scope
	Customer *domain.Customer // nil for the provider scope
	Portals  []domain.Portal
}

func (sc scopeContext) locale() string {
	if sc.Customer != nil {
		return sc.Customer.Locale
	}
	return domain.LocaleEN
}

func (sc scopeContext) mailScope() mail.Scope {
	if sc.Scope.IsProvider() {
		return mail.ScopeProvider
	}
	return mail.ScopeCustomer
}

func (sc scopeContext) customerName() string {
	if sc.Customer != nil {
		return sc.Customer.Name
	}
	return ""
}

// loadScope reads the customer and its portal setups (one Query), or
// nothing for the provider scope.
func (d *Deps) loadScope(ctx context.Context, sc domain.Scope) (scopeContext, error) {
	out := scopeContext{Scope: sc}
	if sc.IsProvider() {
		return out, nil
	}
	cu, portals, err := d.Store.CustomerWithPortals(ctx, sc.CustomerID)
	if err != nil {
		return out, err
	}
	out.Customer, out.Portals = &cu, portals
	return out, nil
}

// checkPortals returns a field error unless every id names a portal setup
// of the customer.
func (sc scopeContext) checkPortals(field string, ids []string) *apperr.FieldError {
	known := map[string]bool{}
	for _, p := range sc.Portals {
		known[p.ID] = true
	}
	for i, id := range ids {
		if !known[id] {
			fe := apperr.Field(field+"."+strconv.Itoa(i), "unknown_portal", "No portal setup of this customer has this id.")
			return &fe
		}
	}
	return nil
}

func inviteKey(sc domain.Scope) string {
	if sc.IsProvider() {
		return "invites#provider"
	}
	return "invites#" + sc.CustomerID
}

// takeInvites counts n invitation e-mails against the scope's limit per
// minute (INVITE_RATE_LIMIT), with a call of its own (bulk invites).
func (d *Deps) takeInvites(ctx context.Context, sc domain.Scope, n int) error {
	return d.Store.Take(ctx, inviteKey(sc), n, d.Config.InviteRateLimit, time.Minute, d.now())
}

// countInvite counts one invitation e-mail inside the operation's own
// transaction (single invites and re-invites).
func (d *Deps) countInvite(sc domain.Scope) store.Writes {
	return store.WithRate(inviteKey(sc), 1, d.Config.InviteRateLimit, time.Minute, d.now())
}

// newInvitation makes a pending invitation and its token: it expires after
// INVITATION_TTL, and a reminder is due INVITATION_REMINDER before that,
// unless that would be less than INVITATION_REMINDER after it was sent.
func (d *Deps) newInvitation(now time.Time, invitedBy string) (domain.Invitation, string) {
	token, hash := domain.NewToken()
	exp := now.Add(d.Config.InvitationTTL)
	inv := domain.Invitation{
		State: domain.InvitationPending, TokenHash: hash, ExpiresAt: exp,
		Delivery: domain.DeliveryPending, AttemptedAt: &now, InvitedBy: invitedBy,
	}
	if r := d.Config.InvitationReminder; r > 0 {
		at := exp.Add(-r)
		if at.Sub(now) >= r {
			inv.RemindAt = &at
		}
	}
	return inv, token
}

// invite creates an unconfirmed member with a pending invitation and sends
// the invitation e-mail. With an idempotency record, a retry of the same
// request finds the member it created and finishes its delivery instead.
func (d *Deps) invite(ctx context.Context, c *Caller, sx scopeContext, nm newMember, w store.Writes, rec *store.Idempotency) (domain.Member, error) {
	now := d.now()
	actor := c.actorIn(sx.Scope)
	inv, token := d.newInvitation(now, actor.Name)
	m := domain.Member{
		ID: domain.NewID(sx.Scope.IDPrefix()), CustomerID: sx.Scope.CustomerID,
		Email: nm.Email, Name: nm.Name, Status: domain.StatusUnconfirmed,
		Admin: nm.Admin, Roles: nm.Roles, PortalIDs: nm.PortalIDs, Role: nm.Role,
		Invitation: &inv, CreatedAt: now, UpdatedAt: now, Version: 1, Request: nm.Request,
	}
	if m.Name == "" {
		m.Name = domain.LocalPart(m.Email)
	}
	if rec != nil {
		rec.Ref = m.ID
		w = append(w, store.WithIdempotency(rec)...)
	}
	if c.actsAsPortalAdmin(sx.Scope.CustomerID) {
		w = append(w, store.ActingAdmin(c.Sub, sx.Scope)...)
	}
	ev := newEvent(now, actor, domain.Action(m.Kind(), domain.ActionInvited), domain.TargetOf(&m), sx.Scope)
	if err := d.Store.CreateMember(ctx, m, ev, w); err != nil {
		return m, err
	}
	d.deliver(ctx, &m, token, mail.KindInvitation, sx)
	return m, nil
}

// deliver sends the invitation e-mail of m, whose token is given, and
// records the outcome on the invitation. A failed send never loses the
// member: it shows as delivery "failed" and is retried by re-inviting.
func (d *Deps) deliver(ctx context.Context, m *domain.Member, token string, kind mail.Kind, sx scopeContext) domain.Delivery {
	inv := m.Invitation
	msg, err := mail.Render(mail.Invitation{
		Kind: kind, Locale: sx.locale(), To: m.Email, Name: m.Name,
		Customer: sx.customerName(), Scope: sx.mailScope(), InvitedBy: inv.InvitedBy, ExpiresAt: inv.ExpiresAt,
		PortalURL: d.Config.PortalURL, Token: token,
	})
	outcome := domain.DeliverySent
	if err == nil {
		_, err = d.Mail.Send(ctx, msg)
	}
	if errors.Is(err, mail.ErrOutcomeUnknown) {
		// It may have gone out: the invitation stays "pending" (sending), and
		// nothing sends it again until the send lease has passed.
		d.Log.WarnContext(ctx, "invitation e-mail outcome unknown", "member", m.ID, "customer", m.CustomerID, "error", err.Error())
		return domain.DeliveryPending
	}
	if err != nil {
		d.Log.ErrorContext(ctx, "invitation e-mail not sent", "member", m.ID, "customer", m.CustomerID, "kind", string(kind), "error", err.Error())
		if kind == mail.KindReminder {
			return domain.DeliveryFailed // the sweep records it and queues the reminder again
		}
		outcome = domain.DeliveryFailed
	}
	now := d.now()
	// Recording is retried here: the e-mail is out, and a record left at
	// "pending" would make a later retry unsure whether it went.
	var recErr error
	for attempt := 0; attempt < 3; attempt++ {
		if recErr = d.Store.RecordDelivery(ctx, m.Scope(), m.ID, inv.TokenHash, outcome, now, inv.SendCount+1); recErr == nil {
			break
		}
	}
	if recErr != nil {
		d.Log.ErrorContext(ctx, "delivery not recorded", "member", m.ID, "error", recErr.Error())
	}
	inv.Delivery = outcome
	if outcome == domain.DeliverySent {
		inv.LastSentAt = &now
		inv.SendCount++
	}
	return outcome
}

// sendUnderWay reports whether an e-mail of the invitation was handed to the
// mail service so recently that it may still be on its way.
func (d *Deps) sendUnderWay(inv *domain.Invitation) bool {
	return inv.Delivery == domain.DeliveryPending && inv.AttemptedAt != nil && d.now().Sub(*inv.AttemptedAt) < sendLease
}

// needsResend reports whether a retried invite should send again: its
// invitation is pending, and its last e-mail failed, or was never confirmed
// and is no longer under way.
func (d *Deps) needsResend(m *domain.Member) bool {
	inv := m.Invitation
	return m.Status == domain.StatusUnconfirmed && inv != nil && inv.State == domain.InvitationPending &&
		(inv.Delivery == domain.DeliveryFailed || (inv.Delivery == domain.DeliveryPending && !d.sendUnderWay(inv)))
}

// resumeInvite finishes an invite that an earlier request with the same
// Idempotency-Key began: the member exists; if its e-mail did not go out, a
// fresh link is made and sent.
func (d *Deps) resumeInvite(ctx context.Context, c *Caller, sx scopeContext, id string) (domain.Member, error) {
	for attempt := 0; ; attempt++ {
		m, err := d.Store.Member(ctx, sx.Scope, id, true)
		if err != nil || !d.needsResend(&m) {
			return m, err
		}
		m, err = d.rotate(ctx, c, sx, m, domain.ActionReinvited, false, nil)
		if errors.Is(err, store.ErrVersion) && attempt < 3 {
			continue // changed meanwhile: look again
		}
		return m, err
	}
}

// rotate gives m a fresh token and expiry (the old link dies), and sends it.
func (d *Deps) rotate(ctx context.Context, c *Caller, sx scopeContext, m domain.Member, action string, guardActor bool, w store.Writes) (domain.Member, error) {
	now := d.now()
	actor := c.actorIn(sx.Scope)
	old := m.Invitation
	inv, token := d.newInvitation(now, actor.Name)
	inv.SendCount, inv.LastSentAt = old.SendCount, old.LastSentAt
	after := m
	after.Invitation = &inv
	after.Version = m.Version + 1
	after.UpdatedAt = now
	ch := store.MemberChange{
		Before: m, After: &after, Now: now, NewToken: true, RevokeToken: old.TokenHash,
		Event: newEvent(now, actor, domain.Action(m.Kind(), action), domain.TargetOf(&m), sx.Scope),
	}
	if guardActor && c.actsAsPortalAdmin(sx.Scope.CustomerID) {
		ch.ActorSub = c.Sub
	}
	if err := d.Store.ChangeMember(ctx, ch, w); err != nil {
		return m, err
	}
	d.deliver(ctx, &after, token, mail.KindInvitation, sx)
	return after, nil
}
