package model

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/infra/local/faults"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/domain"
)

// person is someone with an e-mail address and a password; once an
// invitation of theirs is accepted they sign in and act as a principal.
type person struct {
	label, email, password string
	// token is the cached access token and tokenSub the sub it carries; a
	// disabled or deleted person keeps theirs, which the API must refuse.
	token, tokenSub string
}

// world is one seed's run: the model, the people, the random source and
// the trace.
type world struct {
	t       testing.TB
	seed    uint64
	rng     *rand.Rand
	m       *model
	persons []*person
	admin0  *person // the stack's first operator admin
	last    *snapshot
	trace   []string
	n       int // steps run
	ddb     *dynamodb.Client
	cog     *cip.Client

	mailSince  time.Time
	mailSeen   map[string]bool
	subsSeen   map[string]int // watched subs, token hashes, idempotency records (see watchFor)
	hashesSeen map[string]int
	audits     map[string]*auditTally
	keys       int // idempotency keys made

	// tolerated are the known bugs the model accepts (see knownBugs); hits
	// counts how often each one showed.
	tolerated map[string]bool
	hits      map[string]int
	stats     map[string]int
	// lastAdminAt rotates which admin of a scope signs in after a step.
	lastAdminAt int
	// dead are tokens that no longer work (accepted, expired, revoked).
	dead []string
	// idemWatch are the idempotency records the snapshot reads; portalSeen
	// the portals whose links it reads, clientSeen the app clients whose
	// CLIENT# records it reads (see watchFor).
	idemWatch  map[string]int
	portalSeen map[string]int
	clientSeen map[string]int
	// portalsMade numbers the portal setups the run made, for their names.
	portalsMade int
	// signedIn is, per identity, the Cognito state it last signed in with.
	signedIn map[string]cognitoUser
	// stale, when set, is who stalePerson's token stands for instead of
	// what the model says now: the caller as a request that began earlier
	// still sees them.
	stale       *caller
	stalePerson *person
}

// step is one operation: a request by a principal (or the sweep, or the
// clock), with the model's prediction of its answer.
type step struct {
	op   string
	who  *person
	req  request
	pred *expect
	// run replaces the HTTP request (sweep, clock).
	run func() (*response, error)
	// calls are what a fault may strike; none for steps without AWS calls.
	calls []string
	// parallel: its SES sends run at once (bulk invite).
	parallel bool
	// quiet steps (setup) are not counted among the random ones.
	quiet bool
	// tolerate is consulted when a check fails: a known bug that explains
	// the difference (its name), or "".
	tolerate func(o *observation, problems []string) string
	// after runs once the step's answer is checked (the sweep: everyone
	// signs in).
	after func() error
	// desc replaces the request in the trace.
	desc string
	// idemOp is the operation an Idempotency-Key is scoped to.
	idemOp string
	// interleave, when set, slips an operator's change of the caller in
	// before the request's commit (see interleaving).
	interleave *interleaving
}

// stepCtx is what one attempt of a step does besides its answer.
type stepCtx struct {
	fault  *faults.Fault
	struck bool
	sends  int // SES sends the model has placed so far
	mails  []expectedMail
	// created lists, per e-mail, the members that a new identity made by
	// this step links.
	created map[string][]*member
	// synced are the subs whose Cognito state this step brings in line.
	synced map[string]bool
	// sesStruck: the model placed the SES fault on one of the sends.
	sesStruck bool
	// note says what the sends did, for the trace.
	note []string
}

type expectedMail struct {
	m    *member
	kind string // invitation, reminder
}

func newStepCtx(f *faults.Fault, struck bool) *stepCtx {
	return &stepCtx{fault: f, struck: struck, created: map[string][]*member{}, synced: map[string]bool{}}
}

// observation is what an effect may read: the answer, the snapshot after
// the step, and the attempt's context.
type observation struct {
	res   *response
	after *snapshot
	sc    *stepCtx
	w     *world
	// retake: a tolerate hook repaired the emulators; look again.
	retake bool
	// knownBug: the effect followed a tolerated bug.
	knownBug string
}

func (w *world) logf(format string, args ...any) {
	w.trace = append(w.trace, fmt.Sprintf(format, args...))
}

// failf ends the seed: it prints the seed, the steps that led here and what
// the stack logged during the failing step.
func (w *world) failf(format string, args ...any) {
	w.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d, step %d: %s\n\n", w.seed, w.n, fmt.Sprintf(format, args...))
	fmt.Fprintf(&b, "replay: make model SEED=%d STEPS=%d\n\nsteps:\n", w.seed, *stepsFlagValue())
	lines := w.trace
	if len(lines) > 400 {
		fmt.Fprintf(&b, "  … %d steps before these\n", len(lines)-300)
		lines = append(slices.Clone(w.trace[:100]), w.trace[len(w.trace)-300:]...)
	}
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
	}
	if l := logs.Take(); l != "" {
		b.WriteString("\nthe stack's log of the failing step:\n")
		for _, line := range strings.Split(strings.TrimSpace(l), "\n") {
			if len(line) > 600 {
				line = line[:600] + "…"
			}
			b.WriteString("  " + line + "\n")
		}
	}
	w.t.Fatal(b.String())
}

