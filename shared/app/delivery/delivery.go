// Package delivery makes invitations and sends their e-mails: a fresh token
// and expiry for a member, the e-mail in the scope's locale, and the
// outcome recorded on the invitation. A failed send never loses the member:
// it shows as delivery "failed" and a re-invite sends again.
package delivery

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/mail"
	"github.com/portalaccess/portalaccess/shared/state"
)

// SendLease is how long a send, once handed to the mail service, is taken
// to be under way: a retry inside it does not send again, and neither does
// the sweep (state.DueResend).
const SendLease = state.SendLease

// Store is what recording a delivery writes.
type Store interface {
	RecordDelivery(ctx context.Context, d state.Delivery) error
}

// Config are the settings of invitations.
type Config struct {
	// PortalURL is where invitation links point, from configuration only.
	PortalURL string
	// TTL is how long an invitation may be used.
	TTL time.Duration
	// Reminder is how long before expiry the reminder goes out; 0 is none.
	Reminder time.Duration
}

// Mailer sends invitations.
type Mailer struct {
	Store  Store
	Sender mail.Sender
	Config Config
	Log    *slog.Logger
	Now    func() time.Time
}

// Where is what an invitation e-mail says about where it invites to.
type Where struct {
	Scope    domain.Scope
	Customer *domain.Customer // nil for the provider scope
}

func (w Where) locale() string {
	if w.Customer != nil {
		return w.Customer.Locale
	}
	return domain.LocaleEN
}

// NewInvitation makes a pending invitation sent by invitedBy, and its token:
// it expires after the TTL, and a reminder is due Reminder before that,
// unless that would be less than Reminder after it was sent.
func (ml *Mailer) NewInvitation(now time.Time, invitedBy string) (domain.Invitation, string) {
	return ml.newInvitation(now, invitedBy, ml.Config.TTL)
}

// NewInvitationIn is NewInvitation in a scope: a customer's own invitation
// lifetime (its policy) stands in for the TTL.
func (ml *Mailer) NewInvitationIn(now time.Time, invitedBy string, w Where) (domain.Invitation, string) {
	ttl := ml.Config.TTL
	if w.Customer != nil {
		ttl = w.Customer.Policy.Lifetime(ttl)
	}
	return ml.newInvitation(now, invitedBy, ttl)
}

func (ml *Mailer) newInvitation(now time.Time, invitedBy string, ttl time.Duration) (domain.Invitation, string) {
	token, hash := domain.NewToken()
	exp := now.Add(ttl)
	inv := domain.Invitation{
		State: domain.InvitationPending, TokenHash: hash, ExpiresAt: exp,
		Delivery: domain.DeliveryPending, AttemptedAt: &now, InvitedBy: invitedBy,
	}
	if r := ml.Config.Reminder; r > 0 {
		at := exp.Add(-r)
		if at.Sub(now) >= r {
			inv.RemindAt = &at
		}
	}
	return inv, token
}

// UnderWay reports whether an e-mail of the invitation was handed to the
// mail service so recently that it may still be on its way.
func UnderWay(inv *domain.Invitation, now time.Time) bool {
	return inv.Delivery == domain.DeliveryPending && inv.AttemptedAt != nil && now.Sub(*inv.AttemptedAt) < SendLease
}

// NeedsResend reports whether a retried invite should send again: its
// invitation is pending, and its last e-mail failed, or was never confirmed
// and is no longer under way.
func NeedsResend(m *domain.Member, now time.Time) bool {
	inv := m.Invitation
	return m.Status == domain.StatusUnconfirmed && inv != nil && inv.State == domain.InvitationPending &&
		(inv.Delivery == domain.DeliveryFailed || (inv.Delivery == domain.DeliveryPending && !UnderWay(inv, now)))
}

// Send sends the invitation e-mail of m, whose token is given, and records
// the outcome on the invitation (m's copy too). It returns the outcome.
func (ml *Mailer) Send(ctx context.Context, m *domain.Member, token string, kind mail.Kind, w Where) domain.Delivery {
	inv := m.Invitation
	msg := mail.Invitation{
		Kind: kind, Locale: w.locale(), To: m.Email, Name: m.Name,
		Scope: mail.ScopeProvider, InvitedBy: inv.InvitedBy, ExpiresAt: inv.ExpiresAt,
		PortalURL: ml.Config.PortalURL, Token: token,
	}
	if w.Customer != nil {
		msg.Customer, msg.Scope = w.Customer.Name, mail.ScopeCustomer
	}
	rendered, err := mail.Render(msg)
	rendered.Tags = Tags(m)
	outcome := domain.DeliverySent
	if err == nil {
		_, err = ml.Sender.Send(ctx, rendered)
	}
	if errors.Is(err, mail.ErrOutcomeUnknown) {
		// It may have gone out: the invitation stays "pending" (sending), and
		// nothing sends it again until the send lease has passed.
		ml.Log.WarnContext(ctx, "invitation e-mail outcome unknown", "member", m.ID, "customer", m.CustomerID, "error", err.Error())
		return domain.DeliveryPending
	}
	if err != nil {
		ml.Log.ErrorContext(ctx, "invitation e-mail not sent", "member", m.ID, "customer", m.CustomerID, "kind", string(kind), "error", err.Error())
		if kind == mail.KindReminder {
			return domain.DeliveryFailed // the sweep records it and queues the reminder again
		}
		outcome = domain.DeliveryFailed
	}
	now := ml.Now()
	// Recording is retried here: the e-mail is out, and a record left at
	// "pending" would make a later retry unsure whether it went.
	rec := state.Delivery{Scope: m.Scope(), MemberID: m.ID, TokenHash: inv.TokenHash, Outcome: outcome, At: now, SendCount: inv.SendCount + 1}
	rec.ExpiresAt = inv.ExpiresAt
	if inv.ReminderSentAt == nil {
		rec.RemindAt = inv.RemindAt
	}
	var recErr error
	for attempt := 0; attempt < 3; attempt++ {
		if recErr = ml.Store.RecordDelivery(ctx, rec); recErr == nil {
			break
		}
	}
	if recErr != nil {
		ml.Log.ErrorContext(ctx, "delivery not recorded", "member", m.ID, "error", recErr.Error())
	}
	inv.Delivery = outcome
	if outcome == domain.DeliverySent {
		inv.LastSentAt = &now
		inv.SendCount++
	}
	return outcome
}
