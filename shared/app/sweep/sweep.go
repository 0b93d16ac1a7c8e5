// Package sweep is the scheduled work: it sends the reminders that are due,
// marks the invitations that have expired, and finishes what a request left
// half-done (identities to bring in line, identities an accept made and
// never linked). It reads only what is due, through the sparse due index.
package sweep

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/delivery"
	"github.com/portalaccess/portalaccess/shared/app/identitysync"
	"github.com/portalaccess/portalaccess/shared/app/mfa"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/mail"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Store is what the sweep reads and writes.
type Store interface {
	DueBy(ctx context.Context, kind state.DueKind, now time.Time, limit int32, start state.PageKey) (state.Page[state.Due], error)
	Member(ctx context.Context, sc domain.Scope, id string) (domain.Member, error)
	CustomerWithPortals(ctx context.Context, id string) (domain.Customer, []domain.Portal, error)
	ChangeMember(ctx context.Context, ch state.MemberChange) error
	ReminderFailed(ctx context.Context, sc domain.Scope, id, tokenHash string, remindAt time.Time) error
	Memberships(ctx context.Context, sub string) ([]domain.Member, error)
	SyncDone(ctx context.Context, sub, marker string) error
	PendingIdentities(ctx context.Context, email string) ([]state.PendingMarker, error)
	ClearPending(ctx context.Context, email, claim string) error
	BackfillCounts(ctx context.Context, limit int) (more bool, err error)
	MigrationStore
}

// Identities is what the sweep asks of the sign-in system besides syncing.
type Identities interface {
	Lookup(ctx context.Context, email string) (identity.Identity, bool, error)
	Delete(ctx context.Context, sub string) error
}

// Portals brings portal setups' app clients in line with the table, and
// retires deleted setups.
type Portals interface {
	Sync(ctx context.Context, d state.Due) error
	// Refresh sets every setting of a setup's app client again, from the
	// setup as it is (the migration of the portals' app clients).
	Refresh(ctx context.Context, customerID, portalID string) error
}

// Jobs works on jobs with work left (a customer's offboarding) until the
// deadline; more says it stopped there with work left.
type Jobs interface {
	Run(ctx context.Context, jobID string, deadline time.Time) (more bool, err error)
}

// Sweeper runs the sweep.
type Sweeper struct {
	Store      Store
	Mailer     *delivery.Mailer
	Sync       *identitysync.Syncer
	Identities Identities
	Portals    Portals
	Jobs       Jobs
	// Imports queues the chunks of imports a crash left unqueued (nil:
	// left for a sweep that has the queue).
	Imports Imports
	// MFA checks the operators' authenticator apps (nil: not checked).
	MFA *mfa.Service
	Log *slog.Logger
	Now func() time.Time
	// Clock measures the time budget of a run (the real clock, whatever Now
	// says); nil is time.Now.
	Clock func() time.Time
}

// Imports queues what an import's request left unqueued.
type Imports interface {
	Requeue(ctx context.Context, customerID, id string) error
}

// Report says what one run of the sweep did.
type Report struct {
	// Resent are invitation e-mails sent again because a crash (or a send
	// of unknown outcome) left them committed and never recorded.
	Resent   int `json:"resent"`
	Reminded int `json:"reminded"`
	Expired  int `json:"expired"`
	Synced   int `json:"identitiesSynced"`
	// Portals are portal setups whose app client was brought in line, or
	// whose retirement went on.
	Portals int `json:"portalsSynced"`
	// Jobs are jobs (offboardings) that finished in this run.
	Jobs int `json:"jobsFinished"`
	// Imports are imports whose chunks were queued after a crash.
	Imports int `json:"importsQueued"`
	// AccessEnded are members disabled because their accessUntil passed;
	// AccessReminded, members whose admins were told it soon will.
	AccessEnded    int `json:"accessEnded"`
	AccessReminded int `json:"accessReminded"`
	// Skipped were due but changed meanwhile, or held by an accept; the
	// next run looks at them again.
	Skipped int  `json:"skipped"`
	Failed  int  `json:"failed"`
	More    bool `json:"more"` // stopped at the time budget with more due
	// MFA is what the check of the operators' authenticator apps did.
	MFA mfa.Report `json:"mfa"`
}

const sweepPage = 100

// backfillStep is how many members one step of the counts' backfill reads.
const backfillStep = 500

func (s *Sweeper) clock() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

