// Package subscriptions is the use cases of webhook subscriptions: a
// customer's endpoints and the event types each is sent (shared/events),
// their signing secrets (shared/webhooks), and what the deliveries report
// back (deliver.go). Operator admins manage any customer's; a customer's
// portal admins their own customer's. Every change is versioned and on the
// customer's trail; a secret is answered once, when it is made.
package subscriptions

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/check"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/events"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/webhooks"
)

// Store is what the subscriptions' use cases read and write: a customer's
// subscriptions, each change with its audit event and the customer's count,
// and their delivery logs.
type Store interface {
	Customer(ctx context.Context, id string) (domain.Customer, error)
	ChangeSubscription(ctx context.Context, ch state.SubscriptionChange) error
	Subscriptions(ctx context.Context, customerID string) ([]domain.Subscription, error)
	RecordWebhookDelivery(ctx context.Context, d domain.WebhookDelivery) error
	WebhookDeliveries(ctx context.Context, customerID, subscriptionID string, limit int32, start state.PageKey) (state.Page[domain.WebhookDelivery], error)
	idem.Store // the records of idempotency keys, for idem.Look
}

// Grace is how long a rotated-out secret keeps signing beside the new one.
const Grace = 24 * time.Hour

// MaxDescription is the longest description, in characters.
const MaxDescription = 200

// ErrEmpty: a change that names nothing to change.
var ErrEmpty = errs.Fields(errs.F("body", "empty"))

// ErrNoSealer: the function was started without the webhooks' key.
var ErrNoSealer = errors.New("subscriptions: no sealing key (WEBHOOK_KEY)")

