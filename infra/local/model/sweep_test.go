package model

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/sweep"
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
//
// A fault in a sweep does not fail a request: the item it struck is left
// for the next run (a reminder that did not go out is due again), or the
// run stops where it was. Which item a fault strikes depends on the order of
// the due index, so the model reads from the table which of the outcomes it
// allows each item took, and allows only as many items off the plan as one
// fault explains.
func (w *world) sweep(why string) *step {
	m := w.m
	s := &step{op: "sweep", calls: callsSweep, desc: why}
	s.run = func() (*response, error) {
		rep, err := st.Sweep(context.Background(), time.Minute)
		b, _ := json.Marshal(struct {
			sweep.Report
			Error string `json:"error,omitempty"`
		}{rep, errString(err)})
		return &response{status: 200, body: b}, nil
	}
	s.tolerate = w.tolerateNothing
	s.pred = ok(200, func(o *observation) error {
		now := m.now
		var rep struct {
			sweep.Report
			Error string `json:"error"`
		}
		if err := json.Unmarshal(o.res.body, &rep); err != nil {
			return fmt.Errorf("the sweep's report: %v", err)
		}
		// The plan: e-mails committed and never recorded, once their send
		// lease has passed (sent again, or reminded or expired instead when
		// that is due), then reminders (or their expiry, when it came
		// first), then expiries, then identity markers. An invitation whose
		// delivery is unrecorded is due only as the first.
		type action struct {
			kind string // resend, remind, expire, sync
			x    *member
			sub  string
		}
		var plan []action
		pending := m.sorted(func(x *member) bool { return x.Status == "unconfirmed" && x.Inv != nil && x.Inv.State == "pending" })
		for _, x := range pending {
			inv := x.Inv
			if !inResend(inv) || inv.AttemptedAt.Add(sendLease).After(now) {
				continue
			}
			switch {
			case !inv.ExpiresAt.After(now):
				plan = append(plan, action{kind: "expire", x: x})
			case inv.RemindAt != nil && inv.ReminderSentAt == nil && !inv.RemindAt.After(now):
				plan = append(plan, action{kind: "remind", x: x})
			default:
				plan = append(plan, action{kind: "resend", x: x})
			}
		}
		for _, x := range pending {
			if inResend(x.Inv) {
				continue
			}
			if inv := x.Inv; inv.RemindAt != nil && inv.ReminderSentAt == nil && !inv.RemindAt.After(now) {
				if !inv.ExpiresAt.After(now) {
					plan = append(plan, action{kind: "expire", x: x})
				} else {
					plan = append(plan, action{kind: "remind", x: x})
				}
			}
		}
		for _, x := range pending {
			if inResend(x.Inv) {
				continue
			}
			if inv := x.Inv; (inv.RemindAt == nil || inv.ReminderSentAt != nil) && !inv.ExpiresAt.After(now) {
				plan = append(plan, action{kind: "expire", x: x})
			}
		}
		failed := 0
		for _, sub := range sortedKeys(m.markers) {
			if m.markers[sub].After(now) {
				continue
			}
			plan = append(plan, action{kind: "sync", sub: sub})
		}
		var resent, reminded, expired, synced, off, sesOff int
		for _, a := range plan {
			outcome := "done"
			if o.sc.struck {
				outcome = w.observedOutcome(o, a.kind, a.x, a.sub)
				if outcome == "" {
					return fmt.Errorf("after a faulted sweep, %s of %s is in none of the states the model allows", a.kind, w.label(a.x))
				}
			}
			if outcome != "done" {
				off++
			}
			if f := o.sc.fault; f != nil && f.Call == callSend && (a.kind == "remind" || a.kind == "resend") && outcome == sesOutcome(f.Kind) {
				sesOff++
			}
			switch a.kind {
			case "resend":
				switch outcome {
				case "done":
					w.resend(o.sc, a.x, "sent")
					resent++
				case "unknown":
					w.resend(o.sc, a.x, "unknown")
					resent++
				case "failed":
					w.resend(o.sc, a.x, "failed")
				}
			case "remind":
				switch outcome {
				case "done":
					w.remind(o.sc, a.x, "sent")
					reminded++
				case "unknown":
					w.remind(o.sc, a.x, "unknown")
					reminded++
				case "failed":
					w.remind(o.sc, a.x, "failed")
				}
			case "expire":
				if outcome == "done" {
					w.expire(a.x)
					expired++
				}
			case "sync":
				if outcome == "done" {
					delete(m.markers, a.sub)
					synced++
				}
			}
		}
		// Pending identities a failed accept left: once every marker of an
		// e-mail is due, the identity goes if no membership holds it, and
		// the markers go (each due marker counts); an e-mail with a marker
		// not yet due is skipped.
		skipped, pendingOff := 0, false
		for _, email := range sortedKeys(m.pending) {
			due, later := 0, false
			for _, d := range m.pending[email] {
				if d.After(now) {
					later = true
				} else {
					due++
				}
			}
			switch {
			case due == 0:
			case later:
				skipped += due
			case o.sc.struck && pendingLeft(o.after, email):
				off++
				pendingOff = true
			default:
				delete(m.pending, email)
				synced += due
			}
		}
		// Portal setups: app clients to bring in line, deleted setups to
		// retire.
		portals := 0
		for _, pid := range sortedKeys(m.portalMarkers) {
			if m.portalMarkers[pid].due.After(now) {
				continue
			}
			outcome, err := w.sweepPortal(o, pid)
			if err != nil {
				return err
			}
			if outcome == "done" {
				portals++
			} else {
				off++
			}
		}
		switch {
		case !o.sc.struck:
			if rep.Resent != resent || rep.Reminded != reminded || rep.Expired != expired || rep.Synced != synced || rep.Portals != portals || rep.Failed != failed ||
				rep.Skipped != skipped || rep.More || rep.Error != "" {
				return fmt.Errorf("the sweep reports %+v; the model: %d resent, %d reminded, %d expired, %d identities synced, %d portals, %d skipped, %d failed",
					rep, resent, reminded, expired, synced, portals, skipped, failed)
			}
		case rep.Resent != resent || rep.Reminded != reminded || rep.Expired != expired || (rep.Synced != synced && !pendingOff) || rep.Portals != portals:
			return fmt.Errorf("the faulted sweep reports %+v; the table shows %d resent, %d reminded, %d expired, %d identities synced, %d portals", rep, resent, reminded, expired, synced, portals)
		case rep.Error == "" && off > 2:
			// One fault strikes one item (a conflict may outlast one item's
			// retries and reach the next); a run that stopped leaves the rest.
			return fmt.Errorf("one fault, yet %d items of the sweep are off the plan", off)
		}
		if f := o.sc.fault; f != nil && f.Call == callSend {
			// The SES fault struck one reminder's (or resend's) e-mail,
			// whichever came first.
			if o.sc.struck != (sesOff == 1) || sesOff > 1 {
				return fmt.Errorf("the SES fault struck=%v; %d reminders show its outcome", o.sc.struck, sesOff)
			}
			o.sc.sesStruck = o.sc.struck
		}
		if o.sc.struck && off > 0 {
			o.sc.note = append(o.sc.note, fmt.Sprintf("%d items left for the next run", off))
		}
		return nil
	})
	s.after = func() error { return w.everyoneSignsIn() }
	return s
}

