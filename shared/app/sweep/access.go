package sweep

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/mail"
	"github.com/portalaccess/portalaccess/shared/state"
)

// access works on a member whose access ends by itself: the reminder to its
// admins when it is due, then the end. The due index holds the member under
// the next of the two (see domain.Member.AccessDue), written in the same
// transactions as the member, so that this reads only what is due.
func (s *Sweeper) access(ctx context.Context, it state.Due, now time.Time, rep *Report) error {
	m, err := s.Store.Member(ctx, it.Scope, it.MemberID)
	if errors.Is(err, state.ErrNotFound) {
		return errSkip
	}
	if err != nil {
		return err
	}
	at, reminder, ok := m.AccessDue()
	if !ok || at.After(now) {
		return errSkip // changed meanwhile (extended, cleared, disabled): that stands
	}
	if !reminder || m.AccessEnded(now) { // a reminder that came too late is left out
		err := s.endAccess(ctx, m, now)
		count(&rep.AccessEnded, &rep.Skipped, &rep.Failed, err)
		return err
	}
	err = s.remindAccess(ctx, m, now)
	count(&rep.AccessReminded, &rep.Skipped, &rep.Failed, err)
	return err
}

// endAccess disables a member whose accessUntil has passed, audited as
// expired access, and brings its identity in line as a disable does
// (disabled, unless another membership keeps it enabled). A customer's last
// portal admin is disabled too (the date was set on purpose, and the
// provider's operators still manage the customer); the provider's last
// operator admin is not, since nobody could enable them again: that end
// waits, logged, until there is another operator admin.
func (s *Sweeper) endAccess(ctx context.Context, m domain.Member, now time.Time) error {
	after := m
	after.Status, after.Version, after.UpdatedAt = domain.StatusDisabled, m.Version+1, now
	after.AccessRemindAt = nil
	ch := state.MemberChange{
		Before: m, After: &after, Now: now, SyncIdentity: true,
		GuardLastAdmin: m.Scope().IsProvider(),
		Event:          domain.NewEvent(now, domain.SystemActor, domain.Action(m.Kind(), domain.ActionAccessExpired), domain.TargetOf(&m), m.Scope()),
	}
	if err := s.Store.ChangeMember(ctx, ch); err != nil {
		if errors.Is(err, state.ErrStale) {
			return errSkip
		}
		if errors.Is(err, state.ErrLastAdmin) {
			s.Log.WarnContext(ctx, "the access of the last operator admin has passed; it ends once there is another", "member", m.ID)
			return errSkip
		}
		return err
	}
	s.Sync.Sync(ctx, m.Sub, ch.Event.ID)
	return nil
}

// remindAccess tells the member's admins that its access ends soon, once:
// the reminder is committed first (audited, "sending"), the e-mails go out
// after, and only then is it marked sent. A run that dies between finds it
// "sending" (still due) and sends it again; a committed "sent" is never
// sent again, however many sweeps run.
func (s *Sweeper) remindAccess(ctx context.Context, m domain.Member, now time.Time) error {
	if m.AccessReminder != domain.AccessReminderSending {
		after := m
		after.AccessReminder, after.Version, after.UpdatedAt = domain.AccessReminderSending, m.Version+1, now
		ch := state.MemberChange{
			Before: m, After: &after, Now: now,
			Event: domain.NewEvent(now, domain.SystemActor, domain.Action(m.Kind(), domain.ActionAccessReminded), domain.TargetOf(&m), m.Scope()),
		}
		if err := s.Store.ChangeMember(ctx, ch); err != nil {
			if errors.Is(err, state.ErrStale) {
				return errSkip
			}
			return err
		}
		m = after
	}
	if err := s.sendAccessReminder(ctx, m); err != nil {
		return err // still "sending": the next run sends it
	}
	after := m
	after.AccessReminder, after.Version, after.UpdatedAt = domain.AccessReminderSent, m.Version+1, now
	err := s.Store.ChangeMember(ctx, state.MemberChange{Before: m, After: &after, Now: now, Unaudited: true,
		Event: domain.AuditEvent{ID: domain.NewID(domain.PrefixEvent)}})
	if errors.Is(err, state.ErrStale) {
		return nil // changed meanwhile (extended, say): the e-mail is out all the same
	}
	return err
}

// sendAccessReminder e-mails the admins of the member's scope: a
// customer's enabled portal admins (and the provider's operator admins
// when the member is the only one), or the provider's operator admins.
func (s *Sweeper) sendAccessReminder(ctx context.Context, m domain.Member) error {
	sc := m.Scope()
	base := mail.AccessEnding{Locale: domain.LocaleEN, Member: m.Name, MemberEmail: m.Email, Scope: mail.ScopeProvider, Until: *m.AccessUntil}
	if !sc.IsProvider() {
		cu, _, err := s.Store.CustomerWithPortals(ctx, sc.CustomerID)
		if err != nil {
			return err
		}
		if cu.Offboarding() {
			return nil
		}
		base.Locale, base.Customer, base.Scope = cu.Locale, cu.Name, mail.ScopeCustomer
	}
	to, err := s.admins(ctx, sc, m.ID)
	if err != nil {
		return err
	}
	if len(to) == 0 && !sc.IsProvider() {
		// Nobody else manages this customer's people: the provider's
		// operator admins hear of it.
		if to, err = s.admins(ctx, domain.ProviderScope, ""); err != nil {
			return err
		}
		base.Locale = domain.LocaleEN // the provider's staff read the console's language
	}
	if s.Mailer == nil || s.Mailer.Sender == nil {
		return errors.New("no mail sender")
	}
	var failed int
	for _, a := range to {
		msg := base
		msg.To, msg.Name = a.Email, a.Name
		if _, err := s.Mailer.Sender.Send(ctx, mail.RenderAccessEnding(msg)); err != nil && !errors.Is(err, mail.ErrOutcomeUnknown) {
			failed++
			s.Log.WarnContext(ctx, "access reminder not sent", "member", m.ID, "admin", a.ID, "error", err.Error())
		}
	}
	if failed > 0 && failed == len(to) {
		return fmt.Errorf("no access reminder of %s was sent", m.ID)
	}
	return nil
}

// admins are the enabled admins of a scope other than the member skip.
func (s *Sweeper) admins(ctx context.Context, sc domain.Scope, skip string) ([]domain.Member, error) {
	var out []domain.Member
	var start state.PageKey
	for {
		p, err := s.Store.ListMembers(ctx, sc, domain.StatusEnabled, "", sweepPage, start)
		if err != nil {
			return nil, err
		}
		for _, m := range p.Items {
			if m.CountsAsAdmin() && m.ID != skip {
				out = append(out, m)
			}
		}
		if p.Next == nil {
			return out, nil
		}
		start = p.Next
	}
}
