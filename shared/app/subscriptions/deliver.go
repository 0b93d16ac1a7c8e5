package subscriptions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/events"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/webhooks"
)

// Job is one event to deliver to one subscription: a message of the
// deliveries queue (SQS FIFO). Its group is the subscription and the
// event's target (a user, a customer, an address…), so that what happens
// to one target reaches the subscription in order, and a receiver that
// fails holds back only its own group; its deduplication id is the
// subscription and the event, so that an event fanned out twice is
// queued once.
type Job struct {
	CustomerID     string          `json:"customerId"`
	SubscriptionID string          `json:"subscriptionId"`
	Event          json.RawMessage `json:"event"`
}

// Group is the job's message group.
func (j Job) Group(ev events.Event) string { return j.SubscriptionID + "." + ev.Data.Target.ID }

// Dedup is the job's deduplication id.
func (j Job) Dedup(ev events.Event) string { return j.SubscriptionID + "." + ev.ID }

// DeliveryConfig is how deliveries retry and when a subscription pauses.
type DeliveryConfig struct {
	// Timeout is how long a receiver has to answer (5 s).
	Timeout time.Duration
	// RetryBase and RetryMax: a failed attempt n is tried again after
	// RetryBase·2^(n-1), at most RetryMax.
	RetryBase, RetryMax time.Duration
	// PauseAfter failures in a row, the first at least PauseSpan ago,
	// pause the subscription.
	PauseAfter int
	PauseSpan  time.Duration
	// Hold is how often a paused subscription's held deliveries look
	// again whether it was resumed.
	Hold time.Duration
}

// Defaults of the deliveries on AWS.
var DefaultDelivery = DeliveryConfig{Timeout: 5 * time.Second, RetryBase: 30 * time.Second, RetryMax: time.Hour,
	PauseAfter: 10, PauseSpan: 24 * time.Hour, Hold: 5 * time.Minute}

// Deliverer fans events out to the subscriptions that want them and
// delivers each.
type Deliverer struct {
	Store  Store
	Sealer *webhooks.Sealer
	Client *http.Client
	Config DeliveryConfig
	Log    *slog.Logger
	Now    func() time.Time
}

// Wants reports whether the subscription is sent the type, paused or not
// (a paused one holds its deliveries until it is resumed).
func wants(w domain.Subscription, eventType string) bool {
	return len(w.Types) == 0 || slices.Contains(w.Types, eventType)
}

// FanOut answers the jobs of one event from the bus: one for each of its
// customer's subscriptions that wants its type. An event of the
// provider's own trail has none.
func (d *Deliverer) FanOut(ctx context.Context, body []byte) ([]Job, []events.Event, error) {
	var ev events.Event
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" {
		return nil, nil, fmt.Errorf("subscriptions: not an event: %v", err)
	}
	cid := ev.Customer()
	if cid == "" {
		return nil, nil, nil
	}
	ws, err := d.Store.Subscriptions(ctx, cid)
	if errors.Is(err, state.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var jobs []Job
	var evs []events.Event
	for _, w := range ws {
		if wants(w, ev.Type) {
			jobs = append(jobs, Job{CustomerID: cid, SubscriptionID: w.ID, Event: json.RawMessage(body)})
			evs = append(evs, ev)
		}
	}
	return jobs, evs, nil
}

// Outcome is what became of a job: Done (delivered, or nothing left to
// deliver it to), or to be tried again after Retry.
type Outcome struct {
	Done  bool
	Retry time.Duration
}

// Backoff is how long after failed attempt n the next one is.
func (c DeliveryConfig) Backoff(n int) time.Duration {
	d := c.RetryBase
	for i := 1; i < n && d < c.RetryMax; i++ {
		d *= 2
	}
	return min(d, c.RetryMax)
}

