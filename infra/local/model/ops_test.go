package model

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/infra/local/faults"
	"github.com/portalaccess/portalaccess/infra/local/testkit"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/domain"
)

// The calls a fault may strike, named as the injector records them.
const (
	callGet      = "DynamoDB.GetItem"
	callQuery    = "DynamoDB.Query"
	callPut      = "DynamoDB.PutItem"
	callUpdate   = "DynamoDB.UpdateItem"
	callDelete   = "DynamoDB.DeleteItem"
	callTx       = "DynamoDB.TransactWriteItems"
	callGetUser  = "Cognito Identity Provider.AdminGetUser"
	callCreate   = "Cognito Identity Provider.AdminCreateUser"
	callPassword = "Cognito Identity Provider.AdminSetUserPassword"
	callEnable   = "Cognito Identity Provider.AdminEnableUser"
	callDisable  = "Cognito Identity Provider.AdminDisableUser"
	callDelUser  = "Cognito Identity Provider.AdminDeleteUser"
	callSignOut  = "Cognito Identity Provider.AdminUserGlobalSignOut"
	callSend     = "SESv2.SendEmail"
)

var (
	callsInvite   = []string{callQuery, callGet, callTx, callUpdate, callSend}
	callsBulk     = []string{callQuery, callGet, callPut, callUpdate, callTx, callSend}
	callsAccept   = []string{callUpdate, callGet, callQuery, callGetUser, callCreate, callPassword, callPut, callTx, callEnable, callDelete}
	callsInspect  = []string{callUpdate, callGet, callQuery, callGetUser}
	callsReinvite = []string{callQuery, callGet, callTx, callUpdate, callSend}
	callsUpdate   = []string{callQuery, callGet, callTx}
	callsStatus   = []string{callQuery, callGet, callTx, callEnable, callDisable, callSignOut, callDelete}
	callsDelete   = []string{callQuery, callGet, callTx, callDelUser, callEnable, callDisable, callSignOut, callDelete}
	callsSweep    = []string{callQuery, callGet, callTx, callUpdate, callDelete, callSend, callEnable, callDisable, callDelUser,
		callGetUser, callCreateClient, callBranding, callListClients, callUpdateClient, callDeleteClient}
)

// The passwords people choose: one that meets the policy, one that does not.
const weakPassword = "too-short"

// sesOutcome is what a struck SendEmail does to the invitation: an error
// or throttling means nothing went out (delivery failed); a lost answer
// means the e-mail did go out and the outcome stays unknown (pending).
func sesOutcome(k faults.Kind) string {
	if k == faults.Timeout {
		return "unknown"
	}
	return "failed"
}

func remindAt(now time.Time) *time.Time {
	at := now.Add(invitationTTL - reminderBefore)
	if at.Sub(now) >= reminderBefore {
		return &at
	}
	return nil
}

func newInvitation(now time.Time) *invitation {
	return &invitation{State: "pending", Delivery: "pending", AttemptedAt: tsp(now),
		ExpiresAt: now.Add(invitationTTL), RemindAt: remindAt(now), rotated: true}
}

// rotate gives x a fresh token and expiry, as a re-invite does; the old
// link dies.
func (w *world) rotate(x *member) {
	now := w.m.now
	if x.token != "" {
		x.stale = append(x.stale, x.token)
	}
	x.token = ""
	old := x.Inv
	inv := newInvitation(now)
	inv.SendCount, inv.LastSentAt, inv.TokenHash = old.SendCount, old.LastSentAt, old.TokenHash
	x.Inv = inv
	x.Version++
	x.UpdatedAt = now
}

// spend kills x's current token (accepted, expired, deleted).
func (w *world) spend(x *member) {
	if x.token != "" {
		x.stale = append(x.stale, x.token)
		w.dead = append(w.dead, x.token)
	}
	x.token = ""
}

// deliver models handing one e-mail of x to SES now. With the sends of a
// step running at once (bulk), which send a fault strikes is read from the
// answer instead (see bulk).
func (w *world) deliver(sc *stepCtx, x *member, kind string, parallel bool) {
	sc.sends++
	outcome := "sent"
	if f := sc.fault; f != nil && f.Call == callSend && f.Nth == sc.sends && !parallel {
		outcome = sesOutcome(f.Kind)
		sc.sesStruck = true
	}
	w.applyDelivery(sc, x, kind, outcome)
}

func (w *world) applyDelivery(sc *stepCtx, x *member, kind, outcome string) {
	now := w.m.now
	switch outcome {
	case "sent":
		x.Inv.Delivery, x.Inv.LastSentAt = "sent", tsp(now)
		x.Inv.SendCount++
		sc.mails = append(sc.mails, expectedMail{m: x, kind: kind})
		w.m.mail[x.Email]++
	case "failed":
		x.Inv.Delivery = "failed"
		if kind == "reminder" {
			x.Inv.ReminderSentAt = nil // back among the reminders due
		}
	case "unknown":
		x.Inv.Delivery = "pending" // it went out; nothing sends it again within the lease
		sc.mails = append(sc.mails, expectedMail{m: x, kind: kind})
		w.m.mail[x.Email]++
	}
	sc.note = append(sc.note, fmt.Sprintf("%s e-mail to %s: %s", kind, w.label(x), outcome))
}

