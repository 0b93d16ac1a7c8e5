package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

func (w *world) subscription(customerID, url string) domain.Subscription {
	return domain.Subscription{Record: domain.NewRecord(domain.PrefixSubscription, customerID, w.now), URL: url,
		Types: []string{"user.invited", "user.deleted"}, Secret: "sealed-1"}
}

func (w *world) subscriptions(customerID string) []domain.Subscription {
	w.t.Helper()
	return records(w, "read the subscriptions", w.s.Subscriptions, customerID)
}

func (w *world) subscriptionChange(ch state.SubscriptionChange) error {
	return recordChange(w, ch, w.s.ChangeSubscription)
}

// Webhook subscriptions have the life of a profile record
// (testRecordLife), with every field read back, and are not seen by
// another customer; they are held to domain.MaxSubscriptions; an
// offboarding's records step removes them.
func testSubscriptions(t *testing.T, w *world) {
	c := w.customer("Acme")
	a, b := w.subscription(c.ID, "https://hooks.acme.example/a"), w.subscription(c.ID, "https://hooks.acme.example/b")
	b.CreatedAt, b.Types = w.now.Add(time.Second), nil
	// A rotation and a pause: every field comes back.
	after := a
	until := w.now.Add(24 * time.Hour)
	since := w.now.Add(-time.Hour)
	after.Version, after.Secret, after.PreviousSecret, after.PreviousUntil = 2, "sealed-2", "sealed-1", &until
	after.Paused, after.PausedReason, after.Failures, after.FailingSince = true, "failing", 7, &since
	testRecordLife(t, w, recordLife[domain.Subscription]{kind: "subscription", read: w.subscriptions, change: w.subscriptionChange,
		created: func(got []domain.Subscription) {
			if len(got) != 2 || got[0].ID != a.ID || got[1].ID != b.ID || got[0].URL != a.URL || !slices.Equal(got[0].Types, a.Types) ||
				len(got[1].Types) != 0 || got[0].Secret != "sealed-1" || got[0].Version != 1 || got[0].Paused || got[0].PreviousUntil != nil {
				t.Fatalf("the subscriptions: %+v", got)
			}
			got[0].Types[0] = "changed"
			if w.subscriptions(c.ID)[0].Types[0] != "user.invited" {
				t.Fatal("a read shares memory with the store")
			}
			if other := w.customer("Other"); len(w.subscriptions(other.ID)) != 0 {
				t.Fatal("another customer sees subscriptions")
			}
		},
		changed: func(g domain.Subscription) {
			if g.Version != 2 || g.Secret != "sealed-2" || g.PreviousSecret != "sealed-1" || g.PreviousUntil == nil || !g.PreviousUntil.Equal(until) ||
				!g.Paused || g.PausedReason != "failing" || g.Failures != 7 || g.FailingSince == nil || !g.FailingSince.Equal(since) {
				t.Fatalf("after the change: %+v", g)
			}
			if s := g.Secrets(w.now); !slices.Equal(s, []string{"sealed-2", "sealed-1"}) {
				t.Fatalf("secrets in the grace period: %v", s)
			}
			if s := g.Secrets(until); !slices.Equal(s, []string{"sealed-2"}) {
				t.Fatalf("secrets after it: %v", s)
			}
		},
	}, a, b, w.subscription(domain.NewID(domain.PrefixCustomer), "https://nowhere.example/"), after)

	// The limit, counted race-free; a delete makes room. b is there.
	testRecordLimit(t, w.subscriptionChange, "subscription", domain.MaxSubscriptions-1, func(i int) domain.Subscription {
		s := w.subscription(c.ID, "https://hooks.acme.example/n")
		s.CreatedAt = w.now.Add(time.Duration(i+1) * time.Minute)
		return s
	}, w.subscription(c.ID, "https://hooks.acme.example/over"))

	// Offboarding: the records step removes them.
	w.beginOffboarding(c)
	for {
		n, err := w.s.DeleteCustomerRecords(w.ctx(), c.ID, 4)
		noErr(t, err, "delete records")
		if n == 0 {
			break
		}
	}
	if n := len(w.subscriptions(c.ID)); n != 0 {
		t.Fatalf("%d subscriptions left after the records step", n)
	}
}

