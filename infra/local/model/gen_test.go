package model

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/infra/local/faults"
	"github.com/portalaccess/portalaccess/shared/app/idem"
)

// The random half: which operation, by whom, on what, with which input.
// Every choice comes from the seed's random source and from the model (in
// a replayable order), never from ids, tokens or timing.

type generator struct {
	name   string
	weight int
	make   func(w *world, faulty bool) *step
}

var generators = []generator{
	{"invite-user", 13, (*world).genInviteUser},
	{"bulk-invite", 6, (*world).genBulk},
	{"accept", 12, (*world).genAccept},
	{"inspect", 3, (*world).genInspect},
	{"reinvite-user", 6, func(w *world, f bool) *step { return w.genReinvite(w.pickCustomerScope()) }},
	{"update-user", 8, func(w *world, f bool) *step { return w.genUpdate(w.pickCustomerScope()) }},
	{"enable-user", 5, func(w *world, f bool) *step { return w.genStatus(w.pickCustomerScope(), "enabled") }},
	{"disable-user", 6, func(w *world, f bool) *step { return w.genStatus(w.pickCustomerScope(), "disabled") }},
	{"delete-user", 5, func(w *world, f bool) *step { return w.genDelete(w.pickCustomerScope()) }},
	{"invite-operator", 4, (*world).genInviteOperator},
	{"update-operator", 3, func(w *world, f bool) *step { return w.genUpdate(provider) }},
	{"enable-operator", 2, func(w *world, f bool) *step { return w.genStatus(provider, "enabled") }},
	{"disable-operator", 3, func(w *world, f bool) *step { return w.genStatus(provider, "disabled") }},
	{"reinvite-operator", 2, func(w *world, f bool) *step { return w.genReinvite(provider) }},
	{"delete-operator", 2, func(w *world, f bool) *step { return w.genDelete(provider) }},
	{"sweep", 4, (*world).genSweep},
	{"advance-clock", 6, (*world).genAdvance},
	{"interleave", 8, (*world).genInterleave},
	{"create-customer", 1, (*world).genCustomer},
	{"create-portal", 2, (*world).genPortal},
	{"delete-portal", 2, (*world).genDeletePortal},
}

// Customers and portal setups: only operator admins make them.
func (w *world) genCustomer(faulty bool) *step {
	who := w.principal(provider)
	key := ""
	if faulty {
		key = w.newKey()
	}
	n := len(w.m.customers) + 1
	s, cu := w.customerStep(who, fmt.Sprintf("Initech %d-%d", w.seed, n), pickOne(w, []string{"en", "nl"}), fmt.Sprintf("C%d", n), key)
	s.after = func() error {
		// Looked at once, as made; the run never acts in it.
		cu.static = true
		snap, err := w.take()
		w.last = snap
		return err
	}
	return s
}

// randomStep makes and runs one random step; on a share of them a fault is
// armed at one of the calls the operation makes.
func (w *world) randomStep() {
	total := 0
	for _, g := range generators {
		total += g.weight
	}
	r := w.rng.IntN(total)
	var g generator
	for _, g = range generators {
		if r < g.weight {
			break
		}
		r -= g.weight
	}
	// Faults are armed on a share of the steps (-model.faults, 20%), more
	// often where the request gets past its checks to the calls that can
	// fail. A creating request that may get one carries an Idempotency-Key,
	// so that its retry is well defined.
	faulty := w.rng.Float64() < 1.5**flagFault
	s := g.make(w, faulty)
	var f *faults.Fault
	if faulty && (s.run == nil || s.op == "sweep") && (s.pred.effect != nil || w.chance(0.35)) {
		f = w.randomFault(s.calls)
	}
	w.stats["op "+s.op]++
	if s.interleave != nil {
		w.execInterleaved(s)
		return
	}
	w.exec(s, f)
	w.stats["answer "+fmt.Sprint(s.pred.status)]++
}

func (w *world) pick(n int) int { return w.rng.IntN(n) }

func (w *world) chance(p float64) bool { return w.rng.Float64() < p }