// needsResend mirrors what a retried invite finishes: a pending invitation
// whose e-mail failed, or was never confirmed and is no longer under way.
func (w *world) needsResend(x *member) bool {
	inv := x.Inv
	return x.Status == "unconfirmed" && inv != nil && inv.State == "pending" &&
		(inv.Delivery == "failed" || (inv.Delivery == "pending" && !w.underWay(inv)))
}

func (w *world) underWay(inv *invitation) bool {
	return inv.Delivery == "pending" && inv.AttemptedAt != nil && w.m.now.Sub(*inv.AttemptedAt) < sendLease
}

func (w *world) event(sc string) { w.m.audit[sc]++ }

// callerOf is who a step's token stands for; nil answers 401.
func (w *world) callerOf(p *person) *caller {
	if p == nil || p.token == "" {
		return nil
	}
	if w.stale != nil && p == w.stalePerson {
		return w.stale
	}
	return w.m.caller(p.tokenSub)
}

func unauthenticated() *expect { return refuse(401, "unauthenticated") }

// ---- invite a portal user, invite an operator ----

type inviteSpec struct {
	scope string // customer id, or provider
	body  map[string]any
	email string // as sent
	key   string
}

// invite is POST /v1/customers/{cid}/users (or /v1/operators): a new
// unconfirmed member, its invitation e-mailed; with an Idempotency-Key, a
// replay answers what the first request made.
func (w *world) invite(who *person, sp inviteSpec) *step {
	m := w.m
	isOp := sp.scope == provider
	path := "/v1/customers/" + sp.scope + "/users"
	opName, idemOp := "invite-user", "invite-user:"+sp.scope
	if isOp {
		path, opName, idemOp = "/v1/operators", "invite-operator", "invite-operator"
	}
	s := &step{op: opName, who: who, calls: callsInvite, idemOp: idemOp,
		req: request{method: "POST", path: path, body: jsonBody(sp.body), key: sp.key}}
	s.pred = func() *expect {
		c := w.callerOf(who)
		if c == nil {
			return unauthenticated()
		}
		if isOp {
			if e := operatorAdmin(c); e != nil {
				return e
			}
		} else if e := m.userManager(c, sp.scope, true); e != nil {
			return e
		}
		rec, e := w.idemLookup(c, idemOp, s.req)
		if e != nil {
			return e
		}
		email, name, roles, portals, role, bad := w.memberFields(sp.scope, sp.body, true)
		if len(bad) > 0 {
			return refuse(400, "", bad...)
		}
		if c.ownEmail(sp.scope, email) {
			return selfInvite()
		}
		if rec != nil {
			x := m.members[rec.ref]
			if x == nil {
				e := ok(201, nil)
				e.note = "the first answer: the member it made was deleted since"
				return e
			}
			return ok(201, func(o *observation) error {
				if w.needsResend(x) {
					w.rotate(x)
					w.event(x.Scope)
					w.deliver(o.sc, x, "invitation", false)
				}
				return w.checkView(o.res, x)
			})
		}
		if m.byEmail(sp.scope, email) != nil {
			return refuse(409, "already_member")
		}
		return ok(201, func(o *observation) error {
			id, err := idOf(o.res.body)
			if err != nil {
				return err
			}
			x := &member{ID: id, Scope: sp.scope, Email: email, Name: name, Status: "unconfirmed",
				Roles: roles, Portals: portals, Role: role, Version: 1, Inv: newInvitation(m.now),
				CreatedAt: m.now, UpdatedAt: m.now}
			if v, ok := sp.body["admin"].(bool); ok && !isOp {
				x.Admin = v
			}
			if isOp {
				x.Roles, x.Portals = nil, nil
			}
			m.members[id] = x
			w.event(sp.scope)
			w.deliver(o.sc, x, "invitation", false)
			if sp.key != "" {
				w.record(who, c, idemOp, s.req, sp.scope, id, nil)
			}
			return w.checkView(o.res, x)
		})
	}()
	s.tolerate = w.tolerateNothing
	return s
}

// ownEmail: the e-mail is one of the caller's own (their enabled
// memberships', the operator's included) and the scope a customer. Nobody
// invites (or re-invites) themselves into a customer: staff would otherwise
// give themselves a membership that outlives their staff access.
func (c *caller) ownEmail(scope, email string) bool {
	if scope == provider || c == nil {
		return false
	}
	if c.operator != nil && strings.EqualFold(c.operator.Email, email) {
		return true
	}
	for _, x := range c.members {
		if strings.EqualFold(x.Email, email) {
			return true
		}
	}
	return false
}

// selfInvite is the answer to an invitation of one's own e-mail.
func selfInvite() *expect {
	return &expect{status: 400, code: "self_invite", fields: []string{"email"}}
}

