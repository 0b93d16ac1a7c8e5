// Package state is the contract between the use cases and the stores that
// keep the product's state: the changes the use cases ask for, what they
// read back, and the errors a store answers with. It knows nothing of
// DynamoDB; the DynamoDB store (shared/store) and the in-memory store
// (shared/store/memstore) both keep it, and one conformance suite
// (shared/store/storetest) holds them to it.
package state

import (
	"errors"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
)

// Errors a store answers with. Each is a sentinel: compare with errors.Is.
var (
	// ErrNotFound: no such item.
	ErrNotFound = errs.New(errs.NotExist, "not_found")
	// ErrEmailTaken: the scope has a member with the e-mail already.
	ErrEmailTaken = errs.New(errs.Exist, "already_member")
	// ErrStale: the member changed since it was read (its version).
	ErrStale = errs.New(errs.Stale, "version_mismatch")
	// ErrConcurrent: the change lost a race on something its own conditions
	// did not guard; it may be tried again.
	ErrConcurrent = errs.New(errs.Conflict, "concurrent_change")
	// ErrContended is the cause of an ErrConcurrent that the store has
	// retried itself already (DynamoDB cancelled the transaction for
	// TransactionConflict on every attempt, with backoff between them):
	// Unpinned does not try it again, so that one contended request stays
	// a handful of writes.
	ErrContended = errs.New(errs.Conflict, "contended")
	// ErrLastAdmin: the change would take the scope's last enabled admin away.
	ErrLastAdmin = errs.New(errs.Conflict, "last_admin")
	// ErrActorNotAdmin: the portal admin acting is no longer an enabled admin
	// of the scope when the change lands, or the operator acting no longer an
	// enabled operator in the role they acted in.
	ErrActorNotAdmin = errs.New(errs.Permission, "forbidden")
	// ErrClaimHeld: an accept of the token holds a claim right now, so it
	// cannot be rotated or revoked.
	ErrClaimHeld = errs.New(errs.Conflict, "accept_in_progress")
	// ErrTokenInvalid: no usable invitation has this token (unknown, spent,
	// expired, rotated, revoked, or claimed by another accept).
	ErrTokenInvalid = errs.New(errs.NotExist, "invitation_invalid")
	// ErrIdempotencyRace: another request with the same idempotency key
	// committed first.
	ErrIdempotencyRace = errs.New(errs.Exist, "idempotency_race")
	// ErrRateLimited: a rate window is full; RetryAfter says until when.
	ErrRateLimited = errs.New(errs.Exhausted, "rate_limited")
	// ErrSeatLimit: the change would take the customer past its seat limit
	// (enabled plus unconfirmed members).
	ErrSeatLimit = errs.New(errs.Conflict, "seat_limit")
	// ErrUnavailable: the store is throttled or unreachable for now.
	ErrUnavailable = errs.New(errs.Transient, "unavailable")
)

// PageKey is where a page of a listing starts: the store's own key of the
// last item of the page before, opaque to the use cases (the HTTP layer
// signs it into a cursor).
type PageKey map[string]string

// Page is one page of a listing; Next is nil on the last page.
type Page[T any] struct {
	Items []T
	Next  PageKey
}

// Idempotency is the record of a creating request made with an
// Idempotency-Key: what the request was (its fingerprint) and what it
// created (Ref), or, for a request made of many changes, its final answer.
type Idempotency struct {
	ID          string
	Fingerprint string
	Ref         string
	CreatedAt   time.Time
	Response    string
}

// IdempotencyTTL is how long a key is remembered.
const IdempotencyTTL = 24 * time.Hour

// RateCount counts N uses of a limited resource (e.g. the invitations of
// one customer) in the fixed window of length Window that holds Now; the
// change fails with ErrRateLimited when Limit would be passed. A negative N
// gives back uses counted before in the same window (never refused).
type RateCount struct {
	Key    string
	N      int
	Limit  int
	Window time.Duration
	Now    time.Time
}

// Extras are written, or checked, in the same transaction as a change: they
// land with it or not at all.
type Extras struct {
	// Idempotency is the record of the request that makes the change.
	Idempotency *Idempotency
	// Rate is counted with the change.
	Rate *RateCount
	// ActingAdmin is the identity of a portal admin acting in the scope who
	// must still be an enabled admin of it when the change lands.
	ActingAdmin string
	// ActingOperator is the identity of an operator acting who must still
	// be an enabled operator when the change lands, in ActingRole when it
	// is set: a disable or a demotion that came first stops the request.
	ActingOperator string
	ActingRole     domain.OperatorRole
}