func stepsFlagValue() *int {
	n := *flagSteps
	if n == 0 {
		n = defaultSteps
	}
	return &n
}

// pretty replaces ids by labels in a path or body, for the trace.
func (w *world) pretty(s string) string {
	for _, c := range w.m.customers {
		s = strings.ReplaceAll(s, c.ID, c.label)
		for _, p := range c.portals {
			s = strings.ReplaceAll(s, p.ID, p.Name)
		}
	}
	for _, x := range w.m.members {
		s = strings.ReplaceAll(s, x.ID, w.label(x))
	}
	return s
}

func (w *world) label(x *member) string {
	if x == nil {
		return "-"
	}
	return w.personOf(x.Email).label + "@" + w.m.scopeLabel(x.Scope)
}

func (w *world) personOf(email string) *person {
	for _, p := range w.persons {
		if p.email == email {
			return p
		}
	}
	return &person{label: email, email: email}
}

func (p *person) String() string {
	if p == nil {
		return "anonymous"
	}
	return p.label
}

// tokenFor is the token a principal sends: the cached one (principal signs
// people in beforehand when they may).
func (w *world) tokenFor(p *person) string {
	if p == nil {
		return ""
	}
	return p.token
}

// refresh signs a person in again when their identity signs in and the
// cached token is missing or of an identity that is gone; always signs in
// even when the cached token is current.
func (w *world) refresh(p *person, always bool) error {
	if p == nil {
		return nil
	}
	id := w.m.identityOf(p.email)
	if id == nil {
		return nil
	}
	if _, enabled := w.m.inLine(id.Sub); !enabled {
		return nil // on AWS a disabled identity cannot sign in; the cached token stays
	}
	if !always && p.token != "" && p.tokenSub == id.Sub {
		return nil
	}
	tok, err := w.signIn(p.email, p.password)
	if err != nil {
		return fmt.Errorf("%s (%s) cannot sign in: %w", p.label, p.email, err)
	}
	p.token, p.tokenSub = tok, subOfToken(tok)
	if p.tokenSub != id.Sub {
		return fmt.Errorf("%s signed in as %s, the model knows the identity as %s", p.label, p.tokenSub, id.Sub)
	}
	return nil
}

