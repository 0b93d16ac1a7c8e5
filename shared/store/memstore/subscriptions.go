package memstore

import (
	"context"
	"slices"
	"strconv"
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

// RecordWebhookDelivery writes an attempt to the delivery log and the run of
// failures on the subscription, without a new version; ErrNotFound when
// the subscription is gone.
func (s *Store) RecordWebhookDelivery(ctx context.Context, d domain.WebhookDelivery) error {
	if err := s.write(ctx, "RecordWebhookDelivery"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	w, ok := s.subscriptions[d.CustomerID][d.SubscriptionID]
	if !ok {
		return state.ErrNotFound
	}
	d.At = roundTrip(d.At)
	if d.NextRetry != nil {
		v := roundTrip(*d.NextRetry)
		d.NextRetry = &v
	}
	if d.OK {
		w.Failures, w.FailingSince = 0, nil
	} else {
		w.Failures++
		if w.FailingSince == nil {
			at := d.At
			w.FailingSince = &at
		}
	}
	s.subscriptions[d.CustomerID][d.SubscriptionID] = w
	s.deliveries[d.SubscriptionID] = append(s.deliveries[d.SubscriptionID], d)
	return nil
}

// WebhookDeliveries pages through a subscription's delivery log, newest first.
func (s *Store) WebhookDeliveries(ctx context.Context, customerID, subscriptionID string, limit int32, start state.PageKey) (state.Page[domain.WebhookDelivery], error) {
	var out state.Page[domain.WebhookDelivery]
	if err := s.read(ctx, "WebhookDeliveries"); err != nil {
		return out, err
	}
	defer s.mu.Unlock()
	var all []domain.WebhookDelivery
	for _, d := range s.deliveries[subscriptionID] {
		if d.CustomerID == customerID {
			all = append(all, d)
		}
	}
	slices.Reverse(all)
	from := 0
	if n, ok := start["n"]; ok {
		from, _ = strconv.Atoi(n)
	}
	from = min(from, len(all))
	to := min(from+int(limit), len(all))
	out.Items = slices.Clone(all[from:to])
	if to < len(all) {
		out.Next = state.PageKey{"n": strconv.Itoa(to)}
	}
	return out, nil
}