func pickOne[T any](w *world, xs []T) T { return xs[w.pick(len(xs))] }

// pickCustomerScope: C1 or C2, the customers the run acts in.
func (w *world) pickCustomerScope() string {
	return w.m.customers[w.pick(2)].ID
}

// ---- principals ----

// withToken lists the people who hold a token and match.
func (w *world) people(match func(p *person, c *caller) bool) []*person {
	var out []*person
	for _, p := range w.persons {
		if p.token == "" {
			continue
		}
		if match(p, w.m.caller(p.tokenSub)) {
			out = append(out, p)
		}
	}
	return out
}

// principal picks who makes a request about a scope: mostly someone who
// may, often someone who may not.
func (w *world) principal(sc string) *person {
	// Whoever can sign in afresh may: their cached token is renewed when
	// their identity was made again; sometimes the stale one is sent. A
	// token that still stands for someone is kept.
	for _, p := range w.persons {
		id := w.m.identityOf(p.email)
		useful := p.token != "" && w.m.caller(p.tokenSub) != nil
		if id != nil && (p.token == "" || (p.tokenSub != id.Sub && !useful && w.chance(0.8))) {
			if err := w.refresh(p, true); err != nil {
				w.failf("%v", err)
			}
		}
	}
	r := w.rng.Float64()
	var pool []*person
	opAdmins := w.people(func(p *person, c *caller) bool { return c != nil && c.isOperatorAdmin() })
	switch {
	case r < 0.30:
		pool = opAdmins
	case r < 0.40:
		pool = w.people(func(p *person, c *caller) bool { return c != nil && c.isOperator() && !c.isOperatorAdmin() })
	case r < 0.70:
		pool = w.people(func(p *person, c *caller) bool {
			if c == nil {
				return false
			}
			if sc == provider {
				return len(c.members) > 0
			}
			x := c.members[sc]
			return x != nil && x.Admin
		})
	case r < 0.76:
		pool = w.people(func(p *person, c *caller) bool {
			if c == nil || c.isOperator() {
				return false
			}
			for cid, x := range c.members {
				if cid != sc && x.Admin {
					return true
				}
			}
			return false
		})
	case r < 0.84:
		pool = w.people(func(p *person, c *caller) bool {
			return c != nil && !c.isOperator() && (c.members[sc] == nil || !c.members[sc].Admin)
		})
	case r < 0.92:
		pool = w.people(func(p *person, c *caller) bool { return c == nil })
	case r < 0.95:
		return nil
	default:
		pool = w.people(func(*person, *caller) bool { return true })
	}
	if len(pool) == 0 {
		pool = opAdmins
	}
	if len(pool) == 0 {
		return nil // every operator admin holds a stale token this time
	}
	return pickOne(w, pool)
}

// ---- targets ----