// memberFields validates an invite's fields as the handler does, in its
// order, and returns the cleaned values.
func (w *world) memberFields(sc string, body map[string]any, invite bool) (email, name string, roles, portals []string, role string, bad []string) {
	if invite {
		raw, _ := body["email"].(string)
		e, code := domain.NormalizeEmail(raw)
		if code != "" {
			bad = append(bad, "email")
		}
		email = e
	}
	if v, present := body["name"]; present {
		n, code := domain.CleanText(v.(string), domain.MaxNameLength)
		if code != "" {
			bad = append(bad, "name")
		}
		name = n
	} else if invite {
		name = domain.LocalPart(email)
	}
	if sc == provider {
		if v, present := body["role"]; present || invite {
			r, _ := v.(string)
			if !domain.ValidOperatorRole(r) {
				bad = append(bad, "role")
			}
			role = r
		}
		return
	}
	if v, present := body["roles"]; present {
		cu := w.m.customer(sc)
		if v == "all" {
			roles = []string{}
			for _, r := range cu.catalogue() {
				roles = append(roles, r.Name)
			}
		} else {
			rs := toStrings(v)
			for i, r := range rs {
				_, known := cu.roleNamed(r)
				if _, code := domain.CleanText(r, domain.MaxRoleLength); code != "" || !known {
					bad = append(bad, fmt.Sprintf("roles.%d", i))
					break
				}
			}
			roles = cleanRoles(cu, rs)
		}
	}
	if v, present := body["portalIds"]; present {
		portals = dedupe(toStrings(v))
		cu := w.m.customer(sc)
		for i, id := range portals {
			if cu == nil || !slices.ContainsFunc(cu.portals, func(p *portal) bool { return p.ID == id }) {
				bad = append(bad, fmt.Sprintf("portalIds.%d", i))
				break
			}
		}
	}
	return
}

func toStrings(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		out := make([]string, len(x))
		for i, s := range x {
			out[i] = s.(string)
		}
		return out
	}
	return nil
}

func idOf(body []byte) (string, error) {
	var v struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.ID == "" {
		return "", fmt.Errorf("no id in the answer %s", clip(body))
	}
	return v.ID, nil
}

// checkView compares a member in an answer with the model.
func (w *world) checkView(res *response, x *member) error {
	var v testkit.User
	if err := json.Unmarshal(res.body, &v); err != nil {
		return fmt.Errorf("decode the answer: %v", err)
	}
	return w.compareView(x, v.ID, v.Email, v.Status, v.Version, v.Admin, v.Role, v.Roles, v.PortalIDs,
		v.Invitation != nil, func() (string, string, int) {
			return v.Invitation.State, v.Invitation.Delivery, v.Invitation.SendCount
		}, res.header.Get("ETag"))
}

func (w *world) compareView(x *member, id, email, status string, version int, admin bool, role string, roles, portals []string,
	hasInv bool, inv func() (string, string, int), etag string) error {
	var bad []string
	if id != x.ID || email != x.Email || status != x.Status || version != x.Version {
		bad = append(bad, fmt.Sprintf("%s %s %s v%d", id, email, status, version))
	}
	if x.isOperator() && role != x.Role {
		bad = append(bad, "role "+role)
	}
	if !x.isOperator() && (admin != x.Admin || !slices.Equal(norm(roles), norm(x.Roles)) || !slices.Equal(norm(portals), norm(x.Portals))) {
		bad = append(bad, fmt.Sprintf("admin=%v roles=%v portals=%v", admin, roles, portals))
	}
	if hasInv != (x.Inv != nil) {
		bad = append(bad, fmt.Sprintf("invitation present=%v", hasInv))
	} else if hasInv {
		st, d, n := inv()
		if st != x.Inv.State || d != x.Inv.Delivery || n != x.Inv.SendCount {
			bad = append(bad, fmt.Sprintf("invitation %s/%s/%d", st, d, n))
		}
	}
	if etag != "" && etag != fmt.Sprintf(`"%d"`, x.Version) {
		bad = append(bad, "ETag "+etag)
	}
	if len(bad) > 0 {
		return fmt.Errorf("the answer shows %s as %s; the model has %s v%d admin=%v role=%s roles=%v portals=%v %s",
			w.label(x), strings.Join(bad, ", "), x.Status, x.Version, x.Admin, x.Role, x.Roles, x.Portals, invString(x.Inv))
	}
	return nil
}

func invString(inv *invitation) string {
	if inv == nil {
		return "no invitation"
	}
	return fmt.Sprintf("invitation %s/%s/%d", inv.State, inv.Delivery, inv.SendCount)
}

// ---- idempotency keys ----

// idemLookup finds the record of a request's key: a replay (the same body)
// returns it, another body is a 422. Keys are scoped to the caller and the
// operation.
func (w *world) idemLookup(c *caller, op string, r request) (*idemRecord, *expect) {
	if r.key == "" {
		return nil, nil
	}
	rec := w.m.idem[idem.ID(c.sub, op, r.key)]
	if rec == nil || !rec.recorded {
		return nil, nil
	}
	if w.m.now.Sub(rec.at) >= idempotencyTTL {
		// The contract keeps a key 24 hours; the product measures its age by
		// the wall clock, which a test's business clock has left behind, so
		// the generator never replays older keys.
		panic("a key older than 24 h was replayed")
	}
	if rec.fingerprint != idem.Fingerprint(r.method, r.path, string(r.body)) {
		return nil, refuse(422, "idempotency_key_reused")
	}
	return rec, nil
}