// exec runs a step: predicts, sends (with the fault, if any), checks the
// answer and everything around it, and retries a failed request once
// without the fault.
func (w *world) exec(s *step, fault *faults.Fault) {
	w.t.Helper()
	w.n++
	logs.Take()
	before := w.last
	callerBefore := map[*person]bool{}
	for _, p := range w.persons {
		callerBefore[p] = p.token != "" && w.m.caller(p.tokenSub) != nil
	}
	if s.req.key != "" && s.who != nil && s.who.tokenSub != "" {
		w.idemWatch[idem.ID(s.who.tokenSub, s.idemOp, s.req.key)] = watchFor + 1
	}
	injector.Record()
	if fault != nil {
		injector.Arm(*fault)
	}
	res, err := w.send(s)
	struck := false
	if fault != nil {
		struck = injector.Disarm()
	}
	if err != nil {
		w.logf("#%d %s", w.n, w.describe(s, fault, struck, nil, nil))
		w.failf("the request could not be made: %v", err)
	}
	after, err := w.take()
	if err != nil {
		w.failf("snapshot: %v", err)
	}
	sc := newStepCtx(fault, struck)
	var retry *response
	allMail := after.mails
	final := after
	matched := w.matches(s.pred, res)
	switch {
	case matched:
	case struck && failure(res, fault):
		// A failed request must leave no trace; then the same request,
		// sent again without the fault, must give the predicted answer.
		w.stats["failed under a fault"]++
		// A bulk invite records its key first, so that a retry finishes it;
		// an accept marks the identity it is about to make, so that the
		// sweep removes one that no membership came to hold. Neither is
		// seen by anyone.
		trace := diff(before, after, func(k string) bool {
			return strings.HasPrefix(k, "IDEM#") || strings.HasPrefix(k, "PID#")
		})
		w.learnPending(before, after)
		if len(trace) > 0 {
			bug := ""
			if s.tolerate != nil {
				bug = s.tolerate(&observation{res: res, after: after, sc: sc, w: w}, trace)
			}
			if bug == "" {
				w.logf("#%d %s", w.n, w.describe(s, fault, struck, res, nil))
				w.failf("a failed request (%s) left a trace:\n    %s", res, strings.Join(trace, "\n    "))
			}
			w.hit(bug, fmt.Sprintf("#%d %s", w.n, w.describe(s, fault, struck, res, nil)))
		}
		retry, err = w.send(s)
		if err != nil {
			w.failf("the retry could not be made: %v", err)
		}
		final, err = w.take()
		if err != nil {
			w.failf("snapshot: %v", err)
		}
		allMail = append(slices.Clone(after.mails), final.mails...)
		sc = newStepCtx(nil, false)
		if !w.matches(s.pred, retry) {
			w.logf("#%d %s", w.n, w.describe(s, fault, struck, res, retry))
			w.failf("retried without the fault, the request answered %s; the model predicts %s\n    %s", retry, s.pred, clip(retry.body))
		}
	default:
		w.logf("#%d %s", w.n, w.describe(s, fault, struck, res, nil))
		w.failf("the answer is %s; the model predicts %s%s\n    %s", res, s.pred, noteOf(s.pred), clip(res.body))
	}
	answer := res
	if retry != nil {
		answer = retry
	}
	w.logf("#%d %s", w.n, w.describe(s, fault, struck, res, retry))
	if s.pred.knownBug != "" {
		w.hit(s.pred.knownBug, w.lastLine())
	}
	if answer.invalid != nil {
		w.failf("the answer does not match the OpenAPI document: %v\n    %s", answer.invalid, clip(answer.body))
	}
	final.mails = allMail
	o := &observation{res: answer, after: final, sc: sc, w: w}
	reads := w.readSet()
	if s.pred.effect != nil {
		if err := s.pred.effect(o); err != nil {
			w.failf("%v", err)
		}
	}
	if o.knownBug != "" {
		w.hit(o.knownBug, w.lastLine())
	}
	if w.readSet() != reads {
		// A new customer or portal setup: what it keeps is read from now on.
		if final, err = w.take(); err != nil {
			w.failf("snapshot: %v", err)
		}
		final.mails = allMail
	}
	problems := w.verify(final, sc)
	if f := sc.fault; f != nil && f.Call == callSend && sc.struck != sc.sesStruck {
		problems = append(problems, fmt.Sprintf("the SES fault struck=%v, the model placed it: %v (%s)", sc.struck, sc.sesStruck, strings.Join(sc.note, "; ")))
	}
	if s.pred.effect == nil || s.pred.noChange || s.pred.readOnly {
		// A refusal changes nothing anyone can see; nor does a read or a
		// change to what already is.
		what := "a refused request"
		if s.pred.effect != nil {
			what = "a request that changes nothing"
		}
		after := final
		if s.pred.skipUsers {
			c := *final
			c.users = before.users
			after = &c
		}
		if trace := diff(before, after, nil); len(trace) > 0 {
			problems = append(problems, what+" ("+answer.String()+") left a trace:\n    "+strings.Join(trace, "\n    "))
		}
	}
	if len(problems) > 0 {
		bug := ""
		if s.tolerate != nil {
			bug = s.tolerate(o, problems)
		}
		if bug == "" {
			w.failf("after the step:\n  - %s", strings.Join(problems, "\n  - "))
		}
		w.hit(bug, w.lastLine())
		// The model follows what the product did (the tolerate hook adjusted
		// it); what is left must agree.
		again := *final
		if o.retake {
			snap, err := w.take()
			if err != nil {
				w.failf("snapshot: %v", err)
			}
			final, again = snap, *snap
		}
		again.mails = nil
		if again := w.verify(&again, newStepCtx(nil, false)); len(again) > 0 {
			w.failf("after tolerating %s:\n  - %s", bug, strings.Join(again, "\n  - "))
		}
	}
	w.last = final
	if s.after != nil {
		if err := s.after(); err != nil {
			w.failf("%v", err)
		}
	}
	w.checkPrincipals(s, answer, callerBefore)
	if !s.quiet {
		w.stats["steps"]++
		if fault != nil {
			w.stats["faulted"]++
			if struck {
				w.stats["struck"]++
			}
		}
	}
}

// readSet names what a snapshot reads besides what it always reads: when
// a step changes it, the step's snapshot is taken again.
func (w *world) readSet() string {
	var b strings.Builder
	for _, cu := range customerIDs(w.m) {
		b.WriteString(cu + ";")
		for _, p := range w.m.customer(cu).portals {
			b.WriteString(p.ID + "/" + p.ClientID + ";")
		}
	}
	for _, pid := range sortedKeys(w.m.portalMarkers) {
		b.WriteString(pid + ";")
	}
	return b.String()
}