// Deliver tries a job once (attempt counts its tries, from 1): signed with
// the subscription's secrets, posted with the Timeout, recorded in the
// delivery log with the subscription's run of failures. A subscription
// that is gone or no longer wants the type is done; a paused one holds the
// job (Retry Hold) without trying it. PauseAfter failures in a row over
// PauseSpan pause it (subscription.paused, by the system).
func (d *Deliverer) Deliver(ctx context.Context, j Job, attempt int) (Outcome, error) {
	var ev events.Event
	if err := json.Unmarshal(j.Event, &ev); err != nil {
		return Outcome{Done: true}, fmt.Errorf("subscriptions: a job without an event: %w", err)
	}
	ws, err := d.Store.Subscriptions(ctx, j.CustomerID)
	if errors.Is(err, state.ErrNotFound) {
		return Outcome{Done: true}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	i := slices.IndexFunc(ws, func(w domain.Subscription) bool { return w.ID == j.SubscriptionID })
	if i < 0 || !wants(ws[i], ev.Type) {
		return Outcome{Done: true}, nil
	}
	w := ws[i]
	if w.Paused {
		return Outcome{Retry: d.Config.Hold}, nil
	}
	now := d.Now().UTC()
	var secrets []string
	for _, sealed := range w.Secrets(now) {
		s, err := d.Sealer.Open(w.ID, sealed)
		if err != nil {
			return Outcome{}, err
		}
		secrets = append(secrets, s)
	}
	status, failure := d.post(ctx, w.URL, ev.ID, secrets, j.Event, now)
	rec := domain.WebhookDelivery{CustomerID: j.CustomerID, SubscriptionID: w.ID, EventID: ev.ID, EventType: ev.Type,
		Attempt: attempt, At: now, OK: failure == "", Status: status, Error: failure}
	retry := d.Config.Backoff(attempt)
	if !rec.OK {
		next := now.Add(retry)
		rec.NextRetry = &next
	}
	if err := d.Store.RecordWebhookDelivery(ctx, rec); err != nil {
		if errors.Is(err, state.ErrNotFound) {
			return Outcome{Done: true}, nil
		}
		return Outcome{}, err
	}
	if rec.OK {
		return Outcome{Done: true}, nil
	}
	d.Log.InfoContext(ctx, "webhook delivery failed", "subscription", w.ID, "event", ev.ID, "attempt", attempt, "status", status, "error", failure)
	since := now
	if w.FailingSince != nil {
		since = *w.FailingSince
	}
	if w.Failures+1 >= d.Config.PauseAfter && now.Sub(since) >= d.Config.PauseSpan {
		after := w
		after.Failures, after.FailingSince = w.Failures+1, &since
		after.Paused, after.PausedReason = true, "failing"
		if _, err := (&Service{Store: d.Store}).change(ctx, nil, w, after, domain.ActionSubscriptionPaused, state.Extras{}, now); err != nil {
			d.Log.WarnContext(ctx, "a failing subscription not paused yet", "subscription", w.ID, "error", err.Error())
		}
	}
	return Outcome{Retry: retry}, nil
}

// post sends the delivery and answers the receiver's status and, when it
// failed, why (no secret or body in it).
func (d *Deliverer) post(ctx context.Context, url, id string, secrets []string, body []byte, now time.Time) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, d.Config.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "invalid_url"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "PortalAccess-Webhooks/1")
	if err := webhooks.Sign(req.Header, secrets, id, now, body); err != nil {
		return 0, "signing"
	}
	res, err := d.Client.Do(req)
	if err != nil {
		var ne net.Error
		switch {
		case errors.Is(err, errPrivate):
			return 0, "private_address"
		case errors.As(err, &ne) && ne.Timeout():
			return 0, "timeout"
		default:
			return 0, "connection"
		}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	_ = res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, "status " + strconv.Itoa(res.StatusCode)
	}
	return res.StatusCode, ""
}

var errPrivate = errors.New("subscriptions: the endpoint resolves to a private address")

// NewClient is the HTTP client deliveries go out with: no redirects
// followed, no proxy, and unless local, no connection to a loopback,
// private or link-local address, checked on the address dialled (a name
// that resolves to one is refused at delivery).
func NewClient(local bool) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if !local {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !domain.PublicAddr(ap.Addr()) {
				return errPrivate
			}
			return nil
		}
	}
	return &http.Client{
		Transport:     &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