// pickTarget picks the member a route acts on: often the caller's own
// membership (the last-admin cases), mostly one that the operation suits,
// sometimes one of another scope or an id that names nobody.
func (w *world) pickTarget(who *person, sc string, suits func(*member) bool) target {
	r := w.rng.Float64()
	if who != nil && r < 0.2 {
		for _, x := range w.m.memberships(who.tokenSub) {
			if x.Scope == sc {
				return target{scope: sc, id: x.ID, x: x}
			}
		}
	}
	all := w.m.inScope(sc)
	switch {
	case r < 0.88 && len(all) > 0:
		pool := all
		if suits != nil && w.chance(0.7) {
			var good []*member
			for _, x := range all {
				if suits(x) {
					good = append(good, x)
				}
			}
			if len(good) > 0 {
				pool = good
			}
		}
		x := pickOne(w, pool)
		return target{scope: sc, id: x.ID, x: x}
	case r < 0.95:
		other := w.m.sorted(func(x *member) bool { return x.Scope != sc })
		if len(other) > 0 {
			return target{scope: sc, id: pickOne(w, other).ID}
		}
	}
	prefix := "usr_"
	if sc == provider {
		prefix = "opr_"
	}
	return target{scope: sc, id: prefix + w.fakeID()}
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

func (w *world) fakeID() string {
	b := make([]byte, 26)
	for i := range b {
		b[i] = idAlphabet[w.pick(len(idAlphabet))]
	}
	return string(b)
}

// ---- input ----

var invalidEmails = []string{"", "not-an-email", "two@@at.example", "spa ces@model.example", "a@b", "x@y.123", "<a@b.example>"}

// pickEmail: mostly one of the people (sometimes as a person would type it),
// sometimes one that is not an address.
func (w *world) pickEmail() string {
	switch r := w.rng.Float64(); {
	case r < 0.10:
		return pickOne(w, invalidEmails)
	case r < 0.22:
		e := pickOne(w, w.persons[1:]).email
		return "  " + strings.ToUpper(e[:1]) + e[1:] + " "
	default:
		return pickOne(w, w.persons[1:]).email
	}
}

// randomRoles picks roles from the catalogue made at setup (Billing, Ops,
// Viewer), in any case, now and then one that is not in it, or "all".
func (w *world) randomRoles() any {
	switch r := w.rng.Float64(); {
	case r < 0.06:
		return []string{"Ops", ""}
	case r < 0.10:
		return []string{"ops", "Nobody"}
	case r < 0.15:
		return []string{}
	case r < 0.22:
		return "all"
	default:
		pool := []string{"Ops", "billing", " Viewer ", "OPS"}
		var out []string
		for _, x := range pool {
			if w.chance(0.5) {
				out = append(out, x)
			}
		}
		if out == nil {
			out = []string{"Ops"}
		}
		return out
	}
}

func (w *world) randomPortals(sc string) []string {
	cu := w.m.customer(sc)
	switch r := w.rng.Float64(); {
	case r < 0.07:
		return []string{"ptl_" + w.fakeID()}
	case r < 0.14:
		for _, o := range w.m.customers {
			if o.ID != sc {
				return []string{o.portals[0].ID}
			}
		}
	case r < 0.2:
		return []string{}
	}
	var out []string
	if cu != nil {
		for _, p := range cu.portals {
			if w.chance(0.6) {
				out = append(out, p.ID)
				if w.chance(0.2) {
					out = append(out, p.ID)
				}
			}
		}
	}
	if out == nil && cu != nil {
		out = []string{cu.portals[0].ID}
	}
	if out == nil {
		out = []string{"ptl_" + w.fakeID()}
	}
	return out
}

func (w *world) randomName() string {
	switch r := w.rng.Float64(); {
	case r < 0.08:
		return "   "
	case r < 0.12:
		return strings.Repeat("n", 101)
	default:
		return fmt.Sprintf("Name %d", w.pick(5))
	}
}

func (w *world) newKey() string {
	w.keys++
	return fmt.Sprintf("k-%d-%d", w.seed, w.keys)
}

// pickKey: none, a new one, or a key this caller used before for the same
// operation (its body as it was: a replay; or changed: a 422).
func (w *world) pickKey(who *person, op string, faulty bool) (key string, replay *idemRecord) {
	if who != nil && w.chance(0.18) {
		var recs []*idemRecord
		for _, r := range w.sortedIdem() {
			if r.who == who && r.op == op && r.recorded && w.m.now.Sub(r.at) < idempotencyTTL && idem.ID(who.tokenSub, op, r.key) == r.id {
				recs = append(recs, r)
			}
		}
		if len(recs) > 0 {
			return "", pickOne(w, recs)
		}
	}
	if faulty || w.chance(0.3) {
		return w.newKey(), nil
	}
	return "", nil
}

func (w *world) sortedIdem() []*idemRecord {
	var out []*idemRecord
	for _, r := range w.m.idem {
		out = append(out, r)
	}
	// By key: keys are k-<seed>-<n>, made in order.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && keyNum(out[j].key) < keyNum(out[j-1].key); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func keyNum(k string) int {
	var seed uint64
	var n int
	fmt.Sscanf(k, "k-%d-%d", &seed, &n)
	return n
}

// ---- the generators ----

func (w *world) genInviteUser(faulty bool) *step {
	sc := w.pickCustomerScope()
	unknown := w.chance(0.03)
	who := w.principal(sc)
	if unknown {
		sc = "cus_" + w.fakeID()
	}
	op := "invite-user:" + sc
	key, replay := w.pickKey(who, op, faulty)
	if replay != nil {
		return w.replayed(who, replay, func(r request) *step {
			var sp inviteSpec
			sp.scope, sp.key = replay.scope, replay.key
			sp.body = decodeBody(r.body)
			return w.invite(who, sp)
		})
	}
	body := map[string]any{"email": w.pickEmail()}
	if w.chance(0.25) {
		body["name"] = w.randomName()
	}
	w.randomAccess(body, sc, accessOdds{admin: 0.6, adminTrue: 0.5, roles: 0.35, portals: 0.35})
	s := w.invite(who, inviteSpec{scope: sc, body: body, key: key})
	w.keyOutcome(who, op, s)
	return s
}

// accessOdds are the chances that a generated body sets the admin flag
// (and that the flag is true), roles, and portal setups.
type accessOdds struct{ admin, adminTrue, roles, portals float64 }

// randomAccess sets, each by its chance, the fields of a member's access
// in body: the admin flag, roles from the catalogue, portal setups of sc.
func (w *world) randomAccess(body map[string]any, sc string, o accessOdds) {
	if w.chance(o.admin) {
		body["admin"] = w.chance(o.adminTrue)
	}
	if w.chance(o.roles) {
		body["roles"] = w.randomRoles()
	}
	if w.chance(o.portals) {
		body["portalIds"] = w.randomPortals(sc)
	}
}

// replayed sends a request again with the key it first came with: byte
// for byte (a replay), or with another body (a 422).
func (w *world) replayed(who *person, rec *idemRecord, build func(request) *step) *step {
	r := rec.req
	if w.chance(0.25) {
		// Another body, of fields the operation takes.
		b := decodeBody(r.body)
		if _, bulk := b["emails"]; bulk {
			admin, _ := b["admin"].(bool)
			b["admin"] = !admin
		} else {
			b["name"] = fmt.Sprintf("Other %d", w.pick(100))
		}
		r.body = jsonBody(b)
	}
	s := build(r)
	s.req = request{method: r.method, path: r.path, body: r.body, key: rec.key}
	s.desc = "replays " + rec.key + ": " + w.pretty(s.req.String())
	return s
}

// keyOutcome remembers a new key whose request will change nothing.
func (w *world) keyOutcome(who *person, op string, s *step) {
	if s.req.key == "" {
		return
	}
	if c := w.callerOf(who); c != nil && s.pred.effect == nil {
		w.noteKey(c, op, s.req)
		w.m.idem[idem.ID(c.sub, op, s.req.key)].who = who
	}
}

func decodeBody(b []byte) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}