// record notes that a request with a key made something.
func (w *world) record(who *person, c *caller, op string, r request, sc, ref string, results []bulkOutcome) *idemRecord {
	id := idem.ID(c.sub, op, r.key)
	rec := &idemRecord{id: id, who: who, fingerprint: idem.Fingerprint(r.method, r.path, string(r.body)), op: op, scope: sc,
		key: r.key, req: r, at: w.m.now, recorded: true, ref: ref, results: results}
	w.m.idem[id] = rec
	return rec
}

// noteKey remembers a key whose request changed nothing, so that the check
// can see that no record was kept.
func (w *world) noteKey(c *caller, op string, r request) {
	if r.key == "" || c == nil {
		return
	}
	id := idem.ID(c.sub, op, r.key)
	if w.m.idem[id] == nil {
		w.m.idem[id] = &idemRecord{id: id, op: op, key: r.key, req: r, at: w.m.now}
	}
}

func (w *world) tolerateNothing(*observation, []string) string { return "" }

// ---- bulk invite ----

// bulk is POST /v1/customers/{cid}/users/bulk: each e-mail gets its own
// outcome. With an Idempotency-Key, a replay answers as the first request
// did and does nothing again (it only finishes deliveries of its own users
// that did not go out).
func (w *world) bulk(who *person, cid string, body map[string]any, key string) *step {
	m := w.m
	idemOp := "bulk-invite:" + cid
	s := &step{op: "bulk-invite", who: who, calls: callsBulk, parallel: true, idemOp: idemOp,
		req: request{method: "POST", path: "/v1/customers/" + cid + "/users/bulk", body: jsonBody(body), key: key}}
	// By design, a bulk invite is many transactions; when one fails the
	// request answers 5xx, and the users invited so far stay, e-mailed.
	// The retry (same key) then finishes it. Allowed when every trace is
	// of that kind: a new member of this request, its e-mail record, its
	// token, its portal links, its e-mail, its audit event, the customer's
	// counts.
	s.tolerate = func(o *observation, trace []string) string {
		if o.res.status < 400 {
			return ""
		}
		mine := map[string]bool{}
		for _, raw := range toStrings(body["emails"]) {
			if e, code := domain.NormalizeEmail(raw); code == "" {
				mine[e] = true
			}
		}
		for _, line := range trace {
			okLine := false
			switch {
			case strings.HasPrefix(line, "item added: C#"+cid+"|U#"), strings.HasPrefix(line, "item added: INV#"),
				strings.HasPrefix(line, "item added: PL#"):
				okLine = true
			case strings.HasPrefix(line, "item added: C#"+cid+"|E#"):
				e := strings.Fields(strings.TrimPrefix(line, "item added: C#"+cid+"|E#"))[0]
				okLine = mine[e]
			case strings.HasPrefix(line, "e-mail sent to ["):
				e := strings.TrimSuffix(strings.Fields(strings.TrimPrefix(line, "e-mail sent to ["))[0], "]:")
				okLine = mine[e]
			case strings.HasPrefix(line, "audit events of C#"+cid+":"):
				okLine = true
			case strings.HasPrefix(line, "item changed: C#"+cid+"|C\n"), line == "item changed: C#"+cid+"|C":
				// The customer's counts and seats, which count the users
				// made (the model checks them against its own after each step).
				okLine = true
			}
			if !okLine {
				return ""
			}
		}
		return "bulkFailureKeepsItsWork"
	}
	s.pred = func() *expect {
		c := w.callerOf(who)
		if c == nil {
			return unauthenticated()
		}
		if e := m.userManager(c, cid, true); e != nil {
			return e
		}
		emails := toStrings(body["emails"])
		if len(emails) == 0 || len(emails) > 100 {
			return refuse(400, "", "emails")
		}
		rec, e := w.idemLookup(c, idemOp, s.req)
		if e != nil {
			return e
		}
		_, _, roles, portals, _, bad := w.memberFields(cid, body, false)
		if bad = slices.DeleteFunc(bad, func(f string) bool { return f == "name" }); len(bad) > 0 {
			return refuse(400, "", bad...)
		}
		admin, _ := body["admin"].(bool)
		reqID := ""
		if key != "" {
			reqID = idem.ID(c.sub, idemOp, key)
		}
		// What the request does per e-mail: the product's own rule.
		type job struct {
			email, outcome string
			x              *member // an existing member it resumes
		}
		plan := func() []job {
			var out []job
			seen := map[string]bool{}
			for _, raw := range emails {
				email, code := domain.NormalizeEmail(raw)
				switch {
				case code != "":
					out = append(out, job{email: raw, outcome: "invalid"})
				case c.ownEmail(cid, email):
					out = append(out, job{email: email, outcome: "invalid"})
				case seen[email]:
					out = append(out, job{email: email, outcome: "already_member"})
				default:
					seen[email] = true
					x := m.byEmail(cid, email)
					switch {
					case x == nil:
						out = append(out, job{email: email, outcome: "invited"})
					case reqID != "" && x.Request == reqID:
						out = append(out, job{email: email, outcome: "invited", x: x})
					default:
						out = append(out, job{email: email, outcome: "already_member"})
					}
				}
			}
			return out
		}()
		if rec != nil && !rec.complete {
			// The first answer was not recorded (the write that records it
			// failed): the product resumes the request as a retry does,
			// which the plan above is. Users deleted since are made again.
			rec = nil
		}
		if rec != nil {
			// The contract: the first answer, and nothing done again but the
			// deliveries of its own users that have not gone out.
			var again []job
			for _, r := range rec.results {
				j := job{email: r.Email, outcome: r.Outcome}
				if r.Outcome == "invited" {
					if x := m.members[r.ID]; x != nil && x.Request == reqID {
						j.x = x
					} else {
						j.outcome = "invited-gone" // answered as invited; nothing made again
					}
				}
				again = append(again, j)
			}
			plan = again
		}
		e2 := ok(200, func(o *observation) error {
			var ans struct {
				Results []struct {
					Email   string `json:"email"`
					Outcome string `json:"outcome"`
					User    *struct {
						ID         string `json:"id"`
						Invitation struct {
							Delivery string `json:"delivery"`
						} `json:"invitation"`
					} `json:"user"`
				} `json:"results"`
			}
			if err := json.Unmarshal(o.res.body, &ans); err != nil {
				return err
			}
			if len(ans.Results) != len(plan) {
				return fmt.Errorf("%d results for %d e-mails", len(ans.Results), len(plan))
			}
			var outcomes []bulkOutcome
			var sent []*member
			for i, j := range plan {
				r := ans.Results[i]
				want := j.outcome
				if want == "invited-gone" {
					want = "invited"
				}
				if r.Email != j.email || r.Outcome != want {
					return fmt.Errorf("result %d is %s %s; the model says %s %s", i, r.Email, r.Outcome, j.email, want)
				}
				bo := bulkOutcome{Email: r.Email, Outcome: r.Outcome}
				switch {
				case j.outcome == "invited" && j.x == nil:
					if r.User == nil {
						return fmt.Errorf("result %d has no user", i)
					}
					x := &member{ID: r.User.ID, Scope: cid, Email: j.email, Name: domain.LocalPart(j.email), Status: "unconfirmed",
						Admin: admin, Roles: roles, Portals: portals, Version: 1, Inv: newInvitation(m.now),
						CreatedAt: m.now, UpdatedAt: m.now, Request: reqID}
					m.members[x.ID] = x
					w.event(cid)
					sent = append(sent, x)
					bo.ID = x.ID
				case j.outcome == "invited":
					bo.ID = j.x.ID
					if r.User == nil || r.User.ID != j.x.ID {
						return fmt.Errorf("result %d does not name %s", i, w.label(j.x))
					}
					if w.needsResend(j.x) {
						w.rotate(j.x)
						w.event(cid)
						sent = append(sent, j.x)
					}
				case j.outcome == "invited-gone":
					if rec != nil {
						for _, rr := range rec.results {
							if rr.Email == j.email {
								bo.ID = rr.ID
							}
						}
					}
				}
				outcomes = append(outcomes, bo)
			}
			// The sends run at once: an SES fault strikes one of them, in an
			// order the model cannot know; the answer says which.
			struck := -1
			if f := o.sc.fault; f != nil && f.Call == callSend && o.sc.struck {
				if f.Nth > len(sent) {
					return fmt.Errorf("the fault struck send %d of %d", f.Nth, len(sent))
				}
				want := map[string]string{"failed": "failed", "unknown": "pending"}[sesOutcome(f.Kind)]
				for i, x := range sent {
					for _, r := range ans.Results {
						if r.User != nil && r.User.ID == x.ID && r.User.Invitation.Delivery == want {
							if struck >= 0 {
								return fmt.Errorf("two sends show the fault")
							}
							struck = i
						}
					}
				}
				if struck < 0 {
					return fmt.Errorf("no send shows the SES fault")
				}
				o.sc.sesStruck = true
			}
			for i, x := range sent {
				o.sc.sends++
				if i == struck {
					w.applyDelivery(o.sc, x, "invitation", sesOutcome(o.sc.fault.Kind))
				} else {
					w.applyDelivery(o.sc, x, "invitation", "sent")
				}
			}
			if rec == nil && key != "" {
				r := w.record(who, c, idemOp, s.req, cid, "", outcomes)
				it := o.after.items[itemKey("IDEM#"+r.id, "IDEM")]
				r.complete = str(it, "response") != ""
				if !r.complete && !(o.sc.struck && o.sc.fault.Call == callUpdate) {
					return fmt.Errorf("the bulk invite's first answer was not recorded, and no fault explains it")
				}
			}
			return nil
		})
		if rec != nil {
			e2.note = "replay"
		}
		return e2
	}()
	return s
}

