package model

import (
	"fmt"
	"strings"

	"github.com/portalaccess/portalaccess/infra/local/faults"
)

// An interleaving is a race, made deterministic: a portal admin's request
// has read what it needs and is about to commit when an operator admin
// demotes, disables or deletes that portal admin. The operator's request is
// slipped in just before the first transaction of the portal admin's
// request (faults.Interleave), and then that transaction goes out.
//
// The contract reads the caller from the table on every request, and a
// change must not land for someone who no longer has the right: the
// portal admin's rights are re-checked inside the transaction, so the
// request is refused (403) and nothing of it is written.
type interleaving struct {
	p, q    *person
	kind    string       // demote, disable, delete
	x       *step        // the operator's change of p
	rebuild func() *step // the portal admin's request, predicted from the model as it is
	// self: the request acts on p's own membership.
	self bool
}

func (w *world) genInterleave(faulty bool) *step {
	sc := w.pickCustomerScope()
	var admins []*person
	for _, p := range w.people(func(p *person, c *caller) bool {
		return c != nil && c.actsAsPortalAdmin(sc) && c.members[sc].Admin
	}) {
		if id := w.m.identityOf(p.email); id != nil && id.Sub == p.tokenSub {
			admins = append(admins, p)
		}
	}
	ops := w.people(func(p *person, c *caller) bool { return c != nil && c.isOperatorAdmin() })
	if len(admins) == 0 || len(ops) == 0 {
		return w.genUpdate(sc)
	}
	p, q := pickOne(w, admins), pickOne(w, ops)
	pm := w.m.caller(p.tokenSub).members[sc]
	il := &interleaving{p: p, q: q, kind: pickOne(w, []string{"demote", "disable", "delete"})}
	me := target{scope: sc, id: pm.ID, x: pm}
	var t target
	if w.chance(0.35) {
		t, il.self = me, true
	} else {
		others := w.m.sorted(func(x *member) bool { return x.Scope == sc && x.ID != pm.ID })
		if len(others) == 0 {
			t, il.self = me, true
		} else {
			x := pickOne(w, others)
			t = target{scope: sc, id: x.ID, x: x}
		}
	}
	switch r := w.rng.Float64(); {
	case r < 0.3 && !il.self:
		var email string
		for _, e := range w.persons[1:] {
			if w.m.byEmail(sc, e.email) == nil && w.chance(0.5) {
				email = e.email
				break
			}
		}
		if email == "" {
			email = w.persons[len(w.persons)-1].email
		}
		body := map[string]any{"email": email}
		if w.chance(0.3) {
			body["admin"] = true
		}
		il.rebuild = func() *step { return w.invite(p, inviteSpec{scope: sc, body: body}) }
	case r < 0.55:
		body := map[string]any{"name": fmt.Sprintf("Renamed %d", w.pick(100))}
		switch {
		case il.self && w.chance(0.5):
			body["admin"] = true // a no-op now; after a demotion, a promotion
		case !il.self && w.chance(0.5):
			body = map[string]any{"admin": w.chance(0.5)}
		}
		il.rebuild = func() *step { return w.update(p, t, body, "") }
	case r < 0.7:
		il.rebuild = func() *step { return w.setStatus(p, t, "disabled") }
	case r < 0.78:
		il.rebuild = func() *step { return w.setStatus(p, t, "enabled") }
	case r < 0.9:
		il.rebuild = func() *step { return w.remove(p, t) }
	default:
		il.rebuild = func() *step { return w.reinvite(p, t) }
	}
	r0 := il.rebuild()
	if r0.pred.effect == nil || r0.pred.noChange {
		return r0 // it would not reach a transaction: an ordinary step
	}
	switch il.kind {
	case "demote":
		il.x = w.update(q, me, map[string]any{"admin": false}, "")
	case "disable":
		il.x = w.setStatus(q, me, "disabled")
	case "delete":
		il.x = w.remove(q, me)
	}
	r0.interleave = il
	r0.op = "interleave " + r0.op
	return r0
}