func (w *world) genInviteOperator(faulty bool) *step {
	who := w.principal(provider)
	op := "invite-operator"
	key, replay := w.pickKey(who, op, faulty)
	if replay != nil {
		return w.replayed(who, replay, func(r request) *step {
			return w.invite(who, inviteSpec{scope: provider, body: decodeBody(r.body), key: replay.key})
		})
	}
	body := map[string]any{"email": w.pickEmail()}
	switch r := w.rng.Float64(); {
	case r < 0.45:
		body["role"] = "admin"
	case r < 0.92:
		body["role"] = "technician"
	case r < 0.96:
		body["role"] = "boss"
	}
	if w.chance(0.2) {
		body["name"] = w.randomName()
	}
	s := w.invite(who, inviteSpec{scope: provider, body: body, key: key})
	w.keyOutcome(who, op, s)
	return s
}

func (w *world) genBulk(faulty bool) *step {
	sc := w.pickCustomerScope()
	who := w.principal(sc)
	op := "bulk-invite:" + sc
	key, replay := w.pickKey(who, op, faulty)
	if replay != nil {
		return w.replayed(who, replay, func(r request) *step { return w.bulk(who, replay.scope, decodeBody(r.body), replay.key) })
	}
	var emails []string
	n := 1 + w.pick(5)
	if w.chance(0.03) {
		n = 0
	}
	for range n {
		emails = append(emails, w.pickEmail())
	}
	if n > 0 && w.chance(0.25) {
		emails = append(emails, strings.ToUpper(emails[0]))
	}
	body := map[string]any{"emails": emails}
	w.randomAccess(body, sc, accessOdds{admin: 0.5, adminTrue: 0.4, roles: 0.3, portals: 0.3})
	s := w.bulk(who, sc, body, key)
	w.keyOutcome(who, op, s)
	return s
}