// ---- accept and inspect an invitation ----

type tokenChoice struct {
	token   *string // nil: no token field
	x       *member // whose invitation it was (or nil)
	kind    string  // latest, stale, dead, madeup, malformed, missing
	display string
}

func (w *world) accept(tc tokenChoice, password, name *string) *step {
	m := w.m
	body := map[string]any{}
	if tc.token != nil {
		body["token"] = *tc.token
	}
	if password != nil {
		body["password"] = *password
	}
	if name != nil {
		body["name"] = *name
	}
	pw := "none"
	if password != nil {
		pw = "weak"
		if *password != weakPassword {
			pw = "good"
		}
	}
	s := &step{op: "accept", calls: callsAccept, req: request{method: "POST", path: "/v1/invitations/accept", body: jsonBody(body)},
		desc: fmt.Sprintf("%s token of %s, password %s, name %s", tc.kind, w.label(tc.x), pw, strp(name))}
	s.tolerate = w.tolerateNothing
	s.pred = func() *expect {
		if tc.token == nil {
			return refuse(400, "", "token")
		}
		if !domain.WellFormedToken(*tc.token) {
			return refuse(410, "invitation_invalid")
		}
		nm := ""
		if name != nil {
			n, code := domain.CleanText(*name, domain.MaxNameLength)
			if code != "" {
				return refuse(400, "", "name")
			}
			nm = n
		}
		x, bug := w.claimable(*tc.token)
		if x == nil {
			e := refuse(410, "invitation_invalid")
			e.knownBug = bug
			return e
		}
		id := m.identityOf(x.Email)
		existing := false
		if id != nil {
			for _, o := range m.memberships(id.Sub) {
				if o.Scope != x.Scope {
					existing = true
				}
			}
		}
		if !existing {
			if password == nil || *password == weakPassword {
				e := refuse(400, "", "password")
				e.knownBug = bug
				return e
			}
		}
		e := ok(200, func(o *observation) error {
			var a struct {
				Email, Status, SignIn string
			}
			if err := json.Unmarshal(o.res.body, &a); err != nil {
				return err
			}
			want := "password_set"
			if existing {
				want = "existing_account"
			}
			if a.Email != x.Email || a.Status != "enabled" || a.SignIn != want {
				return fmt.Errorf("accept answered %+v; the model says %s, %s", a, x.Email, want)
			}
			x.Status, x.Version, x.UpdatedAt = "enabled", x.Version+1, m.now
			x.Inv.State = "accepted"
			if nm != "" {
				x.Name = nm
			}
			w.spend(x)
			w.event(x.Scope)
			switch {
			case existing:
				// The accept brings an identity it did not make in line.
				x.Sub = id.Sub
				o.sc.synced[id.Sub] = true
			case id != nil: // an identity without membership: it takes the password
				x.Sub = id.Sub
				o.sc.synced[id.Sub] = true
			default:
				o.sc.created[x.Email] = append(o.sc.created[x.Email], x)
			}
			return nil
		})
		e.knownBug = bug
		return e
	}()
	return s
}

