package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Message tags that every invitation e-mail carries, so that the mail
// service's reports about it find their invitation: the member's id and
// its scope (a customer's id, or TagProvider).
const (
	TagMember   = "member"
	TagScope    = "scope"
	TagProvider = "provider"
)

// Tags are the message tags of an invitation e-mail to m.
func Tags(m *domain.Member) map[string]string {
	sc := TagProvider
	if m.CustomerID != "" {
		sc = m.CustomerID
	}
	return map[string]string{TagMember: m.ID, TagScope: sc}
}

// SESEvent is the part of an Amazon SES event record (the "detail" of its
// EventBridge event, or an SNS notification's message) that feedback
// reads: https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html
type SESEvent struct {
	EventType string `json:"eventType"`
	Mail      struct {
		MessageID   string              `json:"messageId"`
		Destination []string            `json:"destination"`
		Tags        map[string][]string `json:"tags"`
	} `json:"mail"`
	Bounce *struct {
		BounceType        string `json:"bounceType"` // Permanent, Transient, Undetermined
		BounceSubType     string `json:"bounceSubType"`
		Timestamp         string `json:"timestamp"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint *struct {
		Timestamp             string `json:"timestamp"`
		ComplaintFeedbackType string `json:"complaintFeedbackType"`
		ComplainedRecipients  []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
	} `json:"complaint"`
	Delivery *struct {
		Timestamp    string   `json:"timestamp"`
		Recipients   []string `json:"recipients"`
		SMTPResponse string   `json:"smtpResponse"`
	} `json:"delivery"`
}

// FeedbackStore is what recording feedback reads and writes.
type FeedbackStore interface {
	Member(ctx context.Context, sc domain.Scope, id string) (domain.Member, error)
	RecordFeedback(ctx context.Context, f state.Feedback) error
}

// Feedback records on invitations what the mail service reports.
type Feedback struct {
	Store FeedbackStore
	Log   *slog.Logger
	Now   func() time.Time
}

// ErrNotYet: the report came before the send was recorded; the event is
// to be delivered again (EventBridge's retries), when it will be.
var ErrNotYet = errs.New(errs.Transient, "send_not_yet_recorded")

// ErrBadEvent: the event is not an SES event record.
var ErrBadEvent = errs.New(errs.Invalid, "not_an_ses_event")

// maxReason is how much of what the mail service said is kept.
const maxReason = 300

// report is one recipient's outcome read from an event.
type report struct {
	email         string
	outcome       domain.Delivery
	at            time.Time
	reason        string
	undeliverable bool
}

// reports reads an event's outcomes, one a recipient; events of other
// types (send, reject, delay, open, click) say nothing feedback records.
func (f *Feedback) reports(ev SESEvent) []report {
	when := func(s string) time.Time {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC()
		}
		return f.Now().UTC()
	}
	var out []report
	switch {
	case strings.EqualFold(ev.EventType, "Delivery") && ev.Delivery != nil:
		for _, to := range ev.Delivery.Recipients {
			out = append(out, report{email: to, outcome: domain.DeliveryDelivered, at: when(ev.Delivery.Timestamp), reason: ev.Delivery.SMTPResponse})
		}
	case strings.EqualFold(ev.EventType, "Bounce") && ev.Bounce != nil:
		hard := ev.Bounce.BounceType == "Permanent"
		for _, r := range ev.Bounce.BouncedRecipients {
			reason := r.DiagnosticCode
			if reason == "" {
				reason = ev.Bounce.BounceType + " (" + ev.Bounce.BounceSubType + ")"
			}
			out = append(out, report{email: r.EmailAddress, outcome: domain.DeliveryBounced, at: when(ev.Bounce.Timestamp), reason: reason, undeliverable: hard})
		}
	case strings.EqualFold(ev.EventType, "Complaint") && ev.Complaint != nil:
		for _, r := range ev.Complaint.ComplainedRecipients {
			reason := "marked as spam"
			if t := ev.Complaint.ComplaintFeedbackType; t != "" {
				reason += " (" + t + ")"
			}
			out = append(out, report{email: r.EmailAddress, outcome: domain.DeliveryComplained, at: when(ev.Complaint.Timestamp), reason: reason, undeliverable: true})
		}
	}
	return out
}

// RecordJSON records an SES event record given as JSON.
func (f *Feedback) RecordJSON(ctx context.Context, raw []byte) error {
	var ev SESEvent
	if err := json.Unmarshal(raw, &ev); err != nil || ev.EventType == "" {
		return ErrBadEvent.In("delivery.Feedback", err)
	}
	return f.Record(ctx, ev)
}

// Record records an event's outcomes on the invitation its tags name. A
// report about an e-mail the product did not tag, a member that is gone, or
// an address the member no longer has is dropped: it is about nothing
// anyone can act on. Precedence: a report never undoes a hard bounce or a
// complaint by a later "delivered"; a complaint after a delivery stands.
func (f *Feedback) Record(ctx context.Context, ev SESEvent) error {
	tag := func(k string) string {
		if v := ev.Mail.Tags[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	memberID, scopeTag := tag(TagMember), tag(TagScope)
	if memberID == "" || scopeTag == "" {
		return nil
	}
	sc := domain.Scope{}
	if scopeTag != TagProvider {
		sc = domain.CustomerScope(scopeTag)
	}
	var errList []error
	for _, r := range f.reports(ev) {
		if err := f.record(ctx, sc, memberID, r); err != nil {
			errList = append(errList, err)
		}
	}
	return errors.Join(errList...)
}

func (f *Feedback) record(ctx context.Context, sc domain.Scope, memberID string, r report) error {
	email, bad := domain.NormalizeEmail(r.email)
	if bad != "" {
		return nil
	}
	if len(r.reason) > maxReason {
		r.reason = r.reason[:maxReason]
	}
	for attempt := 0; attempt < 3; attempt++ {
		m, err := f.Store.Member(ctx, sc, memberID)
		if errors.Is(err, state.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		inv := m.Invitation
		if m.Email != email || m.Status != domain.StatusUnconfirmed || inv == nil || inv.State != domain.InvitationPending {
			return nil
		}
		if inv.Delivery == domain.DeliveryPending {
			return ErrNotYet
		}
		if inv.Undeliverable && !r.undeliverable {
			return nil
		}
		err = f.Store.RecordFeedback(ctx, state.Feedback{
			Scope: sc, MemberID: m.ID, Email: email, Outcome: r.outcome, At: r.at, Reason: r.reason,
			Undeliverable: r.undeliverable || inv.Undeliverable,
			TokenHash:     inv.TokenHash, Prior: inv.Delivery, ExpiresAt: inv.ExpiresAt,
		})
		if !errors.Is(err, state.ErrConcurrent) {
			if err == nil {
				f.Log.InfoContext(ctx, "delivery feedback recorded", "member", m.ID, "customer", m.CustomerID, "delivery", string(r.outcome), "undeliverable", r.undeliverable)
			}
			return err
		}
	}
	return ErrNotYet
}
