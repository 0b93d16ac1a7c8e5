package api

import (
	"context"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/subscriptions"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/state"
)

// A customer's webhook subscriptions and their delivery logs. A secret is
// in an answer only when it is made (create, rotate-secret); never in a
// list or a get.

type webhookView struct {
	ID           string     `json:"id"`
	CustomerID   string     `json:"customerId"`
	URL          string     `json:"url"`
	EventTypes   []string   `json:"eventTypes"`
	Description  *string    `json:"description"`
	Paused       bool       `json:"paused"`
	PausedReason *string    `json:"pausedReason"`
	Failures     int        `json:"failures"`
	FailingSince *time.Time `json:"failingSince"`
	// PreviousSecretUntil: a rotated-out secret still signs until then.
	PreviousSecretUntil *time.Time `json:"previousSecretUntil"`
	CreatedAt           time.Time  `json:"createdAt"`
	UpdatedAt           time.Time  `json:"updatedAt"`
	Version             int        `json:"version"`
}

func viewWebhook(w *domain.Subscription) webhookView {
	v := webhookView{ID: w.ID, CustomerID: w.CustomerID, URL: w.URL, EventTypes: orEmpty(w.Types), Description: orNull(w.Description),
		Paused: w.Paused, PausedReason: orNull(w.PausedReason), Failures: w.Failures, FailingSince: tsp(w.FailingSince),
		CreatedAt: ts(w.CreatedAt), UpdatedAt: ts(w.UpdatedAt), Version: w.Version}
	if w.PreviousSecret != "" && w.PreviousUntil != nil && time.Now().Before(*w.PreviousUntil) {
		v.PreviousSecretUntil = tsp(w.PreviousUntil)
	}
	return v
}

// webhookSecretView is a subscription with its secret: the one answer
// that shows it.
type webhookSecretView struct {
	webhookView
	Secret string `json:"secret"`
}

type deliveryView struct {
	EventID   string     `json:"eventId"`
	EventType string     `json:"eventType"`
	Attempt   int        `json:"attempt"`
	At        time.Time  `json:"at"`
	OK        bool       `json:"ok"`
	Status    *int       `json:"status"`
	Error     *string    `json:"error"`
	NextRetry *time.Time `json:"nextRetry"`
}

func viewDelivery(d *domain.WebhookDelivery) deliveryView {
	v := deliveryView{EventID: d.EventID, EventType: d.EventType, Attempt: d.Attempt, At: ts(d.At), OK: d.OK,
		Error: orNull(d.Error), NextRetry: tsp(d.NextRetry)}
	if d.Status != 0 {
		st := d.Status
		v.Status = &st
	}
	return v
}

type webhookInput struct {
	URL         *string   `json:"url"`
	EventTypes  *[]string `json:"eventTypes"`
	Description *string   `json:"description"`
	Paused      *bool     `json:"paused"`
}

func (in webhookInput) input() subscriptions.Input {
	return subscriptions.Input{URL: in.URL, Types: in.EventTypes, Description: in.Description, Paused: in.Paused}
}

func webhookPath(w *domain.Subscription) string {
	return "/v1/customers/" + w.CustomerID + "/webhooks/" + w.ID
}

var webhookPolicy = (*access.Caller).RequireWebhookManager

// webhookRoutes serve list, get, update and delete; a create answers the
// secret too, so CreateWebhook is written out (its scope is the same
// "create-webhook:" + the customer's id).
func webhookRoutes(s *Services) collection[domain.Subscription, webhookInput, subscriptions.Input, webhookView] {
	return collection[domain.Subscription, webhookInput, subscriptions.Input, webhookView]{s: s, policy: webhookPolicy,
		kind: "webhook", param: "webhookId", path: webhookPath, view: viewWebhook, version: func(w *domain.Subscription) int { return w.Version }}
}

// ListWebhooks: GET /v1/customers/{customerId}/webhooks.
func ListWebhooks(s *Services) httpapi.Endpoint { return webhookRoutes(s).list(s.Subscriptions.List) }

// CreateWebhook: POST /v1/customers/{customerId}/webhooks; 201 with the
// secret, shown this once.
func CreateWebhook(s *Services) httpapi.Endpoint {
	return s.inCustomer(webhookPolicy, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		var in webhookInput
		key, err := decodeCreate(r, c, "create-webhook:"+cid, &in)
		if err != nil {
			return nil, err
		}
		w, secret, err := s.Subscriptions.Create(ctx, c, cid, in.input(), key)
		if err != nil {
			return nil, err
		}
		return httpapi.Created(webhookPath(&w), webhookSecretView{viewWebhook(&w), secret}).WithETag(w.Version), nil
	})
}

// GetWebhook: GET /v1/customers/{customerId}/webhooks/{webhookId}.
func GetWebhook(s *Services) httpapi.Endpoint { return webhookRoutes(s).get(s.Subscriptions.Get) }

// UpdateWebhook: PATCH …/webhooks/{webhookId}, If-Match honoured; "paused"
// pauses or resumes it.
func UpdateWebhook(s *Services) httpapi.Endpoint {
	return webhookRoutes(s).update(s.Subscriptions.Update)
}

// DeleteWebhook: DELETE …/webhooks/{webhookId}, If-Match honoured.
func DeleteWebhook(s *Services) httpapi.Endpoint {
	return webhookRoutes(s).delete(s.Subscriptions.Delete)
}

// RotateWebhookSecret: POST …/webhooks/{webhookId}/rotate-secret, If-Match
// honoured: the new secret, shown this once; the old one signs beside it
// for 24 hours.
func RotateWebhookSecret(s *Services) httpapi.Endpoint {
	return s.inCustomer(webhookPolicy, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		want, err := ifMatch(r)
		if err != nil {
			return nil, err
		}
		w, secret, err := s.Subscriptions.Rotate(ctx, c, cid, r.Path("webhookId"), want)
		if err != nil {
			return nil, err
		}
		return httpapi.OK(webhookSecretView{viewWebhook(&w), secret}).WithETag(w.Version), nil
	})
}

// ListWebhookDeliveries: GET …/webhooks/{webhookId}/deliveries, newest first.
func ListWebhookDeliveries(s *Services) httpapi.Endpoint {
	return s.inCustomer(webhookPolicy, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		id := r.Path("webhookId")
		return listPage(s, r, "deliveries\x00"+cid+"\x00"+id, func(limit int32, start state.PageKey) (state.Page[domain.WebhookDelivery], error) {
			return s.Subscriptions.WebhookDeliveries(ctx, c, cid, id, limit, start)
		}, viewDelivery)
	})
}