// pickToken: the token of the latest e-mail to an invitee, mostly; or an
// older one, a dead one, a made-up or malformed one, or none.
func (w *world) pickToken() tokenChoice {
	r := w.rng.Float64()
	invited := w.m.sorted(func(x *member) bool { return x.token != "" || len(x.stale) > 0 })
	if r < 0.75 && len(invited) > 0 {
		pending := w.m.sorted(func(x *member) bool { return x.Status == "unconfirmed" && (x.token != "" || len(x.stale) > 0) })
		pool := invited
		if len(pending) > 0 && w.chance(0.85) {
			pool = pending
		}
		// An invitation that expires within a second of now is where the
		// expiry check is most likely to be off: taken when there is one.
		edge := w.m.sorted(func(x *member) bool {
			if x.token == "" || x.Inv == nil {
				return false
			}
			d := x.Inv.ExpiresAt.Sub(w.m.now)
			return d > -time.Second && d < time.Second
		})
		if len(edge) > 0 && w.chance(0.8) {
			pool = edge
		}
		x := pickOne(w, pool)
		tok := x.token
		kind := "latest"
		if tok == "" {
			tok, kind = x.stale[len(x.stale)-1], "latest (dead)"
		}
		return tokenChoice{token: &tok, x: x, kind: kind}
	}
	switch {
	case r < 0.83 && len(invited) > 0:
		with := w.m.sorted(func(x *member) bool { return len(x.stale) > 0 })
		if len(with) > 0 {
			x := pickOne(w, with)
			tok := pickOne(w, x.stale)
			return tokenChoice{token: &tok, x: x, kind: "stale"}
		}
	case r < 0.88 && len(w.dead) > 0:
		tok := pickOne(w, w.dead)
		return tokenChoice{token: &tok, kind: "dead"}
	case r < 0.94:
		b := make([]byte, 32)
		for i := range b {
			b[i] = byte(w.pick(256))
		}
		tok := base64.RawURLEncoding.EncodeToString(b)
		return tokenChoice{token: &tok, kind: "made-up"}
	case r < 0.97:
		tok := "not-a-token"
		return tokenChoice{token: &tok, kind: "malformed"}
	}
	return tokenChoice{kind: "missing"}
}

func (w *world) genAccept(bool) *step {
	tc := w.pickToken()
	var password, name *string
	switch r := w.rng.Float64(); {
	case r < 0.78:
		if tc.x != nil {
			pw := w.personOf(tc.x.Email).password
			password = &pw
		} else {
			pw := "pw-nobody-correct-horse"
			password = &pw
		}
	case r < 0.92:
		pw := weakPassword
		password = &pw
	}
	if w.chance(0.15) {
		n := w.randomName()
		name = &n
	}
	return w.accept(tc, password, name)
}

func (w *world) genInspect(bool) *step { return w.inspect(w.pickToken()) }

func (w *world) genReinvite(sc string) *step {
	who := w.principal(sc)
	t := w.pickTarget(who, sc, func(x *member) bool { return x.Status == "unconfirmed" })
	return w.reinvite(who, t)
}

