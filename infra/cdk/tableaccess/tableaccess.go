// Package tableaccess narrows what the public routes' functions may do in
// the table to the partitions they touch, with IAM's dynamodb:LeadingKeys
// condition. Anyone may call those routes, so a flaw in them must not reach
// the rest of the table: the idempotency records, the customer directory,
// the indexes, or items of kinds they never write.
//
// The CDK stack makes one statement per Grant; the Lambda Runtime API tests
// (infra/local/lambdarun) run the real functions against DynamoDB Local
// through a proxy that holds every call to these grants, so that a change of
// the store's keys that a grant does not follow fails a test, not a deploy.
//
// LeadingKeys is the partition key only: C#* still lets accept write any
// customer's partition, because which customer an invitation belongs to is
// known only once its token has been read. What it cannot do is named in
// the README, function by function.
package tableaccess

import "slices"

// Grant allows Actions on the items whose partition key matches one of
// Partitions, IAM StringLike patterns (* any run of characters, ? one).
type Grant struct {
	Actions    []string
	Partitions []string
	// Why says what the grant is for, in the README's words.
	Why string
}

// DynamoDB actions, as IAM names them.
const (
	GetItem            = "dynamodb:GetItem"
	Query              = "dynamodb:Query"
	PutItem            = "dynamodb:PutItem"
	UpdateItem         = "dynamodb:UpdateItem"
	DeleteItem         = "dynamodb:DeleteItem"
	ConditionCheckItem = "dynamodb:ConditionCheckItem"
	BatchGetItem       = "dynamodb:BatchGetItem"
)

// Partitions by the key layout of shared/store (keys.go).
const (
	rate       = "RATE#public#*" // the per-address limit of the public routes
	invitation = "INV#*"         // a token's record, by its hash
	customer   = "C#*"           // a customer: its name, its members
	provider   = "OPS"           // the provider scope: operators, their admin count
	identity   = "S#*"           // an identity's copies of its memberships
	sync       = "SYNC#*"        // an identity waiting to be brought in line, or being deleted
	pending    = "PID#*"         // an accept about to create an identity
	auditCust  = "A#C#*"         // a customer's audit trail
	auditOps   = "A#OPS"         // the provider's audit trail
	origin     = "ORIGIN#*"      // the portal setups that call from an origin
	client     = "CLIENT#*"      // a portal setup by its app client
)

// Narrowed are the functions whose table access is narrowed; every other
// function has what its route-table entry says, on the whole table.
var Narrowed = map[string][]Grant{
	// Routes that check their own token, and the triggers of Cognito and
	// SES: reachable without the gateway's authorizer, they read (or, for
	// the feedback, update) only what their answer is made of.
	"me": {
		{Actions: []string{Query}, Partitions: []string{identity}, Why: "read the caller's memberships"},
		{Actions: []string{GetItem}, Partitions: []string{client}, Why: "read the portal setup whose app client signed a portal's token"},
		{Actions: []string{BatchGetItem}, Partitions: []string{customer}, Why: "read the names of the caller's customers and portal setups"},
		{Actions: []string{Query}, Partitions: []string{customer}, Why: "read the role catalogues that name the caller's roles"},
		{Actions: []string{GetItem}, Partitions: []string{origin}, Why: "read whether a refused call's origin is a portal's, so that the portal can read the refusal"},
	},
	"portal-access": {
		{Actions: []string{Query}, Partitions: []string{identity}, Why: "read the caller's memberships"},
		{Actions: []string{GetItem}, Partitions: []string{client}, Why: "read the portal setup whose app client signed the token"},
		{Actions: []string{Query}, Partitions: []string{customer}, Why: "read the role catalogue that names the member's roles"},
		{Actions: []string{GetItem}, Partitions: []string{origin}, Why: "read whether a refused call's origin is a portal's, so that the portal can read the refusal"},
	},
	"custom-message": {
		{Actions: []string{Query}, Partitions: []string{identity}, Why: "read the memberships of the person asking for a code"},
		{Actions: []string{GetItem}, Partitions: []string{client, customer}, Why: "read the portal setup asked through and the customer whose name and language the e-mail is in"},
	},
	"record-mail-feedback": {
		{Actions: []string{GetItem, UpdateItem}, Partitions: []string{customer, provider}, Why: "read the invited member and record what became of its invitation e-mail"},
	},
	"portal-preflight": {
		{Actions: []string{GetItem}, Partitions: []string{origin}, Why: "read whether a portal setup calls from the request's origin"},
	},
	"inspect-invitation": {
		{Actions: []string{UpdateItem}, Partitions: []string{rate}, Why: "count the call against its address"},
		{Actions: []string{GetItem}, Partitions: []string{invitation, customer}, Why: "read the token's record and the invited member"},
		{Actions: []string{Query}, Partitions: []string{customer}, Why: "read the customer's name and its portal setups (the invitee is told where they will sign in)"},
		{Actions: []string{Query}, Partitions: []string{identity}, Why: "read whether the e-mail's identity signs in elsewhere"},
	},
	"accept-invitation": {
		{Actions: []string{UpdateItem}, Partitions: []string{rate}, Why: "count the call against its address"},
		{Actions: []string{UpdateItem}, Partitions: []string{invitation}, Why: "claim the token, and release the claim of an accept that failed"},
		{Actions: []string{GetItem}, Partitions: []string{customer, provider}, Why: "read the invited member"},
		{Actions: []string{Query}, Partitions: []string{customer}, Why: "read the customer's name and its portal setups (the answer says where to continue)"},
		{Actions: []string{Query}, Partitions: []string{identity}, Why: "read the identity's other memberships"},
		{Actions: []string{PutItem, DeleteItem}, Partitions: []string{pending}, Why: "mark, then clear, an identity about to be created"},
		{Actions: []string{PutItem, UpdateItem}, Partitions: []string{customer, provider}, Why: "enable the member, and count an enabled admin"},
		{Actions: []string{PutItem, DeleteItem}, Partitions: []string{identity}, Why: "link the membership to its identity"},
		{Actions: []string{DeleteItem}, Partitions: []string{invitation}, Why: "spend the token"},
		{Actions: []string{PutItem, DeleteItem}, Partitions: []string{sync}, Why: "mark the identity for syncing, and clear the mark once synced"},
		{Actions: []string{UpdateItem, ConditionCheckItem}, Partitions: []string{sync}, Why: "take and give back a lease on deleting an identity (a failed accept's own, or one no membership holds), and check that the identity linked is under none"},
		{Actions: []string{PutItem}, Partitions: []string{auditCust, auditOps}, Why: "record the acceptance in the audit trail"},
	},
}

// Allows reports whether the grants let action touch an item in partition pk.
func Allows(grants []Grant, action, pk string) bool {
	for _, g := range grants {
		if !slices.Contains(g.Actions, action) {
			continue
		}
		for _, p := range g.Partitions {
			if like(p, pk) {
				return true
			}
		}
	}
	return false
}

// like is IAM's StringLike, case-sensitive: * matches any run of
// characters (slashes too), ? any one, everything else itself.
func like(pattern, s string) bool {
	p, v := []rune(pattern), []rune(s)
	// The classic greedy match with one backtrack point.
	pi, vi, star, mark := 0, 0, -1, 0
	for vi < len(v) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == v[vi]):
			pi++
			vi++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, vi
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			vi = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
