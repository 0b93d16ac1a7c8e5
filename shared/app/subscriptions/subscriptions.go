// Package subscriptions is the use cases of webhook subscriptions: a
// customer's endpoints and the event types each is sent (shared/events),
// their signing secrets (shared/webhooks), and what the deliveries report
// back. This is its store port; the routes that use it come next.
package subscriptions

import (
	"context"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Store is what the subscriptions' use cases read and write: a customer's
// subscriptions, each change with its audit event and the customer's count.
type Store interface {
	ChangeSubscription(ctx context.Context, ch state.SubscriptionChange) error
	Subscriptions(ctx context.Context, customerID string) ([]domain.Subscription, error)
}