// learnPending notes the pending-identity markers a failed accept left.
func (w *world) learnPending(before, after *snapshot) {
	for k, it := range after.items {
		pk, _, _ := strings.Cut(k, "|")
		if _, had := before.items[k]; had || !strings.HasPrefix(pk, "PID#") {
			continue
		}
		due, err := time.Parse(auditTime, str(it, "dueSk"))
		if err != nil {
			w.failf("a pending-identity marker due %q: %v", str(it, "dueSk"), err)
		}
		if want := w.m.now.Add(claimLease + pendingGrace); !due.Equal(want) {
			w.failf("a failed accept's pending-identity marker is due %s; the model says %s", tstr(&due), tstr(&want))
		}
		email := strings.TrimPrefix(pk, "PID#")
		w.m.pending[email] = append(w.m.pending[email], due)
	}
}

func noteOf(e *expect) string {
	if e.note == "" {
		return ""
	}
	return " (" + e.note + ")"
}

func clip(b []byte) string {
	s := string(b)
	if len(s) > 700 {
		s = s[:700] + "…"
	}
	return s
}

func (w *world) hit(bug, line string) {
	if why, ok := allowances[bug]; ok {
		w.stats["allowed "+bug]++
		w.logf("    allowed: %s (%s)", bug, why)
		return
	}
	w.hits[bug]++
	w.logf("    tolerated known bug %s (%s)", bug, knownBugs[bug])
	if w.hits[bug] == 1 {
		w.t.Logf("seed %d step %d: known bug %s: %s", w.seed, w.n, bug, line)
	}
}

// lastLine is the trace line of the step that just ran.
func (w *world) lastLine() string {
	for i := len(w.trace) - 1; i >= 0; i-- {
		if strings.HasPrefix(w.trace[i], "#") {
			return w.trace[i]
		}
	}
	return ""
}

func (w *world) send(s *step) (*response, error) {
	if s.run != nil {
		return s.run()
	}
	return send(w.tokenFor(s.who), s.req)
}

// failure reports whether an answer is how a request fails when a fault
// strikes: a 5xx, or concurrent_change once DynamoDB has cancelled the
// transaction for conflicts more often than the store retries.
func failure(res *response, f *faults.Fault) bool {
	if res == nil {
		return false
	}
	if res.status >= 500 {
		return true
	}
	return f != nil && f.Kind == faults.TransactionConflict && res.status == 409 && res.code == "concurrent_change"
}

func (w *world) matches(e *expect, r *response) bool {
	if r == nil || e.status != r.status {
		return false
	}
	if e.code != "" && e.code != r.code {
		return false
	}
	if e.fields != nil && !slices.Equal(e.fields, r.fields) {
		return false
	}
	return true
}

func (w *world) describe(s *step, f *faults.Fault, struck bool, res, retry *response) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s by %s", s.op, s.who)
	if s.desc != "" {
		b.WriteString(" " + w.pretty(s.desc))
	} else if s.req.method != "" {
		b.WriteString(": " + w.pretty(s.req.String()))
	}
	if f != nil {
		fmt.Fprintf(&b, " | fault %s", f)
		if !struck {
			b.WriteString(" (did not strike)")
		}
	}
	fmt.Fprintf(&b, " → %s", res)
	if retry != nil {
		fmt.Fprintf(&b, ", retried → %s", retry)
	}
	fmt.Fprintf(&b, " (model %s)", s.pred)
	return b.String()
}

