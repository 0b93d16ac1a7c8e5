package api

import (
	"context"
	"errors"
	"time"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/mail"
	"github.com/portalaccess/portalaccess/shared/store"
)

// SweepReport says what one run of the sweep did.
type SweepReport struct {
	Reminded int `json:"reminded"`
	Expired  int `json:"expired"`
	Synced   int `json:"identitiesSynced"`
	// Skipped were due but changed meanwhile, or held by an accept; the
	// next run looks at them again.
	Skipped int  `json:"skipped"`
	Failed  int  `json:"failed"`
	More    bool `json:"more"` // stopped at the time budget with more due
}

const sweepPage = 100

// Sweep sends the reminders that are due, marks the invitations that have
// expired, and brings in line the identities that a request left half-done.
// It reads only what is due, through the sparse due index, in pages, until
// nothing is due or the budget is spent. Every write is conditional, so two
// sweeps at once, or a sweep and an accept, cannot both act on one thing.
func (d *Deps) Sweep(ctx context.Context, budget time.Duration) (SweepReport, error) {
	var rep SweepReport
	deadline := time.Now().Add(budget)
	now := d.now()
	for _, kind := range []store.DueKind{store.DueReminder, store.DueExpiry, store.DueIdentity, store.DuePending} {
		var start store.Key
		for {
			if time.Now().After(deadline) {
				rep.More = true
				d.Log.InfoContext(ctx, "sweep stopped at its time budget", "report", rep)
				return rep, nil
			}
			due, next, err := d.Store.DueBy(ctx, kind, now, sweepPage, start)
			if err != nil {
				return rep, err
			}
			for _, it := range due {
				var err error
				switch kind {
				case store.DueReminder:
					err = d.remind(ctx, it, now)
					if errors.Is(err, errExpiredFirst) {
						// Past its expiry before any sweep sent the reminder:
						// it expires instead.
						err = d.expire(ctx, it, now)
						count(&rep.Expired, &rep.Skipped, &rep.Failed, err)
						break
					}
					count(&rep.Reminded, &rep.Skipped, &rep.Failed, err)
				case store.DueExpiry:
					err = d.expire(ctx, it, now)
					count(&rep.Expired, &rep.Skipped, &rep.Failed, err)
				case store.DueIdentity:
					if err = d.reconcile(ctx, it.Sub); err == nil {
						err = d.Store.SyncDone(ctx, it.Sub, it.Marker)
					}
					count(&rep.Synced, &rep.Skipped, &rep.Failed, err)
				case store.DuePending:
					err = d.settlePending(ctx, it.Email, now)
					count(&rep.Synced, &rep.Skipped, &rep.Failed, err)
				}
				if err != nil && !errors.Is(err, errSkip) {
					d.Log.WarnContext(ctx, "sweep item failed; the next run retries", "kind", string(kind), "member", it.MemberID, "error", err.Error())
				}
			}
			if next == nil {
				break
			}
			start = next
		}
	}
	d.Log.InfoContext(ctx, "sweep done", "reminded", rep.Reminded, "expired", rep.Expired,
		"identitiesSynced", rep.Synced, "skipped", rep.Skipped, "failed", rep.Failed)
	return rep, nil
}

// errSkip marks an item that is no longer due, or is busy.
var errSkip = errors.New("skip")

// errExpiredFirst marks a reminder that is due but whose invitation has
// expired meanwhile.
var errExpiredFirst = errors.New("expired before its reminder")

func count(done, skipped, failed *int, err error) {
	switch {
	case err == nil:
		*done++
	case errors.Is(err, errSkip):
		*skipped++
	default:
		*failed++
	}
}

