package store

import (
	"context"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Webhook subscriptions live in their customer's partition, counted on the
// customer's item like its profile's records:
//
//	C#<customer>   WH#<subscription>   a webhook subscription (its secrets sealed)
//
// An offboarding removes them with the rest of the partition.
const skSubscriptionPre = "WH#"

const typeSubscription = "webhook_subscription"

type subscriptionItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Type string `dynamodbav:"type"`
	domain.Subscription
}

var subscriptions = profileKind{prefix: skSubscriptionPre, count: "subscriptionCount", max: domain.MaxSubscriptions}

// ChangeSubscription writes the creation, change or deletion of a webhook
// subscription, the customer's count of them and the audit event, or
// nothing.
func (s *Store) ChangeSubscription(ctx context.Context, ch state.SubscriptionChange) error {
	return changeProfile(ctx, s, subscriptions, ch, func(w domain.Subscription) any {
		return subscriptionItem{PK: customerPK(w.CustomerID), SK: skSubscriptionPre + w.ID, Type: typeSubscription, Subscription: w}
	})
}

// Subscriptions reads every webhook subscription of a customer, oldest
// first, with one strongly consistent Query.
func (s *Store) Subscriptions(ctx context.Context, customerID string) ([]domain.Subscription, error) {
	return readProfile(ctx, s, customerID, skSubscriptionPre, func(it *subscriptionItem) domain.Subscription { return it.Subscription })
}