// verify compares the model with a snapshot and returns every difference.
// It also learns what the model cannot predict: new token hashes, the
// tokens the e-mails carry, the subs of new identities.
func (w *world) verify(s *snapshot, sc *stepCtx) []string {
	m := w.m
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }

	tableMembers := map[string]domain.Member{}
	emails := map[string]string{}
	copies := map[string]domain.Member{}
	metas := map[string]int{}
	counts := map[string]domain.MemberCounts{}
	invs := map[string]map[string]types.AttributeValue{}
	markers := map[string]bool{}
	markerDue := map[string]string{}
	idems := map[string]map[string]types.AttributeValue{}
	for _, it := range s.items {
		pk, sk := str(it, "pk"), str(it, "sk")
		switch {
		case strings.HasPrefix(pk, "S#"):
			dm, err := decodeMember(it)
			if err != nil {
				bad("decode %s|%s: %v", pk, sk, err)
				continue
			}
			if dm.Invitation != nil {
				bad("the identity copy %s|%s carries an invitation", pk, sk)
			}
			copies[pk+"|"+sk] = dm
		case strings.HasPrefix(pk, "INV#"):
			invs[strings.TrimPrefix(pk, "INV#")] = it
		case strings.HasPrefix(pk, "SYNC#"):
			markers[strings.TrimPrefix(pk, "SYNC#")] = true
			markerDue[strings.TrimPrefix(pk, "SYNC#")] = str(it, "dueSk")
		case strings.HasPrefix(pk, "IDEM#"):
			idems[strings.TrimPrefix(pk, "IDEM#")] = it
		case strings.HasPrefix(sk, "U#"):
			dm, err := decodeMember(it)
			if err != nil {
				bad("decode %s|%s: %v", pk, sk, err)
				continue
			}
			if _, dup := tableMembers[dm.ID]; dup {
				bad("member %s twice", dm.ID)
			}
			tableMembers[dm.ID] = dm
		case strings.HasPrefix(sk, "E#"):
			emails[pk+"|"+strings.TrimPrefix(sk, "E#")] = str(it, "memberId")
		case sk == "C":
			var meta struct {
				EnabledAdmins int `dynamodbav:"enabledAdmins"`
			}
			_ = attributevalue.UnmarshalMap(it, &meta)
			metas[pk] = meta.EnabledAdmins
			var c struct{ domain.MemberCounts }
			_ = attributevalue.UnmarshalMap(it, &c)
			counts[pk] = c.MemberCounts
		}
	}

	// New identities: the sub Cognito gave them.
	for email, ms := range sc.created {
		var found []cognitoUser
		for _, u := range s.users {
			if u.Email == email && m.identities[u.Sub] == nil {
				found = append(found, u)
			}
		}
		if len(found) != 1 {
			bad("an identity for %s should have been created; Cognito has %d new ones", email, len(found))
			continue
		}
		p := w.personOf(email)
		m.identities[found[0].Sub] = &identity{Sub: found[0].Sub, Email: email, Password: p.password, Enabled: true}
		for _, x := range ms {
			x.Sub = found[0].Sub
		}
	}

	// Members: every one the model has, and no other, as the model says.
	perScope := map[string]int{}
	for _, x := range m.sorted(nil) {
		d, found := tableMembers[x.ID]
		if !found {
			bad("%s (%s) is missing from the table", w.label(x), x.ID)
			continue
		}
		delete(tableMembers, x.ID)
		if cu := m.customer(x.Scope); cu != nil {
			d.Roles = cu.roleNames(d.RoleIDs)
		}
		for _, p := range compareMember(x, d) {
			bad("%s: %s", w.label(x), p)
		}
		perScope[scopeKey(x.Scope)+"|"+x.Email]++
		// The e-mail record names it.
		if id := emails[scopeKey(x.Scope)+"|"+x.Email]; id != x.ID {
			bad("%s: the e-mail record names %q", w.label(x), id)
		}
		delete(emails, scopeKey(x.Scope)+"|"+x.Email)
		// Its identity copy, the one the caller check reads.
		if x.Sub != "" {
			k := "S#" + x.Sub + "|" + scopeKey(x.Scope)
			c, found := copies[k]
			if cu := m.customer(x.Scope); cu != nil {
				c.Roles = cu.roleNames(c.RoleIDs)
			}
			switch {
			case !found:
				bad("%s: no identity copy %s", w.label(x), k)
			case c.ID != x.ID || c.Status != domain.Status(x.Status) || c.Admin != x.Admin || string(c.Role) != x.Role ||
				c.Version != x.Version || !slices.Equal(norm(c.Roles), norm(x.Roles)) || !slices.Equal(norm(c.PortalIDs), norm(x.Portals)):
				bad("%s: the identity copy differs: %+v", w.label(x), c)
			}
			delete(copies, k)
		}
		// Its token record, while the invitation is pending.
		if x.Inv != nil && x.Inv.State == "pending" {
			it, found := invs[x.Inv.TokenHash]
			if !found {
				bad("%s: no token record for its pending invitation", w.label(x))
			} else {
				if str(it, "memberId") != x.ID {
					bad("%s: its token record names %s", w.label(x), str(it, "memberId"))
				}
				var claim struct {
					ClaimUntil *time.Time `dynamodbav:"claimUntil"`
				}
				_ = attributevalue.UnmarshalMap(it, &claim)
				if claim.ClaimUntil != nil && claim.ClaimUntil.After(m.now) {
					bad("%s: its token is claimed until %s: the invitee would get 410", w.label(x), claim.ClaimUntil.Format(time.RFC3339))
				}
				delete(invs, x.Inv.TokenHash)
			}
		}
	}
	for id, d := range tableMembers {
		bad("the table holds a member the model does not know: %s %s in %s (%s, version %d)", id, d.Email, m.scopeLabel(d.CustomerID), d.Status, d.Version)
	}
	for k, id := range emails {
		bad("an e-mail record without its member: %s → %s", k, id)
	}
	for k, c := range copies {
		bad("an identity copy without its member: %s (%s %s)", k, c.Email, c.Status)
	}
	for h, it := range invs {
		bad("a token record outlives its invitation: %s… of %s", h[:12], str(it, "email"))
	}
	for k, n := range perScope {
		if n > 1 {
			bad("%d members with one e-mail in one scope: %s", n, k)
		}
	}
	// The counts of enabled admins.
	for _, sc := range append([]string{provider}, customerIDs(m)...) {
		if got, want := metas[scopeKey(sc)], m.admins(sc); got != want {
			bad("%s counts %d enabled admins; the model has %d", m.scopeLabel(sc), got, want)
		}
	}
	// The counts by category, wherever they are exact (every customer made
	// since they are kept; the provider once the backfill has run).
	for _, sc := range append([]string{provider}, customerIDs(m)...) {
		got := counts[scopeKey(sc)]
		if !got.Exact {
			continue
		}
		want := domain.MemberCounts{Exact: true}
		for _, x := range m.sorted(func(x *member) bool { return x.Scope == sc }) {
			want.Add(domain.Status(x.Status), 1)
		}
		if got != want {
			bad("%s counts %+v by category; the model has %+v", m.scopeLabel(sc), got, want)
		}
	}
	// Identity markers: the request clears its own; a faulted one may leave
	// one, which the sweep finishes.
	for sub := range markers {
		if _, known := m.markers[sub]; !known && sc.synced[sub] && sc.struck {
			m.markers[sub] = m.now.Add(syncGrace)
			continue
		}
		if _, known := m.markers[sub]; !known {
			bad("an identity marker is left for %s", w.subLabel(sub))
		}
	}
	for sub := range m.markers {
		if !markers[sub] {
			delete(m.markers, sub) // finished by a later request
		}
	}
	for sub := range sc.synced {
		if markers[sub] && !sc.struck {
			bad("the request did not clear the identity marker of %s", w.subLabel(sub))
		}
		if markers[sub] {
			m.markers[sub] = m.now.Add(syncGrace) // written again by this step's change
		}
	}
	for sub, due := range m.markers {
		if got := markerDue[sub]; got != "" && got != due.UTC().Format("2006-01-02T15:04:05.000000000Z") {
			bad("the identity marker of %s is due %s; the model says %s", w.subLabel(sub), got, tstr(&due))
		}
	}
	// Pending identities: the markers failed accepts left, and no other.
	pending := map[string][]string{}
	for k, it := range s.items {
		if pk, _, _ := strings.Cut(k, "|"); strings.HasPrefix(pk, "PID#") {
			email := strings.TrimPrefix(pk, "PID#")
			pending[email] = append(pending[email], str(it, "dueSk"))
		}
	}
	for _, email := range sortedKeys(pending) {
		var want []string
		for _, d := range m.pending[email] {
			want = append(want, d.UTC().Format(auditTime))
		}
		got := pending[email]
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			bad("the pending-identity markers of %s are due %v; the model has %v", w.personOf(email).label, got, want)
		}
	}
	for email := range m.pending {
		if len(pending[email]) == 0 {
			bad("the pending-identity markers of %s are gone; the model has %d", w.personOf(email).label, len(m.pending[email]))
		}
	}
	w.verifyPortals(s, bad)
	// Idempotency records.
	for id, r := range m.idem {
		if !s.watched[itemKey("IDEM#"+id, "IDEM")] {
			continue // past its 24 hours
		}
		it, found := idems[id]
		switch {
		case r.recorded && !found:
			bad("the Idempotency-Key %s has no record", r.key)
		case !r.recorded && found:
			bad("the Idempotency-Key %s of a request that changed nothing has a record", r.key)
		case found && (str(it, "fingerprint") != r.fingerprint || str(it, "ref") != r.ref):
			bad("the record of the Idempotency-Key %s differs: ref %q", r.key, str(it, "ref"))
		}
	}
	// Cognito: every identity in line with its memberships, unless a marker
	// says the sweep has yet to finish it; no identity without a membership.
	for sub, id := range m.identities {
		u, found := s.users[sub]
		exists, enabled := m.inLine(sub)
		if !exists && !found {
			// Its last membership went, and so did it.
			delete(m.identities, sub)
			continue
		}
		if _, dirty := m.markers[sub]; dirty || len(m.pending[id.Email]) > 0 {
			continue // a fault left it to the sweep: its marker says so
		}
		switch {
		case !exists:
			bad("Cognito keeps the identity of %s, which no membership holds, and no marker leaves it to the sweep", id.Email)
		case !found:
			bad("the identity of %s (%s) is missing from Cognito", id.Email, sub)
		case u.Enabled != enabled:
			bad("the identity of %s is enabled=%v in Cognito; its memberships say %v", id.Email, u.Enabled, enabled)
		case u.Email != id.Email:
			bad("the identity %s signs in as %s, not %s", sub, u.Email, id.Email)
		case u.Status != "CONFIRMED":
			bad("the identity of %s is %s", id.Email, u.Status)
		}
	}
	for sub, u := range s.users {
		if m.identities[sub] == nil {
			bad("Cognito holds an identity that no membership carries: %s (%s)", u.Email, sub)
		}
	}
	// E-mails: exactly those the model expects, each with the token of the
	// invitation as the table has it.
	for _, x := range m.members {
		if x.Inv != nil && x.Inv.rotated {
			x.Inv.rotated = false
		}
	}
	want := slices.Clone(sc.mails)
	for _, e := range s.mails {
		tok := tokenOf(e)
		h := domain.HashToken(tok)
		matched := -1
		for i, em := range want {
			if slices.Contains(e.Destination.To, em.m.Email) && em.kind == mailKind(e) && em.m.Inv != nil && em.m.Inv.TokenHash == h {
				matched = i
				break
			}
		}
		if tok == "" || matched < 0 {
			bad("an e-mail the model does not expect: to %v, %q", e.Destination.To, e.Subject)
			continue
		}
		x := want[matched].m
		x.token = tok
		want = slices.Delete(want, matched, matched+1)
	}
	for _, em := range want {
		bad("no %s e-mail reached %s", em.kind, w.label(em.m))
	}
	// Audit events: one per accepted change.
	for _, sc := range append([]string{provider}, customerIDs(m)...) {
		if got, want := s.audit[sc], m.audit[sc]; got != want {
			bad("%s has %d audit events; the model counts %d", m.scopeLabel(sc), got, want)
		}
	}
	return errs
}