// NewMember is the creation of a member, with its invitation's token record
// when the invitation is pending, and its audit event.
type NewMember struct {
	Member domain.Member
	Event  domain.AuditEvent
	Extras
}

// MemberChange is one change of a member, written in one transaction with
// everything that must change with it: the identity's copy of the
// membership, the e-mail's record (on delete), the scope's count of enabled
// admins, token records, markers and the audit event.
type MemberChange struct {
	// Before is the member as read; the write is conditional on its version.
	Before domain.Member
	// After is the member as it is to be; nil deletes it. Its version is
	// Before.Version + 1. The delivery bookkeeping of an invitation that
	// the change keeps (KeepsInvitation) is written only where After
	// differs from Before: what the store recorded meanwhile without a new
	// version (RecordDelivery, RecordFeedback, ReminderFailed) stays. A
	// change that replaces the invitation is ErrStale once any was recorded
	// since Before was read.
	After *domain.Member
	Event domain.AuditEvent
	// GuardLastAdmin makes the change fail with ErrLastAdmin when it would
	// take the scope's last enabled admin away.
	GuardLastAdmin bool
	// RevokeToken deletes the token record of this hash (rotation,
	// revocation, expiry); it fails with ErrClaimHeld while an accept holds
	// a claim on it.
	RevokeToken string
	// UseToken deletes the token record of this hash on accept, on condition
	// that ClaimID holds its claim (ErrTokenInvalid otherwise).
	UseToken, ClaimID string
	// NewToken writes the token record of After's invitation.
	NewToken bool
	// SyncIdentity marks the identity (Before's or After's sub) as waiting to
	// be brought in line in the sign-in system; see SyncDone.
	SyncIdentity bool
	// ClearPending removes the pending-identity marker that the accept of
	// this claim wrote before it touched the sign-in system.
	ClearPending string
	// Unaudited: the change is one step of a change audited once, elsewhere
	// (a customer's offboarding removes every member under one event of
	// the provider's trail). No event is written; Event.ID still names the
	// change's markers.
	Unaudited bool
	Now       time.Time
	Extras
}

// KeepsInvitation reports whether the change keeps the member's invitation
// (the same token): the bookkeeping recorded on it meanwhile is left as the
// store has it, except where the change itself changes it.
func (ch *MemberChange) KeepsInvitation() bool {
	b, a := ch.Before.Invitation, ch.After
	return b != nil && a != nil && a.Invitation != nil && a.Invitation.TokenHash == b.TokenHash
}

// ReplacesInvitation reports whether the change replaces or drops the
// member's invitation without deleting the member (a re-invite, a reminder
// with a fresh link): its decision rests on the bookkeeping read.
func (ch *MemberChange) ReplacesInvitation() bool {
	return ch.Before.Invitation != nil && ch.After != nil && !ch.KeepsInvitation()
}

// Result is the member after the change: After, or Before when deleted.
func (ch *MemberChange) Result() *domain.Member {
	if ch.After == nil {
		return &ch.Before
	}
	return ch.After
}

// SyncGrace is how long a request has to bring an identity in line itself
// before the sweep does it instead.
const SyncGrace = 2 * time.Minute

// RetireLease is how long a reconcile holds the lease on deleting an
// identity: while it runs, no change may link a membership to the
// identity. It is longer than any function runs, so that it outlasts both
// the holder's deleting and any accept that looked the identity up before.
const RetireLease = 2 * time.Minute

// InvitationRef is what a token's record says: whose invitation it is and
// until when it may be used.
type InvitationRef struct {
	Scope     domain.Scope
	MemberID  string
	Email     string
	ExpiresAt time.Time
}

// Delivery is the outcome of sending an invitation, recorded while the
// invitation of the token is still pending and its outcome unrecorded.
type Delivery struct {
	Scope     domain.Scope
	MemberID  string
	TokenHash string
	Outcome   domain.Delivery
	At        time.Time
	// SendCount is the count to record when the send succeeded.
	SendCount int
	// RemindAt (the reminder still to send; nil when none is, or it was
	// sent) and ExpiresAt are the invitation's as sent: once the outcome is
	// recorded, the due index holds it under the one or the other.
	RemindAt  *time.Time
	ExpiresAt time.Time
}