// Run sends the reminders that are due, marks the invitations that have
// expired, and brings in line the identities that a request left half-done.
// It reads only what is due, through the sparse due index, in pages, until
// nothing is due or the budget is spent. Every write is conditional, so two
// sweeps at once, or a sweep and an accept, cannot both act on one thing.
func (s *Sweeper) Run(ctx context.Context, budget time.Duration) (Report, error) {
	var rep Report
	deadline := s.clock().Add(budget)
	now := s.Now().UTC()
	for _, kind := range []state.DueKind{state.DueResend, state.DueReminder, state.DueExpiry, state.DueIdentity, state.DuePending, state.DuePortal, state.DueAccess, state.DueJob, state.DueImport} {
		var start state.PageKey
		for {
			if s.clock().After(deadline) {
				rep.More = true
				s.Log.InfoContext(ctx, "sweep stopped at its time budget", "report", rep)
				return rep, nil
			}
			due, err := s.Store.DueBy(ctx, kind, now, sweepPage, start)
			if err != nil {
				return rep, err
			}
			next := due.Next
			for _, it := range due.Items {
				var err error
				switch kind {
				case state.DueResend:
					var reminded bool
					reminded, err = s.resend(ctx, it, now)
					switch {
					case errors.Is(err, errExpiredFirst):
						err = s.expire(ctx, it, now)
						count(&rep.Expired, &rep.Skipped, &rep.Failed, err)
					case reminded:
						count(&rep.Reminded, &rep.Skipped, &rep.Failed, err)
					default:
						count(&rep.Resent, &rep.Skipped, &rep.Failed, err)
					}
				case state.DueReminder:
					err = s.remind(ctx, it, now)
					if errors.Is(err, errExpiredFirst) {
						// Past its expiry before any sweep sent the reminder:
						// it expires instead.
						err = s.expire(ctx, it, now)
						count(&rep.Expired, &rep.Skipped, &rep.Failed, err)
						break
					}
					count(&rep.Reminded, &rep.Skipped, &rep.Failed, err)
				case state.DueExpiry:
					err = s.expire(ctx, it, now)
					count(&rep.Expired, &rep.Skipped, &rep.Failed, err)
				case state.DueIdentity:
					if err = s.Sync.Reconcile(ctx, it.Sub); err == nil {
						err = s.Store.SyncDone(ctx, it.Sub, it.Marker)
					}
					count(&rep.Synced, &rep.Skipped, &rep.Failed, err)
				case state.DuePending:
					err = s.settlePending(ctx, it.Email, now)
					count(&rep.Synced, &rep.Skipped, &rep.Failed, err)
				case state.DuePortal:
					if s.Portals == nil {
						err = errSkip
					} else {
						err = s.Portals.Sync(ctx, it)
					}
					count(&rep.Portals, &rep.Skipped, &rep.Failed, err)
				case state.DueAccess:
					err = s.access(ctx, it, now, &rep)
				case state.DueImport:
					if s.Imports == nil {
						err = errSkip
					} else {
						err = s.Imports.Requeue(ctx, it.Scope.CustomerID, it.ImportID)
					}
					count(&rep.Imports, &rep.Skipped, &rep.Failed, err)
				case state.DueJob:
					if s.Jobs == nil {
						err = errSkip
						count(&rep.Jobs, &rep.Skipped, &rep.Failed, err)
						break
					}
					more, jerr := s.Jobs.Run(ctx, it.JobID, deadline)
					if err = jerr; more && err == nil {
						rep.More = true
						s.Log.InfoContext(ctx, "sweep stopped at its time budget", "report", rep)
						return rep, nil
					}
					count(&rep.Jobs, &rep.Skipped, &rep.Failed, err)
				}
				if err != nil && !errors.Is(err, errSkip) {
					s.Log.WarnContext(ctx, "sweep item failed; the next run retries", "kind", string(kind), "member", it.MemberID, "error", err.Error())
				}
			}
			if next == nil {
				break
			}
			start = next
		}
	}
	// The migrations: once done, each costs a read of its marker a run.
	for _, mg := range []struct {
		name string
		step func(context.Context) (more bool, err error)
	}{
		{"counts backfill", func(ctx context.Context) (bool, error) { return s.Store.BackfillCounts(ctx, backfillStep) }},
		{"roles migration", func(ctx context.Context) (bool, error) { return s.MigrateRoles(ctx, rolesStep) }},
		{"portal clients' migration", func(ctx context.Context) (bool, error) { return s.MigratePortalClients(ctx, portalClientsStep) }},
	} {
		for {
			if s.clock().After(deadline) {
				rep.More = true
				return rep, nil
			}
			more, err := mg.step(ctx)
			if err != nil {
				s.Log.WarnContext(ctx, mg.name+" failed; the next run goes on", "error", err.Error())
				break
			}
			if !more {
				break
			}
		}
	}
	if s.MFA != nil {
		mr, err := s.MFA.Check(ctx)
		rep.MFA = mr
		if err != nil {
			s.Log.WarnContext(ctx, "operators' authenticator apps not checked; the next run retries", "error", err.Error())
		}
	}
	s.Log.InfoContext(ctx, "sweep done", "resent", rep.Resent, "reminded", rep.Reminded, "expired", rep.Expired,
		"identitiesSynced", rep.Synced, "portalsSynced", rep.Portals, "jobsFinished", rep.Jobs, "mfaLapsed", rep.MFA.Lapsed, "accessEnded", rep.AccessEnded, "accessReminded", rep.AccessReminded, "skipped", rep.Skipped, "failed", rep.Failed)
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

// pending reads the member of a due item: errSkip unless it is still
// unconfirmed with a pending invitation.
func (s *Sweeper) pending(ctx context.Context, it state.Due) (domain.Member, error) {
	m, err := s.Store.Member(ctx, it.Scope, it.MemberID)
	if errors.Is(err, state.ErrNotFound) {
		return m, errSkip
	}
	if err != nil {
		return m, err
	}
	if m.Status != domain.StatusUnconfirmed || m.Invitation == nil || m.Invitation.State != domain.InvitationPending {
		return m, errSkip
	}
	return m, nil
}

// remind sends the one reminder of a pending invitation, with a fresh link
// (the earlier one dies) and the same expiry.
func (s *Sweeper) remind(ctx context.Context, it state.Due, now time.Time) error {
	m, err := s.pending(ctx, it)
	if err != nil {
		return err
	}
	inv := m.Invitation
	if inv.RemindAt == nil || inv.ReminderSentAt != nil || inv.RemindAt.After(now) {
		return errSkip
	}
	if !inv.ExpiresAt.After(now) {
		return errExpiredFirst
	}
	return s.sendReminder(ctx, m, now)
}

// sendReminder sends the reminder of m, whose invitation is pending and
// whose reminder is due.
func (s *Sweeper) sendReminder(ctx context.Context, m domain.Member, now time.Time) error {
	inv := m.Invitation
	where, err := s.where(ctx, m.Scope())
	if err != nil {
		return err
	}
	token, hash := domain.NewToken()
	after := m
	ni := *inv
	ni.TokenHash, ni.ReminderSentAt, ni.Delivery, ni.AttemptedAt, ni.Resends = hash, &now, domain.DeliveryPending, &now, 0
	after.Invitation, after.Version, after.UpdatedAt = &ni, m.Version+1, now
	ch := state.MemberChange{
		Before: m, After: &after, Now: now, NewToken: true, RevokeToken: inv.TokenHash,
		Event: domain.NewEvent(now, domain.SystemActor, domain.Action(m.Kind(), domain.ActionReminded), domain.TargetOf(&m), m.Scope()),
	}
	if err := s.Store.ChangeMember(ctx, ch); err != nil {
		if errors.Is(err, state.ErrStale) || errors.Is(err, state.ErrClaimHeld) {
			return errSkip
		}
		return err
	}
	if s.Mailer.Send(ctx, &after, token, mail.KindReminder, where) == domain.DeliveryFailed {
		// Put it back among the reminders due: the next run tries again.
		if err := s.Store.ReminderFailed(ctx, m.Scope(), m.ID, hash, *inv.RemindAt); err != nil {
			return err
		}
		return errors.New("the reminder e-mail was not sent; the next run tries again")
	}
	return nil
}

// where is what an invitation e-mail of the scope says about where it
// invites to; errSkip while its customer is being offboarded (that revokes
// the invitation).
func (s *Sweeper) where(ctx context.Context, sc domain.Scope) (delivery.Where, error) {
	where := delivery.Where{Scope: sc}
	if !sc.IsProvider() {
		cu, _, err := s.Store.CustomerWithPortals(ctx, sc.CustomerID)
		if err != nil {
			return where, err
		}
		if cu.Offboarding() {
			return where, errSkip
		}
		where.Customer = &cu
	}
	return where, nil
}

// resend finishes an invitation e-mail that was committed and never
// recorded: a crash between the commit and the send, or a send whose
// outcome stayed unknown (and may not have gone). It is due once the send
// lease has passed, so a send that is merely slow is left to finish. Only
// the hash of the committed token is kept, and that token may never have
// reached anyone, so a fresh link replaces it (the old one dies), as a
// re-invite's does, and goes out in the e-mail that was due (the
// invitation, or its reminder), recorded as the request would have; the
// expiry and the reminder stay. When the reminder is due by now, the
// reminder goes instead (one e-mail, not two): reminded says so. After
// state.MaxResends tries whose outcome stayed unknown (a mail service that
// keeps losing its answers may be sending each one), it is left to its
// reminder and expiry.
func (s *Sweeper) resend(ctx context.Context, it state.Due, now time.Time) (reminded bool, err error) {
	m, err := s.pending(ctx, it)
	if err != nil {
		return false, err
	}
	inv := m.Invitation
	if inv.Delivery != domain.DeliveryPending || inv.AttemptedAt == nil || delivery.UnderWay(inv, now) || inv.Resends >= state.MaxResends {
		return false, errSkip // recorded meanwhile, still under way, or sent again often enough
	}
	if !inv.ExpiresAt.After(now) {
		return false, errExpiredFirst
	}
	if inv.RemindAt != nil && inv.ReminderSentAt == nil && !inv.RemindAt.After(now) {
		return true, s.sendReminder(ctx, m, now)
	}
	where, err := s.where(ctx, m.Scope())
	if err != nil {
		return false, err
	}
	kind, action := mail.KindInvitation, domain.ActionReinvited
	if inv.ReminderSentAt != nil && inv.RemindAt != nil {
		kind, action = mail.KindReminder, domain.ActionReminded // the reminder's e-mail is the one due
	}
	token, hash := domain.NewToken()
	after := m
	ni := *inv
	ni.TokenHash, ni.AttemptedAt, ni.Resends = hash, &now, inv.Resends+1
	after.Invitation, after.Version, after.UpdatedAt = &ni, m.Version+1, now
	ch := state.MemberChange{
		Before: m, After: &after, Now: now, NewToken: true, RevokeToken: inv.TokenHash,
		Event: domain.NewEvent(now, domain.SystemActor, domain.Action(m.Kind(), action), domain.TargetOf(&m), m.Scope()),
	}
	if err := s.Store.ChangeMember(ctx, ch); err != nil {
		if errors.Is(err, state.ErrStale) || errors.Is(err, state.ErrClaimHeld) {
			return false, errSkip // changed meanwhile, or being accepted: its link did arrive
		}
		return false, err
	}
	switch s.Mailer.Send(ctx, &after, token, kind, where) {
	case domain.DeliveryFailed:
		if kind == mail.KindReminder {
			// As a failed reminder: due again among the reminders.
			if err := s.Store.ReminderFailed(ctx, m.Scope(), m.ID, hash, *inv.RemindAt); err != nil {
				return false, err
			}
		}
		// An invitation's failure is recorded (delivery "failed"): a
		// re-invite sends again, as after a request's own failed send.
		return false, errors.New("the invitation e-mail was not sent again")
	}
	return false, nil
}

// expire marks a pending invitation expired and spends its token; the member
// stays unconfirmed until re-invited or deleted.
func (s *Sweeper) expire(ctx context.Context, it state.Due, now time.Time) error {
	m, err := s.pending(ctx, it)
	if err != nil {
		return err
	}
	inv := m.Invitation
	if inv.ExpiresAt.After(now) {
		return errSkip
	}
	after := m
	ni := *inv
	ni.State = domain.InvitationExpired
	after.Invitation, after.Version, after.UpdatedAt = &ni, m.Version+1, now
	ch := state.MemberChange{
		Before: m, After: &after, Now: now, RevokeToken: inv.TokenHash,
		Event: domain.NewEvent(now, domain.SystemActor, domain.Action(m.Kind(), domain.ActionExpired), domain.TargetOf(&m), m.Scope()),
	}
	if err := s.Store.ChangeMember(ctx, ch); err != nil {
		if errors.Is(err, state.ErrStale) || errors.Is(err, state.ErrClaimHeld) {
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
func (s *Sweeper) settlePending(ctx context.Context, email string, now time.Time) error {
	markers, err := s.Store.PendingIdentities(ctx, email)
	if err != nil {
		return err
	}
	for _, pm := range markers {
		if pm.Due.After(now) {
			return errSkip // an accept of this e-mail may still be running; later
		}
	}
	id, found, err := s.Identities.Lookup(ctx, email)
	if err != nil {
		return err
	}
	if found {
		ms, err := s.Store.Memberships(ctx, id.Sub)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			// Under the lease on deleting it: an accept of the e-mail
			// that began since, and found this identity, cannot link it.
			if _, err := s.Sync.Retire(ctx, id.Sub); err != nil {
				return err
			}
		}
	}
	for _, pm := range markers {
		if err := s.Store.ClearPending(ctx, email, pm.Claim); err != nil {
			return err
		}
	}
	return nil
}
