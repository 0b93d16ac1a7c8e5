package domain

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
