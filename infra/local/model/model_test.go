package model

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// The reference model: plain structs holding what the contract says the
// product's state is. Every answer is predicted from it, and after every
// step the table, Cognito, the mailbox and the audit trail are compared
// with it.

// provider is the scope of operators; customer scopes are customer ids.
const provider = ""

type invitation struct {
	State          string // pending, expired, accepted
	Delivery       string // sent, failed, pending (handed to SES, outcome unknown)
	SendCount      int
	LastSentAt     *time.Time
	AttemptedAt    *time.Time
	ExpiresAt      time.Time
	RemindAt       *time.Time
	ReminderSentAt *time.Time
	// Resends counts the sweep's sends of the latest e-mail again, while
	// its delivery stayed unrecorded (up to maxResends).
	Resends int
	// TokenHash is learned from the table: tokens are random. A step that
	// rotates the token sets rotated, and the check then demands a new hash.
	TokenHash string
	rotated   bool
}

type member struct {
	ID, Scope, Email, Name string
	Status                 string // enabled, disabled, unconfirmed
	Admin                  bool
	Roles, Portals         []string
	Role                   string // operators: admin, technician
	Version                int
	Sub                    string
	Inv                    *invitation
	CreatedAt, UpdatedAt   time.Time
	// Request is the idempotency record id of the bulk invite that made it.
	Request string
	// token is the current invitation token, when an e-mail carried it to
	// the mailbox; stale are the tokens of earlier e-mails, oldest first.
	token string
	stale []string
}

func (m *member) isOperator() bool { return m.Scope == provider }

// countsAsAdmin: one of the scope's enabled admins, the number that the
// last-admin rule keeps above zero.
func (m *member) countsAsAdmin() bool {
	if m.Status != "enabled" {
		return false
	}
	if m.isOperator() {
		return m.Role == "admin"
	}
	return m.Admin
}

// tokenValid reports whether an invitation token works at now.
func (m *member) tokenValid(token string, now time.Time) bool {
	return token != "" && token == m.token && m.Status == "unconfirmed" && m.Inv != nil &&
		m.Inv.State == "pending" && m.Inv.ExpiresAt.After(now)
}

func (m *member) clone() *member {
	c := *m
	c.Roles, c.Portals = slices.Clone(m.Roles), slices.Clone(m.Portals)
	c.stale = slices.Clone(m.stale)
	if m.Inv != nil {
		inv := *m.Inv
		c.Inv = &inv
	}
	return &c
}

// identity is a Cognito user as the model expects it once it is in line with
// the table.
type identity struct {
	Sub, Email, Password string
	Enabled              bool
}

type customer struct {
	ID, Name, Locale string
	label            string // C1, C2: ids are random, labels keep runs replayable
	portals          []*portal
	// roles is its role catalogue, made at setup: names by id, in the
	// catalogue's order (by name without case).
	roles []catalogueRole
	// static: a customer a random step made, which the run never acts in;
	// it is looked at in the step that makes it, and then no more, so that
	// a step's cost does not grow with their number.
	static bool
}

// idemRecord is what the model knows of an Idempotency-Key: the request it
// first came with and what that request answered.
type idemRecord struct {
	id          string // as the product stores it: hash(sub, operation, key)
	fingerprint string // hash(method, path, body)
	op          string
	scope       string
	key         string
	req         request
	who         *person
	at          time.Time
	// recorded: the product holds a record (the first request succeeded, or
	// a bulk invite got past validation).
	recorded bool
	ref      string        // the member a single invite made
	results  []bulkOutcome // what a bulk invite answered
	// complete: a bulk invite's first answer is recorded, so a replay
	// answers it; without it a replay resumes the request instead.
	complete bool
}

type bulkOutcome struct {
	Email   string
	Outcome string // invited, already_member, invalid
	ID      string // the member, when invited
}