func (w *world) subLabel(sub string) string {
	if id := w.m.identities[sub]; id != nil {
		return w.personOf(id.Email).label
	}
	return sub
}

// customerIDs are the customers whose partitions the snapshots read.
func customerIDs(m *model) []string {
	var out []string
	for _, c := range m.customers {
		if !c.static {
			out = append(out, c.ID)
		}
	}
	return out
}

func norm(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// compareMember lists how a member in the table differs from the model.
// A rotated token is learned here: it must be new.
func compareMember(x *member, d domain.Member) []string {
	var out []string
	f := func(name string, got, want any) {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			out = append(out, fmt.Sprintf("%s is %v, the model says %v", name, got, want))
		}
	}
	f("scope", d.CustomerID, x.Scope)
	f("email", d.Email, x.Email)
	f("name", d.Name, x.Name)
	f("status", d.Status, x.Status)
	f("version", d.Version, x.Version)
	f("sub", d.Sub, x.Sub)
	f("request", d.Request, x.Request)
	if x.isOperator() {
		f("role", d.Role, x.Role)
	} else {
		f("admin", d.Admin, x.Admin)
		f("roles", norm(d.Roles), norm(x.Roles))
		f("portalIds", norm(d.PortalIDs), norm(x.Portals))
	}
	t := func(name string, got, want *time.Time) {
		switch {
		case got == nil && want == nil:
		case got == nil || want == nil || !got.Equal(*want):
			out = append(out, fmt.Sprintf("%s is %s, the model says %s", name, tstr(got), tstr(want)))
		}
	}
	t("createdAt", &d.CreatedAt, &x.CreatedAt)
	t("updatedAt", &d.UpdatedAt, &x.UpdatedAt)
	switch {
	case x.Inv == nil && d.Invitation != nil:
		out = append(out, "has an invitation the model does not know")
	case x.Inv != nil && d.Invitation == nil:
		out = append(out, "has no invitation")
	case x.Inv != nil:
		a, b := d.Invitation, x.Inv
		f("invitation.state", a.State, b.State)
		f("invitation.delivery", a.Delivery, b.Delivery)
		f("invitation.sendCount", a.SendCount, b.SendCount)
		t("invitation.lastSentAt", a.LastSentAt, b.LastSentAt)
		t("invitation.attemptedAt", a.AttemptedAt, b.AttemptedAt)
		t("invitation.expiresAt", &a.ExpiresAt, &b.ExpiresAt)
		t("invitation.remindAt", a.RemindAt, b.RemindAt)
		t("invitation.reminderSentAt", a.ReminderSentAt, b.ReminderSentAt)
		f("invitation.resends", a.Resends, b.Resends)
		if b.rotated {
			if a.TokenHash == "" || a.TokenHash == b.TokenHash {
				out = append(out, "its token was not rotated")
			}
			b.TokenHash = a.TokenHash
		} else if a.TokenHash != b.TokenHash {
			out = append(out, "its token changed")
			b.TokenHash = a.TokenHash
		}
	}
	return out
}