// A subscription's delivery log: each attempt kept, newest first, paged;
// a failure adds to the run of failures (and starts it) without a new
// version, a success ends it; a subscription that is gone is ErrNotFound
// and nothing is written; another subscription's log is apart.
func testWebhookDeliveries(t *testing.T, w *world) {
	c := w.customer("Acme")
	a, b := w.subscription(c.ID, "https://a.example/"), w.subscription(c.ID, "https://b.example/")
	noErr(t, w.subscriptionChange(state.SubscriptionChange{After: &a}), "create a")
	noErr(t, w.subscriptionChange(state.SubscriptionChange{After: &b}), "create b")
	at := w.now
	attempt := func(sub domain.Subscription, n int, ok bool) error {
		at = at.Add(time.Second)
		d := domain.WebhookDelivery{CustomerID: c.ID, SubscriptionID: sub.ID, EventID: "evt_1", EventType: "user.invited", Attempt: n, At: at, OK: ok, Status: 500}
		if !ok {
			next := at.Add(time.Minute)
			d.NextRetry, d.Error = &next, "status 500"
		} else {
			d.Status = 204
		}
		return w.s.RecordWebhookDelivery(w.ctx(), d)
	}
	noErr(t, attempt(a, 1, false), "a failure")
	noErr(t, attempt(a, 2, false), "another")
	first := at.Add(-time.Second)
	ws := w.subscriptions(c.ID)
	i := slices.IndexFunc(ws, func(s domain.Subscription) bool { return s.ID == a.ID })
	if ws[i].Failures != 2 || ws[i].FailingSince == nil || !ws[i].FailingSince.Equal(first) || ws[i].Version != 1 {
		t.Fatalf("after two failures: %d since %v, version %d", ws[i].Failures, ws[i].FailingSince, ws[i].Version)
	}
	noErr(t, attempt(a, 3, true), "a success")
	noErr(t, attempt(b, 1, true), "b's")
	ws = w.subscriptions(c.ID)
	if ws[i].Failures != 0 || ws[i].FailingSince != nil {
		t.Fatalf("after a success: %d since %v", ws[i].Failures, ws[i].FailingSince)
	}
	p1, err := w.s.WebhookDeliveries(w.ctx(), c.ID, a.ID, 2, nil)
	noErr(t, err, "a page")
	if len(p1.Items) != 2 || p1.Items[0].Attempt != 3 || !p1.Items[0].OK || p1.Items[1].Attempt != 2 || p1.Next == nil ||
		p1.Items[1].NextRetry == nil || p1.Items[1].Error != "status 500" {
		t.Fatalf("the first page: %+v next %v", p1.Items, p1.Next)
	}
	p2, err := w.s.WebhookDeliveries(w.ctx(), c.ID, a.ID, 2, p1.Next)
	noErr(t, err, "the next page")
	if len(p2.Items) != 1 || p2.Items[0].Attempt != 1 || p2.Next != nil {
		t.Fatalf("the last page: %+v next %v", p2.Items, p2.Next)
	}
	pb, err := w.s.WebhookDeliveries(w.ctx(), c.ID, b.ID, 10, nil)
	noErr(t, err, "b's log")
	if len(pb.Items) != 1 || pb.Items[0].SubscriptionID != b.ID {
		t.Fatalf("b's log: %+v", pb.Items)
	}
	ghost := w.subscription(c.ID, "https://ghost.example/")
	wantErr(t, attempt(ghost, 1, false), state.ErrNotFound, "a subscription that is not there")
	if pg, _ := w.s.WebhookDeliveries(w.ctx(), c.ID, ghost.ID, 10, nil); len(pg.Items) != 0 {
		t.Fatalf("a refused attempt was logged: %+v", pg.Items)
	}
}
