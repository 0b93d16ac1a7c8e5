package domain

import (
	"slices"
	"time"
)

// Actions on webhook subscriptions, on their customer's trail (or the
// provider's, for operator-wide ones).
const (
	ActionSubscriptionCreated = "subscription.created"
	ActionSubscriptionUpdated = "subscription.updated"
	ActionSubscriptionDeleted = "subscription.deleted"
	ActionSubscriptionRotated = "subscription.secret_rotated"
	// ActionSubscriptionPaused: the deliveries kept failing, so the system
	// paused the subscription.
	ActionSubscriptionPaused = "subscription.paused"
	TargetSubscription       = "subscription"
)

var subscriptionActions = []string{ActionSubscriptionCreated, ActionSubscriptionUpdated, ActionSubscriptionDeleted,
	ActionSubscriptionRotated, ActionSubscriptionPaused}

// PrefixSubscription is the id prefix of webhook subscriptions.
const PrefixSubscription = "whs"

// MaxSubscriptions is how many webhook subscriptions a customer may have.
const MaxSubscriptions = 10

// Subscription is a webhook subscription of a customer: an endpoint and
// the event types it is sent (none listed: every type of the customer).
// Its signing secret is kept sealed (shared/webhooks.Sealer): signing
// needs the secret itself, so it cannot be hashed. After a rotation the
// previous secret signs too, until PreviousUntil.
type Subscription struct {
	Record
	URL   string   `dynamodbav:"url"`
	Types []string `dynamodbav:"types"`
	// Paused: nothing is delivered. PausedReason says why when the system
	// paused it (the endpoint kept failing); empty when a person did.
	Paused       bool   `dynamodbav:"paused"`
	PausedReason string `dynamodbav:"pausedReason,omitempty"`
	// Secret and PreviousSecret are sealed.
	Secret         string     `dynamodbav:"secret"`
	PreviousSecret string     `dynamodbav:"previousSecret,omitempty"`
	PreviousUntil  *time.Time `dynamodbav:"previousUntil,omitempty"`
	// Failures counts the deliveries that failed in a row, since
	// FailingSince; a success clears both.
	Failures     int        `dynamodbav:"failures"`
	FailingSince *time.Time `dynamodbav:"failingSince,omitempty"`
}

// Wants reports whether the subscription is sent events of the type.
func (s Subscription) Wants(eventType string) bool {
	if s.Paused {
		return false
	}
	if len(s.Types) == 0 {
		return true
	}
	return slices.Contains(s.Types, eventType)
}

// Secrets are the sealed secrets that sign a delivery at the time: the
// current one, and the previous one during its grace period.
func (s Subscription) Secrets(at time.Time) []string {
	out := []string{s.Secret}
	if s.PreviousSecret != "" && s.PreviousUntil != nil && at.Before(*s.PreviousUntil) {
		out = append(out, s.PreviousSecret)
	}
	return out
}