// execInterleaved runs the portal admin's request with the operator's
// change slipped in before its transaction.
func (w *world) execInterleaved(r *step) {
	w.t.Helper()
	il := r.interleave
	w.n++
	logs.Take()
	callerBefore := map[*person]bool{}
	for _, p := range w.persons {
		callerBefore[p] = p.token != "" && w.m.caller(p.tokenSub) != nil
	}
	stale := w.callerOf(il.p).frozen()
	var xres *response
	var xerr error
	injector.Record()
	injector.Arm(faults.Fault{Call: callTx, Nth: 1, Kind: faults.Interleave, During: func() {
		xres, xerr = send(il.q.token, il.x.req)
	}})
	res, err := send(il.p.token, r.req)
	fired := injector.Disarm()
	line := fmt.Sprintf("#%d %s by %s: %s, while %s by %s (%s) lands before its commit → %s; the operator's %s (model %s)",
		w.n, r.op, il.p, w.pretty(r.req.String()), il.x.op, il.q, il.kind, res, xres, il.x.pred)
	w.logf("%s", line)
	if err != nil || xerr != nil {
		w.failf("the requests could not be made: %v %v", err, xerr)
	}
	if !fired {
		w.failf("the request made no transaction, so nothing was slipped in (model %s)", r.pred)
	}
	after, err := w.take()
	if err != nil {
		w.failf("snapshot: %v", err)
	}
	if !w.matches(il.x.pred, xres) {
		w.failf("the operator's change answered %s; the model predicts %s", xres, il.x.pred)
	}
	sc := newStepCtx(nil, false)
	if il.x.pred.effect != nil {
		if err := il.x.pred.effect(&observation{res: xres, after: after, sc: sc, w: w}); err != nil {
			w.failf("%v", err)
		}
	}
	// The portal admin's request, judged after the operator's change: they
	// no longer have the right, so it is refused and writes nothing. On its
	// own membership, one that is gone may also be a 404, and disabling
	// oneself once disabled changes nothing.
	correct := []*expect{refuse(403, "forbidden")}
	if il.self && il.kind == "delete" {
		correct = append(correct, refuse(404, "not_found"))
	}
	if il.self && il.kind == "disable" && strings.HasPrefix(strings.TrimPrefix(r.op, "interleave "), "disable") {
		correct = append(correct, &expect{status: 200})
	}
	// When the change would also take the scope's last enabled admin away
	// at the commit, that refusal is as right: the transaction fails on
	// both conditions, and the store names the first.
	w.stale, w.stalePerson = stale, il.p
	landing := il.rebuild()
	w.stale, w.stalePerson = nil, nil
	if landing.pred.status == 409 && landing.pred.code == "last_admin" {
		correct = append(correct, landing.pred)
	}
	// A change of their own membership read again after a demotion gives
	// it more than it now has: refused as own_access before the store
	// is asked, as rightly.
	if landing.pred.status == 403 && landing.pred.code == "own_access" {
		correct = append(correct, landing.pred)
	}
	matched := false
	for _, e := range correct {
		matched = matched || w.matches(e, res)
	}
	if !matched {
		// landing is what the request would answer, landing anyway:
		// predicted from the model after the operator's change with the
		// caller as they were when it began.
		again := landing
		w.failf("the answer is %s; the caller lost their rights before the commit, so the contract asks for %s (the request, landing anyway, would answer %s)\n    %s",
			res, correct[0], again.pred, clip(res.body))
	}
	if problems := w.verify(after, sc); len(problems) > 0 {
		bug := ""
		if r.tolerate != nil {
			bug = r.tolerate(&observation{res: res, after: after, sc: sc, w: w}, problems)
		}
		if bug == "" {
			w.failf("after the step:\n  - %s", strings.Join(problems, "\n  - "))
		}
		w.hit(bug, line)
		again := *after
		again.mails = nil
		if problems := w.verify(&again, newStepCtx(nil, false)); len(problems) > 0 {
			w.failf("after tolerating %s:\n  - %s", bug, strings.Join(problems, "\n  - "))
		}
	}
	w.last = after
	w.checkPrincipals(r, res, callerBefore)
	w.stats["steps"]++
	w.stats["interleaved"]++
}