type model struct {
	now        time.Time
	customers  []*customer
	members    map[string]*member   // by id
	identities map[string]*identity // by sub
	mail       map[string]int       // e-mails per address since the seed began
	audit      map[string]int       // audit events per scope since the seed began
	idem       map[string]*idemRecord
	// markers: identities whose Cognito state a faulted step may have left
	// behind the table, and when the sweep finishes them.
	markers map[string]time.Time
	// portalMarkers: portal setups whose app client the sweep has yet to
	// bring in line (or, deleted, to retire), by portal id.
	portalMarkers map[string]*portalMarker
	// pending: the markers a failed accept left of an identity it was about
	// to make or set up (by e-mail), and when each is due.
	pending map[string][]time.Time
}

func newModel(at time.Time) *model {
	return &model{
		now: at, members: map[string]*member{}, identities: map[string]*identity{},
		mail: map[string]int{}, audit: map[string]int{}, idem: map[string]*idemRecord{},
		markers: map[string]time.Time{}, portalMarkers: map[string]*portalMarker{}, pending: map[string][]time.Time{},
	}
}

func (m *model) customer(id string) *customer {
	for _, c := range m.customers {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// scopeLabel names a scope in the trace.
func (m *model) scopeLabel(sc string) string {
	if sc == provider {
		return "ops"
	}
	if c := m.customer(sc); c != nil {
		return c.label
	}
	return "?" + sc
}

// sorted lists the members that match, in a replayable order (ids are
// random; scope labels and e-mails are not).
func (m *model) sorted(match func(*member) bool) []*member {
	var out []*member
	for _, x := range m.members {
		if match == nil || match(x) {
			out = append(out, x)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := m.scopeLabel(out[i].Scope), m.scopeLabel(out[j].Scope)
		if a != b {
			return a < b
		}
		return out[i].Email < out[j].Email
	})
	return out
}

func (m *model) byEmail(sc, email string) *member {
	for _, x := range m.members {
		if x.Scope == sc && x.Email == email {
			return x
		}
	}
	return nil
}

func (m *model) inScope(sc string) []*member {
	return m.sorted(func(x *member) bool { return x.Scope == sc })
}

// admins counts the scope's enabled admins.
func (m *model) admins(sc string) int {
	n := 0
	for _, x := range m.members {
		if x.Scope == sc && x.countsAsAdmin() {
			n++
		}
	}
	return n
}

// memberships are the members that carry an identity's sub.
func (m *model) memberships(sub string) []*member {
	if sub == "" {
		return nil
	}
	return m.sorted(func(x *member) bool { return x.Sub == sub })
}

// identityOf is the Cognito identity that signs in with the e-mail now.
func (m *model) identityOf(email string) *identity {
	for _, id := range m.identities {
		if id.Email == email {
			return id
		}
	}
	return nil
}

// inLine is the Cognito state the table asks for: whether the identity
// should exist and be enabled.
func (m *model) inLine(sub string) (exists, enabled bool) {
	for _, x := range m.memberships(sub) {
		exists = true
		if x.Status == "enabled" {
			enabled = true
		}
	}
	return exists, enabled
}

// caller is who a token stands for, read from the model as the product
// reads it from the table: the enabled memberships of the token's sub.
type caller struct {
	sub      string
	operator *member
	members  map[string]*member // enabled memberships by customer id
}

func (m *model) caller(sub string) *caller {
	if sub == "" {
		return nil
	}
	c := &caller{sub: sub, members: map[string]*member{}}
	for _, x := range m.memberships(sub) {
		if x.Status != "enabled" {
			continue
		}
		if x.isOperator() {
			c.operator = x
		} else {
			c.members[x.Scope] = x
		}
	}
	if c.operator == nil && len(c.members) == 0 {
		return nil
	}
	return c
}

// frozen is the caller as they are now, unaffected by later changes of the
// model: how a request that has begun sees them.
func (c *caller) frozen() *caller {
	if c == nil {
		return nil
	}
	f := &caller{sub: c.sub, members: map[string]*member{}}
	if c.operator != nil {
		f.operator = c.operator.clone()
	}
	for k, x := range c.members {
		f.members[k] = x.clone()
	}
	return f
}

func (c *caller) isOperator() bool      { return c.operator != nil }
func (c *caller) isOperatorAdmin() bool { return c.operator != nil && c.operator.Role == "admin" }

// actsAsPortalAdmin: the caller acts in the customer through a portal admin
// membership, so the last-admin rule and the re-check of their own rights
// at the commit bind them.
func (c *caller) actsAsPortalAdmin(cid string) bool {
	return !c.isOperator() && c.members[cid] != nil
}

// userManager is the policy of the user routes: operators, and the
// customer's enabled portal admins; a customer the caller cannot see is a
// 404, never a 403.
func (m *model) userManager(c *caller, cid string, readsCustomer bool) *expect {
	if c.isOperator() {
		if readsCustomer && m.customer(cid) == nil {
			return refuse(404, "not_found")
		}
		return nil
	}
	x := c.members[cid]
	if x == nil {
		return refuse(404, "not_found")
	}
	if !x.Admin {
		return refuse(403, "forbidden")
	}
	return nil
}

func operatorAdmin(c *caller) *expect {
	if c.isOperatorAdmin() {
		return nil
	}
	return refuse(403, "forbidden")
}

// expect is a predicted answer and what it changes.
type expect struct {
	status int
	code   string
	// fields are the fields a 400 names, in order; nil is not checked.
	fields []string
	// effect applies the change to the model once the answer is in; nil
	// changes nothing. It learns what the model cannot know (ids) from the
	// answer.
	effect func(o *observation) error
	note   string
	// noChange: a success that changes nothing in the table (enabling an
	// enabled user, an update to the same values); readOnly: a read. Both
	// are held to "nothing changed", like refusals.
	noChange, readOnly bool
	// skipUsers leaves Cognito out of that comparison: a repeated enable or
	// disable brings an identity in line again, which is no trace.
	skipUsers bool
	// knownBug names the tolerated bug this prediction follows instead of
	// the contract.
	knownBug string
}

func refuse(status int, code string, fields ...string) *expect {
	e := &expect{status: status, code: code}
	if status == 400 {
		e.code = "invalid_request"
		e.fields = fields
	}
	return e
}

func ok(status int, effect func(o *observation) error) *expect {
	return &expect{status: status, effect: effect}
}

func (e *expect) String() string { return outcome(e.status, e.code, e.fields) }

func tsp(t time.Time) *time.Time { return &t }

type catalogueRole struct{ ID, Name string }

// roleNamed is the catalogue's role of a name, without case and around its
// spaces.
func (cu *customer) roleNamed(name string) (catalogueRole, bool) {
	if cu == nil {
		return catalogueRole{}, false
	}
	for _, r := range cu.roles {
		if strings.EqualFold(r.Name, strings.TrimSpace(name)) {
			return r, true
		}
	}
	return catalogueRole{}, false
}

func (cu *customer) catalogue() []catalogueRole {
	if cu == nil {
		return nil
	}
	return cu.roles
}

// roleNames are the names of role ids as the catalogue has them.
func (cu *customer) roleNames(ids []string) []string {
	out := []string{}
	if cu == nil {
		return out
	}
	for _, id := range ids {
		for _, r := range cu.roles {
			if r.ID == id {
				out = append(out, r.Name)
			}
		}
	}
	return out
}

// cleanRoles mirrors the product for names in the catalogue: the
// catalogue's names, in the order given, once each.
func cleanRoles(cu *customer, rs []string) []string {
	out := []string{}
	for _, r := range rs {
		if c, ok := cu.roleNamed(r); ok && !slices.Contains(out, c.Name) {
			out = append(out, c.Name)
		}
	}
	return out
}

func dedupe(ids []string) []string {
	out := []string{}
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