func (w *world) genUpdate(sc string) *step {
	who := w.principal(sc)
	t := w.pickTarget(who, sc, nil)
	body := map[string]any{}
	if w.chance(0.3) {
		body["name"] = w.randomName()
	}
	if sc == provider {
		if w.chance(0.8) {
			body["role"] = pickOne(w, []string{"admin", "technician", "technician", "admin", "boss"})
		}
	} else {
		w.randomAccess(body, sc, accessOdds{admin: 0.6, adminTrue: 0.45, roles: 0.3, portals: 0.3})
	}
	if w.chance(0.04) {
		body = map[string]any{}
	}
	ifMatch := ""
	switch r := w.rng.Float64(); {
	case r < 0.25 && t.x != nil:
		ifMatch = fmt.Sprintf(`"%d"`, t.x.Version)
	case r < 0.37 && t.x != nil:
		v := t.x.Version - 1
		if v < 1 {
			v = t.x.Version + 1
		}
		ifMatch = fmt.Sprintf(`"%d"`, v)
	case r < 0.40:
		ifMatch = "yesterday"
	}
	return w.update(who, t, body, ifMatch)
}

func (w *world) genStatus(sc, to string) *step {
	who := w.principal(sc)
	t := w.pickTarget(who, sc, func(x *member) bool {
		if to == "enabled" {
			return x.Status == "disabled"
		}
		return x.Status == "enabled"
	})
	return w.setStatus(who, t, to)
}

func (w *world) genDelete(sc string) *step {
	who := w.principal(sc)
	t := w.pickTarget(who, sc, nil)
	return w.remove(who, t)
}

// The clock: moves that cross the boundaries the contract names (cooldown,
// send lease, reminder, expiry, marker grace), often to the very
// millisecond before, at or after one of them.
var advances = []time.Duration{
	time.Second, 30 * time.Second, 59 * time.Second, 60 * time.Second, 61 * time.Second,
	89 * time.Second, 90 * time.Second, 91 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour,
	24 * time.Hour, 47 * time.Hour, 49 * time.Hour, 119 * time.Hour, 121 * time.Hour, 167 * time.Hour, 169 * time.Hour,
}

func (w *world) pickAdvance() (time.Duration, string) {
	m := w.m
	if w.chance(0.12) {
		// To a whole second: times then end in ".000", which RFC 3339
		// writes without a fraction at all.
		next := m.now.Truncate(time.Second).Add(time.Second)
		return next.Sub(m.now), " (to a whole second)"
	}
	if w.chance(0.5) {
		var deadlines []time.Time
		for _, x := range m.sorted(nil) {
			if inv := x.Inv; inv != nil && inv.State == "pending" {
				if inv.LastSentAt != nil {
					deadlines = append(deadlines, inv.LastSentAt.Add(reinviteCooldown))
				}
				if inv.AttemptedAt != nil {
					deadlines = append(deadlines, inv.AttemptedAt.Add(sendLease))
				}
				if inv.RemindAt != nil {
					deadlines = append(deadlines, *inv.RemindAt)
				}
				deadlines = append(deadlines, inv.ExpiresAt, inv.ExpiresAt)
			}
		}
		for _, sub := range sortedKeys(m.markers) {
			deadlines = append(deadlines, m.markers[sub])
		}
		var ahead []time.Time
		for _, d := range deadlines {
			if d.After(m.now.Add(time.Millisecond)) {
				ahead = append(ahead, d)
			}
		}
		if len(ahead) > 0 {
			d := pickOne(w, ahead).Add(time.Duration(w.pick(3)-1) * time.Millisecond)
			return d.Sub(m.now), " (to a deadline ±1ms)"
		}
	}
	return pickOne(w, advances), ""
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func (w *world) genAdvance(bool) *step {
	d, why := w.pickAdvance()
	return w.advance(d, why)
}

func (w *world) genSweep(bool) *step {
	why := ""
	if w.chance(0.6) {
		d, how := w.pickAdvance()
		setNow(now().Add(d))
		w.m.now = now()
		why = fmt.Sprintf("after moving the clock by %s%s", d, how)
	}
	return w.sweep(why)
}