// holder is the member whose current, usable token this is.
func (w *world) holder(token string) *member {
	for _, x := range w.m.members {
		if x.tokenValid(token, w.m.now) {
			return x
		}
	}
	return nil
}

// claimable is whether accept can claim the token: it is current and not
// expired (the store compares fixed-width times, which sort as times).
func (w *world) claimable(token string) (*member, string) {
	if x := w.holder(token); x != nil {
		return x, ""
	}
	return nil, ""
}

func strp(p *string) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprintf("%q", *p)
}

func (w *world) inspect(tc tokenChoice) *step {
	m := w.m
	body := map[string]any{}
	if tc.token != nil {
		body["token"] = *tc.token
	}
	s := &step{op: "inspect", calls: callsInspect, req: request{method: "POST", path: "/v1/invitations/inspect", body: jsonBody(body)},
		desc: fmt.Sprintf("%s token of %s", tc.kind, w.label(tc.x))}
	s.tolerate = w.tolerateNothing
	s.pred = func() *expect {
		if tc.token == nil {
			return refuse(400, "", "token")
		}
		x := w.holder(*tc.token)
		if !domain.WellFormedToken(*tc.token) || x == nil {
			return refuse(410, "invitation_invalid")
		}
		existing := false
		if id := m.identityOf(x.Email); id != nil {
			for _, o := range m.memberships(id.Sub) {
				if o.Scope != x.Scope {
					existing = true
				}
			}
		}
		return &expect{status: 200, effect: func(o *observation) error {
			var v struct {
				Email           string    `json:"email"`
				CustomerName    *string   `json:"customerName"`
				ExpiresAt       time.Time `json:"expiresAt"`
				ExistingAccount bool      `json:"existingAccount"`
			}
			if err := json.Unmarshal(o.res.body, &v); err != nil {
				return err
			}
			cname := ""
			if cu := m.customer(x.Scope); cu != nil {
				cname = cu.Name
			}
			if v.Email != x.Email || v.ExistingAccount != existing || (v.CustomerName == nil) != x.isOperator() ||
				(v.CustomerName != nil && *v.CustomerName != cname) || !v.ExpiresAt.Equal(x.Inv.ExpiresAt.Truncate(time.Millisecond)) {
				return fmt.Errorf("inspect answered %+v; the model says %s existing=%v", v, x.Email, existing)
			}
			return nil
		}, note: "read only"}
	}()
	s.pred.readOnly = true
	s.pred.effect = orNoop(s.pred.effect)
	return s
}