// Feedback is what the mail service reported of an invitation e-mail to
// Email: Outcome is delivered, bounced or complained.
type Feedback struct {
	Scope    domain.Scope
	MemberID string
	Email    string
	Outcome  domain.Delivery
	At       time.Time
	Reason   string
	// Undeliverable: a hard bounce or a complaint, which stops reminders
	// and re-invites.
	Undeliverable bool
	// The invitation as read: the record is written only while it still
	// has this token and this delivery (else ErrConcurrent). ExpiresAt
	// places it in the due index once no reminder is due.
	TokenHash string
	Prior     domain.Delivery
	ExpiresAt time.Time
}

// SendLease is how long a send, once handed to the mail service, is taken
// to be under way: a retry inside it does not send again, and the sweep
// sends again only once it has passed (DueResend).
const SendLease = time.Minute

// MaxResends is how many times the sweep sends one e-mail again
// (DueResend) before it leaves the invitation to its reminder and expiry.
const MaxResends = 3

// DueKind is a kind of work the sweep finds due.
type DueKind string

const (
	// DueResend are pending invitations whose e-mail was committed and
	// whose delivery was never recorded (a crash between the commit and the
	// send, or a send of unknown outcome): due SendLease after the attempt,
	// when the sweep sends it again (up to MaxResends times). Until then, or
	// its delivery is recorded (sent or failed), an invitation is due here,
	// not under its reminder or expiry.
	DueResend   DueKind = "RESEND"
	DueReminder DueKind = "REMIND" // pending invitations whose reminder is due
	DueExpiry   DueKind = "EXPIRE" // pending invitations that have expired
	DueIdentity DueKind = "SYNC"   // identities to bring in line with the sign-in system
	// DuePending are accepts that began to create an identity and did not
	// finish: the identity they may have left has no membership.
	DuePending DueKind = "PENDID"
	// DuePortal are portal setups whose app client (and, once deleted, whose
	// links on members) the sign-in system must be brought in line with.
	DuePortal DueKind = "PORTAL"
	// DueJob are jobs that have work left (a customer's offboarding).
	DueJob DueKind = "JOB"
	// DueAccess are enabled members whose accessUntil is set: due when the
	// reminder to their admins is, then when their access ends.
	DueAccess DueKind = "ACCESS"
	// DueImport are imports whose chunks a crash left off the queue: due
	// ImportQueueGrace after they were made.
	DueImport DueKind = "IMPORT"
)

// Due is one item of due work.
type Due struct {
	// Scope and MemberID name a member (reminders, expiries).
	Scope    domain.Scope
	MemberID string
	// Sub and Marker name an identity marker.
	Sub    string
	Marker string
	// Email names a pending identity (Marker is then the accept's claim).
	Email string
	// PortalID and ClientID name a portal setup to bring in line (Scope is
	// its customer's); ClientID is its app client as the change left it,
	// which a deleted setup's marker still holds.
	PortalID string
	ClientID string
	// JobID names a job with work left.
	JobID string
	// ImportID names an import to queue (Scope is its customer's).
	ImportID string
}

// PortalChange is one change of a portal setup: its creation (Before nil),
// a change, or its deletion (After nil), written in one transaction with the
// record that finds it by its app client, the origins its browser code may
// call from, the marker of its app client and the audit event.
type PortalChange struct {
	Before *domain.Portal
	After  *domain.Portal
	// Customer is the setup's customer, whose name and locale the record
	// by app client carries (a portal's token reads only that record).
	Customer domain.Customer
	Event    domain.AuditEvent
	// SyncClient marks the app client as waiting to be brought in line
	// with the setup (made, changed or deleted); see PortalSyncDone.
	SyncClient bool
	Now        time.Time
	Extras
}

// PendingMarker is one accept's pending-identity marker.
type PendingMarker struct {
	Claim string
	Due   time.Time
}

// Unpinned runs a read-and-change (try reads, decides and writes) that
// loses races it can win by reading again: a change the caller did not pin
// to a version (want is 0, no If-Match) and that lost to one made meanwhile
// (ErrStale) — by another caller, or by the product's own follow-up work
// such as a portal's app client being recorded — and any change that lost
// on something its own conditions did not guard (ErrConcurrent). It tries
// up to four times; a change that keeps losing is ErrConcurrent. A pinned
// change is tried once for ErrStale: the caller's copy is out of date, and
// a contended one (ErrContended) is not tried again: the store has retried it.
func Unpinned(want int, try func() error) error {
	for attempt := 1; ; attempt++ {
		err := try()
		lost := !errors.Is(err, ErrContended) && (errors.Is(err, ErrConcurrent) || errors.Is(err, ErrStale) && want == 0)
		switch {
		case !lost:
			return err
		case attempt == 4 && errors.Is(err, ErrStale):
			return ErrConcurrent
		case attempt == 4:
			return err
		}
	}
}
