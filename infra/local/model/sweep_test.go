package model

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/portalaccess/portalaccess/shared/api"
)

// advance moves the business clock (the handlers' and the model's) forward.
// It changes nothing anyone can see.
func (w *world) advance(d time.Duration, why string) *step {
	return &step{op: "advance-clock", desc: fmt.Sprintf("by %s%s", d, why), pred: ok(200, nil),
		run: func() (*response, error) {
			setNow(now().Add(d))
			w.m.now = now()
			return &response{status: 200}, nil
		}}
}

// sweep runs the scheduled sweep once, as EventBridge would: reminders that
// are due go out with a fresh link, expired invitations are marked, and the
// identities a faulted request left behind are brought in line.
func (w *world) sweep(why string) *step {
	m := w.m
	s := &step{op: "sweep", calls: callsSweep, desc: why}
	s.run = func() (*response, error) {
		rep, err := st.Deps.Sweep(context.Background(), time.Minute)
		if err != nil {
			return &response{status: 500, code: "sweep_failed", body: []byte(err.Error())}, nil
		}
		b, _ := json.Marshal(rep)
		return &response{status: 200, body: b}, nil
	}
	s.tolerate = w.tolerateNothing
	s.pred = ok(200, func(o *observation) error {
		now := m.now
		var rep api.SweepReport
		if err := json.Unmarshal(o.res.body, &rep); err != nil {
			return fmt.Errorf("the sweep's report: %v", err)
		}
		var reminded, expired, synced int
		// Reminders first, oldest due first (the order matters only for which
		// send a fault would strike; sweeps run without faults).
		for _, x := range m.sorted(func(x *member) bool { return x.Status == "unconfirmed" && x.Inv != nil && x.Inv.State == "pending" }) {
			inv := x.Inv
			if inv.RemindAt != nil && inv.ReminderSentAt == nil && !inv.RemindAt.After(now) {
				if !inv.ExpiresAt.After(now) {
					w.expire(x)
					expired++
					continue
				}
				w.remind(o.sc, x)
				reminded++
			}
		}
		for _, x := range m.sorted(func(x *member) bool { return x.Status == "unconfirmed" && x.Inv != nil && x.Inv.State == "pending" }) {
			inv := x.Inv
			due := inv.RemindAt == nil || inv.ReminderSentAt != nil
			if due && !inv.ExpiresAt.After(now) {
				w.expire(x)
				expired++
			}
		}
		failed := 0
		for sub, at := range m.markers {
			if at.After(now) {
				continue
			}
			if id := m.identities[sub]; id != nil && id.broken && len(m.memberships(sub)) > 0 {
				failed++ // deleteIdentityBeforeCommit: Cognito no longer has it
				continue
			}
			delete(m.markers, sub)
			synced++
		}
		if rep.Reminded != reminded || rep.Expired != expired || rep.Synced != synced || rep.Failed != failed || rep.Skipped != 0 || rep.More {
			return fmt.Errorf("the sweep reports %+v; the model: %d reminded, %d expired, %d identities synced, %d failed", rep, reminded, expired, synced, failed)
		}
		return nil
	})
	s.after = func() error { return w.everyoneSignsIn() }
	return s
}

// remind sends the one reminder of a pending invitation: a fresh link, the
// same expiry.
func (w *world) remind(sc *stepCtx, x *member) {
	now := w.m.now
	if x.token != "" {
		x.stale = append(x.stale, x.token)
	}
	x.token = ""
	inv := x.Inv
	inv.ReminderSentAt, inv.Delivery, inv.AttemptedAt, inv.rotated = tsp(now), "pending", tsp(now), true
	x.Version++
	x.UpdatedAt = now
	w.event(x.Scope)
	w.deliver(sc, x, "reminder", false)
}

// expire marks a pending invitation expired; its token dies, the member
// stays unconfirmed until re-invited or deleted.
func (w *world) expire(x *member) {
	x.Inv.State = "expired"
	x.Version++
	x.UpdatedAt = w.m.now
	w.spend(x)
	w.event(x.Scope)
}

// everyoneSignsIn: after a sweep every identity the table says is enabled
// signs in (a disabled one is checked as disabled by verify).
func (w *world) everyoneSignsIn() error {
	for _, id := range w.m.identities {
		if _, enabled := w.m.inLine(id.Sub); !enabled || id.broken {
			continue
		}
		if _, dirty := w.m.markers[id.Sub]; dirty {
			continue // its marker is not yet due
		}
		p := w.personOf(id.Email)
		if _, err := w.signIn(p.email, p.password); err != nil {
			return fmt.Errorf("after the sweep, %s (enabled) cannot sign in: %v", p, err)
		}
	}
	return nil
}