func tstr(t *time.Time) string {
	if t == nil {
		return "null"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// checkPrincipals runs after every step: a refused caller still signs in
// and is served; whoever lost their last enabled membership is refused
// with their cached token at once; every scope's admins sign in.
func (w *world) checkPrincipals(s *step, res *response, callerBefore map[*person]bool) {
	p := s.who
	if p != nil && res.status >= 400 && res.status < 500 && res.status != 401 {
		if id := w.m.identityOf(p.email); id != nil && id.Sub == p.tokenSub && w.m.caller(id.Sub) != nil {
			if _, dirty := w.m.markers[id.Sub]; !dirty {
				if err := w.refresh(p, false); err != nil {
					w.failf("after a refusal (%s): %v", res, err)
				}
				if err := w.signsIn(p, id.Sub); err != nil {
					w.failf("after a refusal (%s): %v", res, err)
				}
				if err := w.checkMe(p); err != nil {
					w.failf("after a refusal (%s): %v", res, err)
				}
			}
		}
	}
	for _, q := range w.persons {
		if callerBefore[q] && w.m.caller(q.tokenSub) == nil {
			r, err := send(q.token, request{method: "GET", path: "/v1/me"})
			if err != nil {
				w.failf("%v", err)
			}
			if r.status != 401 {
				w.failf("%s lost their last enabled membership, yet their token is answered %s on GET /v1/me", q, r)
			}
			w.stats["tokens refused after disable/delete"]++
		}
	}
	// One enabled admin of each scope signs in (they rotate from step to step).
	for _, sc := range append([]string{provider}, customerIDs(w.m)...) {
		admins := w.m.sorted(func(x *member) bool { return x.Scope == sc && x.countsAsAdmin() })
		if sc == provider && len(admins) == 0 {
			w.failf("the provider has no enabled operator admin")
		}
		// An identity whose marker is pending may lag behind the table: one
		// that Cognito still has disabled cannot sign in until the sweep
		// enables it (a fault struck the request that enabled it).
		var healthy []*member
		for _, x := range admins {
			if _, dirty := w.m.markers[x.Sub]; dirty && !w.last.users[x.Sub].Enabled {
				continue
			}
			healthy = append(healthy, x)
		}
		if len(healthy) == 0 {
			continue // until the sweep: each admin's identity lags
		}
		x := healthy[w.lastAdminAt%len(healthy)]
		q := w.personOf(x.Email)
		if q.password == "" {
			continue
		}
		if err := w.signsIn(q, x.Sub); err != nil {
			w.failf("%s, an enabled admin of %s, cannot sign in: %v", q, w.m.scopeLabel(sc), err)
		}
	}
	w.lastAdminAt++
}

// signsIn checks that a person signs in with their identity: with Cognito
// (InitiateAuth, the dearest call of a step), unless they signed in while
// Cognito held the identity just as it does now.
func (w *world) signsIn(p *person, sub string) error {
	u, found := w.last.users[sub]
	if found && w.signedIn[sub] == u {
		return nil
	}
	tok, err := w.signIn(p.email, p.password)
	if err != nil {
		return err
	}
	if got := subOfToken(tok); got != sub {
		return fmt.Errorf("%s signed in as %s, not %s", p, got, sub)
	}
	if found {
		w.signedIn[sub] = u
	}
	return nil
}

// checkMe asks GET /v1/me as the person and compares it with the model.
func (w *world) checkMe(p *person) error {
	r, err := send(p.token, request{method: "GET", path: "/v1/me"})
	if err != nil {
		return err
	}
	c := w.m.caller(p.tokenSub)
	if c == nil {
		if r.status != 401 {
			return fmt.Errorf("GET /v1/me as %s answered %s; the model has no enabled membership", p, r)
		}
		return nil
	}
	if r.status != 200 {
		return fmt.Errorf("GET /v1/me as %s answered %s: %s", p, r, clip(r.body))
	}
	var me struct {
		ID       string `json:"id"`
		Email    string `json:"email"`
		Operator *struct {
			Role string `json:"role"`
		} `json:"operator"`
		Memberships []struct {
			CustomerID string   `json:"customerId"`
			UserID     string   `json:"userId"`
			Admin      bool     `json:"admin"`
			Roles      []string `json:"roles"`
		} `json:"memberships"`
	}
	if err := json.Unmarshal(r.body, &me); err != nil {
		return err
	}
	var got, want []string
	if me.Operator != nil {
		got = append(got, "operator:"+me.Operator.Role)
	}
	if c.operator != nil {
		want = append(want, "operator:"+c.operator.Role)
	}
	for _, ms := range me.Memberships {
		got = append(got, fmt.Sprintf("%s:%s:admin=%v:%v", w.m.scopeLabel(ms.CustomerID), ms.UserID, ms.Admin, norm(ms.Roles)))
	}
	for cid, x := range c.members {
		want = append(want, fmt.Sprintf("%s:%s:admin=%v:%v", w.m.scopeLabel(cid), x.ID, x.Admin, norm(x.Roles)))
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) || me.ID != p.tokenSub || me.Email != p.email {
		return fmt.Errorf("GET /v1/me as %s: %s %v; the model says %v", p, me.Email, w.pretty(fmt.Sprint(got)), w.pretty(fmt.Sprint(want)))
	}
	return nil
}

func (w *world) ctx() context.Context { return context.Background() }