// ---- the life cycle of one member ----

// target names the member a route acts on: a model member, or an id that
// names none in the scope.
type target struct {
	scope string
	id    string
	x     *member // nil: not a member of the scope
}

func (w *world) targetPath(t target, suffix string) string {
	if t.scope == provider {
		return "/v1/operators/" + t.id + suffix
	}
	return "/v1/customers/" + t.scope + "/users/" + t.id + suffix
}

// authTarget is the common start of the member routes: who may act on the
// scope, then whether the member exists.
func (w *world) authTarget(c *caller, t target) *expect {
	if c == nil {
		return unauthenticated()
	}
	if e := w.authScope(c, t); e != nil {
		return e
	}
	return w.badID(t)
}

// onMember is the start of the routes on one member: the caller, and a
// refusal when they may not act on the scope or the member is not there.
func (w *world) onMember(who *person, t target) (*caller, *expect) {
	c := w.callerOf(who)
	if e := w.authTarget(c, t); e != nil {
		return c, e
	}
	if t.x == nil || w.m.members[t.x.ID] == nil {
		return c, refuse(404, "not_found")
	}
	return c, nil
}

// authScope is who may act on the members of the scope.
func (w *world) authScope(c *caller, t target) *expect {
	if t.scope == provider {
		return operatorAdmin(c)
	}
	return w.m.userManager(c, t.scope, false)
}

// badID: an id of the wrong kind names nothing, without a read.
func (w *world) badID(t target) *expect {
	prefix := domain.PrefixUser
	if t.scope == provider {
		prefix = domain.PrefixOperator
	}
	if !domain.ValidID(prefix, t.id) {
		return refuse(404, "not_found")
	}
	return nil
}

// guard is the last-admin rule: portal admins acting in their customer,
// and anyone in the provider scope, cannot take away the scope's last
// enabled admin.
func (w *world) guard(c *caller, x *member, stillAdmin bool) bool {
	if !x.countsAsAdmin() || stillAdmin {
		return false
	}
	if x.isOperator() || c.actsAsPortalAdmin(x.Scope) {
		return w.m.admins(x.Scope) <= 1
	}
	return false
}

func (w *world) reinvite(who *person, t target) *step {
	m := w.m
	s := &step{op: opOf("reinvite", t.scope), who: who, calls: callsReinvite,
		req: request{method: "POST", path: w.targetPath(t, "/reinvite")}}
	s.tolerate = w.tolerateNothing
	s.pred = func() *expect {
		c, e := w.onMember(who, t)
		if e != nil {
			return e
		}
		x := t.x
		inv := x.Inv
		if x.Status != "unconfirmed" || inv == nil {
			return refuse(409, "invalid_state")
		}
		if c.ownEmail(x.Scope, x.Email) {
			return selfInvite()
		}
		if inv.Delivery == "sent" && inv.LastSentAt != nil && inv.LastSentAt.Add(reinviteCooldown).After(m.now) {
			return refuse(429, "reinvite_too_soon")
		}
		if w.underWay(inv) {
			return refuse(429, "reinvite_too_soon")
		}
		return ok(200, func(o *observation) error {
			w.rotate(x)
			w.event(x.Scope)
			w.deliver(o.sc, x, "invitation", false)
			return w.checkView(o.res, x)
		})
	}()
	return s
}

func opOf(verb, sc string) string {
	if sc == provider {
		return verb + "-operator"
	}
	return verb + "-user"
}

