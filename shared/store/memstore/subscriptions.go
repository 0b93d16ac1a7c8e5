package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// ChangeSubscription writes the creation, change or deletion of a webhook
// subscription, the customer's count of them and the audit event, or
// nothing.
func (s *Store) ChangeSubscription(ctx context.Context, ch state.SubscriptionChange) error {
	return changeProfile(s, ctx, "ChangeSubscription", s.subscriptions, domain.MaxSubscriptions,
		func(c *domain.Customer) *int { return &c.SubscriptionCount }, ch, cloneSubscription)
}

// Subscriptions reads every webhook subscription of a customer, oldest first.
func (s *Store) Subscriptions(ctx context.Context, customerID string) ([]domain.Subscription, error) {
	if err := s.read(ctx, "Subscriptions"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return sortedRecords(s.subscriptions[customerID], cloneSubscription), nil
}

func cloneSubscription(w domain.Subscription) domain.Subscription {
	w.Types = slices.Clone(w.Types)
	w.CreatedAt, w.UpdatedAt = roundTrip(w.CreatedAt), roundTrip(w.UpdatedAt)
	for _, t := range []**time.Time{&w.PreviousUntil, &w.FailingSince} {
		if *t != nil {
			v := roundTrip(**t)
			*t = &v
		}
	}
	return w
}