// remind sends the one reminder of a pending invitation, with a fresh link
// (the earlier one dies) and the same expiry.
func (d *Deps) remind(ctx context.Context, it store.Due, now time.Time) error {
	m, err := d.Store.Member(ctx, it.Scope, it.MemberID, true)
	if errors.Is(err, apperr.ErrNotFound) {
		return errSkip
	}
	if err != nil {
		return err
	}
	inv := m.Invitation
	if m.Status != domain.StatusUnconfirmed || inv == nil || inv.State != domain.InvitationPending ||
		inv.RemindAt == nil || inv.ReminderSentAt != nil || inv.RemindAt.After(now) {
		return errSkip
	}
	if !inv.ExpiresAt.After(now) {
		return errExpiredFirst
	}
	sx, err := d.loadScope(ctx, it.Scope)
	if err != nil {
		return err
	}
	token, hash := domain.NewToken()
	after := m
	ni := *inv
	ni.TokenHash, ni.ReminderSentAt, ni.Delivery, ni.AttemptedAt = hash, &now, domain.DeliveryPending, &now
	after.Invitation, after.Version, after.UpdatedAt = &ni, m.Version+1, now
	ch := store.MemberChange{
		Before: m, After: &after, Now: now, NewToken: true, RevokeToken: inv.TokenHash,
		Event: newEvent(now, domain.SystemActor, domain.Action(m.Kind(), domain.ActionReminded), domain.TargetOf(&m), m.Scope()),
	}
	if err := d.Store.ChangeMember(ctx, ch, nil); err != nil {
		if errors.Is(err, store.ErrVersion) || errors.Is(err, store.ErrAcceptInProgress) {
			return errSkip
		}
		return err
	}
	if d.deliver(ctx, &after, token, mail.KindReminder, sx) == domain.DeliveryFailed {
		// Put it back among the reminders due: the next run tries again.
		if err := d.Store.ReminderFailed(ctx, m.Scope(), m.ID, hash, *inv.RemindAt); err != nil {
			return err
		}
		return errors.New("the reminder e-mail was not sent; the next run tries again")
	}
	return nil
}

// expire marks a pending invitation expired and spends its token; the member
// stays unconfirmed until re-invited or deleted.
func (d *Deps) expire(ctx context.Context, it store.Due, now time.Time) error {
	m, err := d.Store.Member(ctx, it.Scope, it.MemberID, true)
	if errors.Is(err, apperr.ErrNotFound) {
		return errSkip
	}
	if err != nil {
		return err
	}
	inv := m.Invitation
	if m.Status != domain.StatusUnconfirmed || inv == nil || inv.State != domain.InvitationPending || inv.ExpiresAt.After(now) {
		return errSkip
	}
	after := m
	ni := *inv
	ni.State = domain.InvitationExpired
	after.Invitation, after.Version, after.UpdatedAt = &ni, m.Version+1, now
	ch := store.MemberChange{
		Before: m, After: &after, Now: now, RevokeToken: inv.TokenHash,
		Event: newEvent(now, domain.SystemActor, domain.Action(m.Kind(), domain.ActionExpired), domain.TargetOf(&m), m.Scope()),
	}
	if err := d.Store.ChangeMember(ctx, ch, nil); err != nil {
		if errors.Is(err, store.ErrVersion) || errors.Is(err, store.ErrAcceptInProgress) {
			return errSkip
		}
		return err
	}
	return nil
}

// settlePending finishes after accepts of an e-mail that began to create
// (or set up) its identity and never linked it: once no accept of the
// e-mail can still be running, an identity that no membership holds is
// deleted, and the markers go.
func (d *Deps) settlePending(ctx context.Context, email string, now time.Time) error {
	markers, err := d.Store.PendingIdentities(ctx, email)
	if err != nil {
		return err
	}
	for _, pm := range markers {
		if pm.Due.After(now) {
			return errSkip // an accept of this e-mail may still be running; later
		}
	}
	id, found, err := d.Identity.Lookup(ctx, email)
	if err != nil {
		return err
	}
	if found {
		ms, err := d.Store.Memberships(ctx, id.Sub)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			if err := d.Identity.Delete(ctx, id.Sub); err != nil {
				return err
			}
		}
	}
	for _, pm := range markers {
		if err := d.Store.ClearPending(ctx, email, pm.Claim); err != nil {
			return err
		}
	}
	return nil
}