// pendingLeft reports whether a snapshot holds a pending-identity marker of
// the e-mail.
func pendingLeft(s *snapshot, email string) bool {
	for k := range s.items {
		if strings.HasPrefix(k, "PID#"+email+"|") {
			return true
		}
	}
	return false
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// observedOutcome reads from the snapshot what a faulted sweep did to one
// item: done as planned, or one of the outcomes a fault allows: not done
// (failed before its write; due again), a reminder that did not go out
// (failed; due again) or whose sending is unknown (it went out).
func (w *world) observedOutcome(o *observation, kind string, x *member, sub string) string {
	if kind == "sync" {
		if _, left := o.after.items[itemKey("SYNC#"+sub, "SYNC")]; left {
			return "none"
		}
		return "done"
	}
	it, found := o.after.items[itemKey(scopeKey(x.Scope), "U#"+x.ID)]
	if !found {
		return ""
	}
	d, err := decodeMember(it)
	if err != nil {
		return ""
	}
	// The table names roles by id; the model by name, as the full
	// comparison after each step reads them.
	if cu := w.m.customer(x.Scope); cu != nil {
		d.Roles = cu.roleNames(d.RoleIDs)
	}
	variants := []string{"done", "none"}
	if kind == "remind" || kind == "resend" {
		variants = append(variants, "failed", "unknown")
	}
	for _, v := range variants {
		c := x.clone()
		// A deleted portal setup this sweep retires after: its unlink.
		for pid, pm := range w.m.portalMarkers {
			if pm.gone != nil && !pm.due.After(w.m.now) && slices.Contains(c.Portals, pid) && !slices.Contains(d.PortalIDs, pid) {
				c.Portals = slices.DeleteFunc(slices.Clone(c.Portals), func(id string) bool { return id == pid })
				c.Version++
			}
		}
		saved := w.m.mail[x.Email]
		sc := newStepCtx(nil, false)
		switch {
		case v == "none":
		case kind == "expire":
			c.Inv.State, c.Version, c.UpdatedAt = "expired", c.Version+1, w.m.now
		case kind == "resend" && v == "done":
			w.resendInto(sc, c, "sent")
		case kind == "resend":
			w.resendInto(sc, c, v)
		case v == "done":
			w.remindInto(sc, c, "sent")
		default:
			w.remindInto(sc, c, v)
		}
		w.m.mail[x.Email] = saved
		if len(compareMember(c, d)) == 0 {
			return v
		}
	}
	return ""
}

// remind sends the one reminder of a pending invitation: a fresh link, the
// same expiry; outcome is what its e-mail did (sent, failed, unknown).
func (w *world) remind(sc *stepCtx, x *member, outcome string) {
	w.newLink(x)
	w.remindInto(sc, x, outcome)
}

// newLink retires the member's current link (its e-mail's token is stale
// from now on), as a rotation by the sweep does, with its audit event.
func (w *world) newLink(x *member) {
	if x.token != "" {
		x.stale = append(x.stale, x.token)
	}
	x.token = ""
	w.event(x.Scope)
}

func (w *world) remindInto(sc *stepCtx, x *member, outcome string) {
	now := w.m.now
	inv := x.Inv
	inv.ReminderSentAt, inv.Delivery, inv.AttemptedAt, inv.rotated, inv.Resends = tsp(now), "pending", tsp(now), true, 0
	x.Version++
	x.UpdatedAt = now
	w.applyDelivery(sc, x, "reminder", outcome)
}

// maxResends is state.MaxResends.
const maxResends = 3

// inResend reports whether the due index holds a pending invitation under
// the end of its send lease: its e-mail committed and its delivery never
// recorded (a crash, or an outcome unknown), not yet sent again maxResends
// times.
func inResend(inv *invitation) bool {
	return inv.Delivery == "pending" && inv.AttemptedAt != nil && inv.Resends < maxResends
}

// resend sends again the e-mail of an invitation whose delivery went
// unrecorded, once its send lease has passed: a fresh link (the committed
// one may never have reached anyone), the same expiry and reminder; the
// e-mail is the reminder when that was the one due. The product cannot
// tell an unknown outcome that went from one that did not, so one that
// went is followed by this second e-mail, whose link is the one that works.
func (w *world) resend(sc *stepCtx, x *member, outcome string) {
	w.newLink(x)
	w.resendInto(sc, x, outcome)
}

func (w *world) resendInto(sc *stepCtx, x *member, outcome string) {
	now := w.m.now
	inv := x.Inv
	kind := "invitation"
	if inv.ReminderSentAt != nil && inv.RemindAt != nil {
		kind = "reminder"
	}
	inv.AttemptedAt, inv.rotated = tsp(now), true
	inv.Resends++
	x.Version++
	x.UpdatedAt = now
	w.applyDelivery(sc, x, kind, outcome)
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
		if _, enabled := w.m.inLine(id.Sub); !enabled {
			continue
		}
		if _, dirty := w.m.markers[id.Sub]; dirty {
			continue // its marker is not yet due
		}
		p := w.personOf(id.Email)
		if err := w.signsIn(p, id.Sub); err != nil {
			return fmt.Errorf("after the sweep, %s (enabled) cannot sign in: %v", p, err)
		}
	}
	return nil
}