// update is PATCH of a user (name, admin, roles, portalIds) or an operator
// (name, role), optionally with If-Match.
func (w *world) update(who *person, t target, body map[string]any, ifMatch string) *step {
	m := w.m
	s := &step{op: opOf("update", t.scope), who: who, calls: callsUpdate,
		req: request{method: "PATCH", path: w.targetPath(t, ""), body: jsonBody(body), ifMatch: ifMatch}}
	s.tolerate = w.tolerateNothing
	s.pred = func() *expect {
		// The order of main's adapter: who may act on the scope, the
		// If-Match header, the id, then the body.
		c := w.callerOf(who)
		if c == nil {
			return unauthenticated()
		}
		if e := w.authScope(c, t); e != nil {
			return e
		}
		want := 0
		if ifMatch != "" {
			n, err := parseETag(ifMatch)
			if err != nil {
				return refuse(400, "", "If-Match")
			}
			want = n
		}
		if e := w.badID(t); e != nil {
			return e
		}
		if len(body) == 0 {
			return refuse(400, "", "body")
		}
		_, name, roles, portals, role, bad := w.memberFields(t.scope, body, false)
		if len(bad) > 0 {
			return refuse(400, "", bad...)
		}
		x := t.x
		if x == nil || m.members[x.ID] == nil {
			return refuse(404, "not_found")
		}
		if want > 0 && want != x.Version {
			return refuse(412, "version_mismatch")
		}
		after := x.clone()
		if _, ok := body["name"]; ok {
			after.Name = name
		}
		if t.scope == provider {
			if _, ok := body["role"]; ok {
				after.Role = role
			}
		} else {
			if v, ok := body["admin"].(bool); ok {
				after.Admin = v
			}
			if _, ok := body["roles"]; ok {
				after.Roles = roles
			}
			if _, ok := body["portalIds"]; ok {
				after.Portals = portals
			}
		}
		if x.Scope != provider && x.Sub != "" && x.Sub == c.sub && (after.Admin && !x.Admin || !subset(after.Portals, x.Portals)) {
			return refuse(403, "own_access") // nobody gives themselves more
		}
		if after.Name == x.Name && after.Admin == x.Admin && after.Role == x.Role &&
			slices.Equal(norm(after.Roles), norm(x.Roles)) && slices.Equal(norm(after.Portals), norm(x.Portals)) {
			return ok(200, func(o *observation) error { return w.checkView(o.res, x) }).unchanged()
		}
		if w.guard(c, x, after.countsAsAdmin()) {
			return refuse(409, "last_admin")
		}
		return ok(200, func(o *observation) error {
			x.Name, x.Admin, x.Role, x.Roles, x.Portals = after.Name, after.Admin, after.Role, after.Roles, after.Portals
			x.Version++
			x.UpdatedAt = m.now
			w.event(x.Scope)
			return w.checkView(o.res, x)
		})
	}()
	return s
}

// subset reports whether every one of a is in b.
func subset(a, b []string) bool {
	for _, v := range a {
		if !slices.Contains(b, v) {
			return false
		}
	}
	return true
}

func parseETag(v string) (int, error) {
	v = strings.Trim(strings.TrimPrefix(strings.TrimSpace(v), "W/"), `"`)
	var n int
	if _, err := fmt.Sscanf(v, "%d", &n); err != nil || n < 1 || fmt.Sprint(n) != v {
		return 0, fmt.Errorf("not an ETag")
	}
	return n, nil
}

// setStatus enables or disables a member; doing it twice changes nothing.
func (w *world) setStatus(who *person, t target, to string) *step {
	m := w.m
	verb := map[string]string{"enabled": "enable", "disabled": "disable"}[to]
	s := &step{op: opOf(verb, t.scope), who: who, calls: callsStatus,
		req: request{method: "POST", path: w.targetPath(t, "/"+verb)}}
	s.tolerate = w.tolerateNothing
	s.pred = func() *expect {
		c, e := w.onMember(who, t)
		if e != nil {
			return e
		}
		x := t.x
		switch x.Status {
		case "unconfirmed":
			return refuse(409, "invalid_state")
		case to:
			e := ok(200, func(o *observation) error { return w.checkView(o.res, x) }).unchanged()
			e.skipUsers = true
			return e
		}
		if to == "enabled" && x.Scope != provider && x.Sub != "" && x.Sub == c.sub {
			return refuse(403, "own_access") // nobody gives themselves more
		}
		if to == "disabled" && w.guard(c, x, false) {
			return refuse(409, "last_admin")
		}
		return ok(200, func(o *observation) error {
			x.Status = to
			x.Version++
			x.UpdatedAt = m.now
			w.event(x.Scope)
			o.sc.synced[x.Sub] = true
			return w.checkView(o.res, x)
		})
	}()
	return s
}

// remove is DELETE of a member: its invitation dies, its e-mail is free
// again, its identity goes when no other membership keeps it.
func (w *world) remove(who *person, t target) *step {
	m := w.m
	s := &step{op: opOf("delete", t.scope), who: who, calls: callsDelete,
		req: request{method: "DELETE", path: w.targetPath(t, "")}}
	s.pred = func() *expect {
		c, e := w.onMember(who, t)
		if e != nil {
			return e
		}
		x := t.x
		lastOfIdentity := x.Sub != "" && len(m.memberships(x.Sub)) == 1
		if w.guard(c, x, false) {
			e := refuse(409, "last_admin")
			if lastOfIdentity {
				e.note = "nothing changes: the caller keeps their identity"
			}
			return e
		}
		return &expect{status: 204, effect: func(o *observation) error {
			delete(m.members, x.ID)
			w.spend(x)
			w.event(x.Scope)
			if x.Sub != "" {
				// The identity follows after the commit: deleted with its
				// last membership, else brought in line. The model keeps an
				// identity without membership until Cognito no longer has it
				// (verify); a fault leaves its marker to the sweep.
				o.sc.synced[x.Sub] = true
			}
			return nil
		}}
	}()
	s.tolerate = w.tolerateNothing
	return s
}

func orNoop(f func(*observation) error) func(*observation) error {
	if f == nil {
		return func(*observation) error { return nil }
	}
	return f
}

// unchanged marks an answer that changes nothing in the table.
func (e *expect) unchanged() *expect {
	e.note = "no change"
	e.noChange = true
	return e
}