// Service serves webhook subscriptions.
type Service struct {
	Store  Store
	Sealer *webhooks.Sealer
	// Local lets a subscription post to http://localhost and loopback
	// addresses (the local stack's sample receiver); never on AWS.
	Local bool
	Now   func() time.Time
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// Input is a subscription, or a change of one, as the caller gives it:
// unchecked; a nil field is left as it is. Types empty means every type.
type Input struct {
	URL         *string
	Types       *[]string
	Description *string
	Paused      *bool
}

func (in Input) empty() bool {
	return in.URL == nil && in.Types == nil && in.Description == nil && in.Paused == nil
}

// check checks the given fields into w.
func (s *Service) check(in Input, w *domain.Subscription) error {
	var fs check.Fields
	check.Given(&fs, "url", in.URL, func(u string) (string, string) { return domain.CleanWebhookURL(u, s.Local) }, &w.URL)
	if in.Types != nil {
		known := events.Types()
		types := []string{}
		for _, t := range *in.Types {
			if !slices.Contains(known, t) {
				fs.Refuse("eventTypes", "unknown_event_type")
				break
			}
			if !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
		slices.Sort(types)
		w.Types = types
	}
	// "" removes the description.
	check.Given(&fs, "description", in.Description, func(d string) (string, string) {
		if d == "" {
			return "", ""
		}
		return domain.CleanText(d, MaxDescription)
	}, &w.Description)
	return fs.Err()
}

// allowed checks the caller and that the customer exists.
func (s *Service) allowed(ctx context.Context, c *access.Caller, customerID string) error {
	if err := c.RequireWebhookManager(customerID); err != nil {
		return err
	}
	return c.CustomerExists(ctx, customerID, s.Store.Customer)
}

// target names a subscription in the audit trail and its events by its
// id and its URL's origin only: a URL's path or query may carry the
// receiver's secret (chat hooks do), and the trail is read by more people
// (technicians, every other subscription) than may read the webhook.
func target(w domain.Subscription) domain.Target {
	name := ""
	if u, err := url.Parse(w.URL); err == nil {
		name = u.Scheme + "://" + u.Host
	}
	return domain.Target{Kind: domain.TargetSubscription, ID: w.ID, Name: &name}
}

// List answers a customer's subscriptions, oldest first, without secrets.
func (s *Service) List(ctx context.Context, c *access.Caller, customerID string) ([]domain.Subscription, error) {
	const op = "subscriptions.List"
	if err := s.allowed(ctx, c, customerID); err != nil {
		return nil, errs.Wrap(op, err)
	}
	ws, err := s.Store.Subscriptions(ctx, customerID)
	return ws, errs.Wrap(op, err)
}

// Get answers one subscription, without secrets.
func (s *Service) Get(ctx context.Context, c *access.Caller, customerID, id string) (domain.Subscription, error) {
	const op = "subscriptions.Get"
	if err := c.RequireWebhookManager(customerID); err != nil {
		return domain.Subscription{}, errs.Wrap(op, err)
	}
	w, err := s.one(ctx, customerID, id)
	return w, errs.Wrap(op, err)
}

func (s *Service) one(ctx context.Context, customerID, id string) (domain.Subscription, error) {
	if !domain.ValidID(domain.PrefixSubscription, id) {
		return domain.Subscription{}, state.ErrNotFound
	}
	ws, err := s.Store.Subscriptions(ctx, customerID)
	if err != nil {
		return domain.Subscription{}, err
	}
	for _, w := range ws {
		if w.ID == id {
			return w, nil
		}
	}
	return domain.Subscription{}, state.ErrNotFound
}

// Create adds a subscription and answers it with its secret, the one time
// the secret is shown. URL is required; no types is every type. With an
// idempotency key, a retry answers the subscription the first attempt made,
// with its secret.
func (s *Service) Create(ctx context.Context, c *access.Caller, customerID string, in Input, key *idem.Key) (domain.Subscription, string, error) {
	const op = "subscriptions.Create"
	if err := c.RequireWebhookManager(customerID); err != nil {
		return domain.Subscription{}, "", errs.Wrap(op, err)
	}
	if s.Sealer == nil {
		return domain.Subscription{}, "", errs.Wrap(op, ErrNoSealer)
	}
	now := s.now()
	w := domain.Subscription{Record: domain.NewRecord(domain.PrefixSubscription, customerID, now), Types: []string{}}
	if in.URL == nil {
		in.URL = new(string)
	}
	if in.Paused != nil {
		return w, "", errs.Fields(errs.F("paused", "not_allowed"))
	}
	if err := s.check(in, &w); err != nil {
		return domain.Subscription{}, "", err
	}
	key, err := idem.Look(ctx, s.Store, key, now)
	if err != nil {
		return domain.Subscription{}, "", errs.Wrap(op, err)
	}
	if ref := key.PriorRef(); ref != "" {
		return s.again(ctx, customerID, ref)
	}
	secret := webhooks.NewSecret()
	w.Secret = s.Sealer.Seal(w.ID, secret)
	x := c.ActingExtras(customerID)
	x.Idempotency = key.Record(w.ID, now)
	sc := domain.CustomerScope(customerID)
	err = s.Store.ChangeSubscription(ctx, state.SubscriptionChange{After: &w, Extras: x,
		Event: domain.NewEvent(now, c.ActorIn(sc), domain.ActionSubscriptionCreated, target(w), sc)})
	if err != nil {
		ref, err := idem.LostRace(ctx, s.Store, key, err, now)
		if err != nil {
			return domain.Subscription{}, "", errs.Wrap(op, err)
		}
		return s.again(ctx, customerID, ref)
	}
	return w, secret, nil
}

// current reads a subscription to change it: as stale when the caller
// read another version (want, when not 0).
func (s *Service) current(ctx context.Context, customerID, id string, want int) (domain.Subscription, error) {
	w, err := s.one(ctx, customerID, id)
	if err == nil && want > 0 && w.Version != want {
		err = state.ErrStale
	}
	return w, err
}

// again answers the subscription a first attempt made, and its secret.
func (s *Service) again(ctx context.Context, customerID, id string) (domain.Subscription, string, error) {
	w, err := s.one(ctx, customerID, id)
	if err != nil {
		return w, "", errs.Wrap("subscriptions.Create", err)
	}
	secret, err := s.Sealer.Open(w.ID, w.Secret)
	return w, secret, errs.Wrap("subscriptions.Create", err)
}

// change writes after, a new version of w, with the action's event.
func (s *Service) change(ctx context.Context, c *access.Caller, w, after domain.Subscription, action string, x state.Extras, now time.Time) (domain.Subscription, error) {
	after.Version, after.UpdatedAt = w.Version+1, now
	sc := domain.CustomerScope(w.CustomerID)
	actor := domain.SystemActor
	if c != nil {
		actor = c.ActorIn(sc)
	}
	err := s.Store.ChangeSubscription(ctx, state.SubscriptionChange{Before: &w, After: &after, Extras: x,
		Event: domain.NewEvent(now, actor, action, target(after), sc)})
	return after, err
}

// Update changes a subscription's URL, types, description, or pauses or
// resumes it (Paused); want, when not 0, is the version the caller read. A
// resume starts the run of failures afresh, and what was held back while it
// was paused goes out.
func (s *Service) Update(ctx context.Context, c *access.Caller, customerID, id string, in Input, want int) (domain.Subscription, error) {
	const op = "subscriptions.Update"
	if err := c.RequireWebhookManager(customerID); err != nil {
		return domain.Subscription{}, errs.Wrap(op, err)
	}
	if in.empty() {
		return domain.Subscription{}, ErrEmpty
	}
	var w, after domain.Subscription
	err := state.Unpinned(want, func() error {
		var err error
		if w, err = s.current(ctx, customerID, id, want); err != nil {
			return err
		}
		after = w
		after.Types = slices.Clone(w.Types)
		if err := s.check(in, &after); err != nil {
			return err
		}
		if in.Paused != nil && *in.Paused != w.Paused {
			after.Paused, after.PausedReason = *in.Paused, ""
			if !after.Paused {
				after.Failures, after.FailingSince = 0, nil
			}
		}
		if after.URL == w.URL && slices.Equal(after.Types, w.Types) && after.Description == w.Description && after.Paused == w.Paused {
			after = w
			return nil
		}
		after, err = s.change(ctx, c, w, after, domain.ActionSubscriptionUpdated, c.ActingExtras(customerID), s.now())
		return err
	})
	if err != nil {
		return w, errs.Wrap(op, err)
	}
	return after, nil
}

// Delete removes a subscription; want, when not 0, is the version the
// caller read. Nothing more is delivered to it.
func (s *Service) Delete(ctx context.Context, c *access.Caller, customerID, id string, want int) error {
	const op = "subscriptions.Delete"
	if err := c.RequireWebhookManager(customerID); err != nil {
		return errs.Wrap(op, err)
	}
	return errs.Wrap(op, state.Unpinned(want, func() error {
		w, err := s.current(ctx, customerID, id, want)
		if err != nil {
			return err
		}
		sc := domain.CustomerScope(customerID)
		return s.Store.ChangeSubscription(ctx, state.SubscriptionChange{Before: &w, Extras: c.ActingExtras(customerID),
			Event: domain.NewEvent(s.now(), c.ActorIn(sc), domain.ActionSubscriptionDeleted, target(w), sc)})
	}))
}

// Rotate gives a subscription a new secret and answers it, the one time it
// is shown; the one it replaces keeps signing beside it for Grace (a
// delivery carries both signatures), so that the receiver can switch over.
func (s *Service) Rotate(ctx context.Context, c *access.Caller, customerID, id string, want int) (domain.Subscription, string, error) {
	const op = "subscriptions.Rotate"
	if err := c.RequireWebhookManager(customerID); err != nil {
		return domain.Subscription{}, "", errs.Wrap(op, err)
	}
	if s.Sealer == nil {
		return domain.Subscription{}, "", errs.Wrap(op, ErrNoSealer)
	}
	var w, after domain.Subscription
	var secret string
	err := state.Unpinned(want, func() error {
		var err error
		if w, err = s.current(ctx, customerID, id, want); err != nil {
			return err
		}
		now := s.now()
		secret = webhooks.NewSecret()
		after = w
		until := now.Add(Grace)
		after.PreviousSecret, after.PreviousUntil = w.Secret, &until
		after.Secret = s.Sealer.Seal(w.ID, secret)
		after, err = s.change(ctx, c, w, after, domain.ActionSubscriptionRotated, c.ActingExtras(customerID), now)
		return err
	})
	if err != nil {
		return w, "", errs.Wrap(op, err)
	}
	return after, secret, nil
}

// WebhookDeliveries pages through a subscription's delivery log, newest first.
func (s *Service) WebhookDeliveries(ctx context.Context, c *access.Caller, customerID, id string, limit int32, start state.PageKey) (state.Page[domain.WebhookDelivery], error) {
	const op = "subscriptions.Deliveries"
	if err := c.RequireWebhookManager(customerID); err != nil {
		return state.Page[domain.WebhookDelivery]{}, errs.Wrap(op, err)
	}
	if _, err := s.one(ctx, customerID, id); err != nil {
		return state.Page[domain.WebhookDelivery]{}, errs.Wrap(op, err)
	}
	p, err := s.Store.WebhookDeliveries(ctx, customerID, id, limit, start)
	return p, errs.Wrap(op, err)
}
