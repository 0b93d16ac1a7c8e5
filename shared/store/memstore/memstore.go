// Package memstore keeps the product's state in memory, with the semantics
// of the DynamoDB store (shared/store): the same conditions on every write,
// the same error for each failed condition, every write all or nothing, the
// same order and paging of listings. It is the store of the fast test tier,
// held to the DynamoDB store by the conformance suite (shared/store/storetest),
// not a mock: use cases tested on it behave as they do on DynamoDB.
//
// It is modelled on the domain, not on DynamoDB's items: customers, portal
// setups, members per scope, the records that keep e-mails unique, the
// identities' copies of their memberships, invitation tokens and their
// claims, identity and pending-identity markers, idempotency records, rate
// windows, audit trails and each scope's count of enabled admins. One mutex
// makes every call atomic; a Store is safe for concurrent use.
package memstore

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Store is an in-memory store. The zero value is not usable: call New.
type Store struct {
	// BeforeCommit, when set, is called by every write (op is the method's
	// name: "CreateMember", "ChangeMember", "Take"…) before the write looks
	// at the state. An error it returns is the write's answer and nothing is
	// written: return state.ErrUnavailable for a transient fault (a throttled
	// or unreachable table), state.ErrConcurrent for a transaction that lost
	// a race, or any other error. It runs outside the store's lock, so it may
	// block (to let another call through first) or call the store itself.
	// Set it before the store is shared between goroutines.
	BeforeCommit func(op string) error
	// BeforeRead is BeforeCommit for the reads ("Member", "ListMembers",
	// "DueBy"…).
	BeforeRead func(op string) error

	mu sync.Mutex
	// migrations are the sweep's migration markers, by name.
	migrations map[string]state.Migration
	// imports are the customers' imports: customer id, then import id.
	imports map[string]map[string]*importRec
	// customers by id, and the portal setups of each.
	customers map[string]*customerRec
	portals   map[string]map[string]domain.Portal
	// providerAdmins counts the provider's enabled operator admins.
	providerAdmins int
	// providerCounts counts the operators by category.
	providerCounts domain.MemberCounts
	// members of each scope by id, and the e-mail records of each scope.
	members map[domain.Scope]map[string]*memberRec
	emails  map[domain.Scope]map[string]string
	// identities are the copies of memberships by sub, then scope.
	identities map[string]map[domain.Scope]domain.Member
	// tokens are the invitation token records by hash.
	tokens map[string]*tokenRec
	// syncs are the identity markers by sub.
	syncs map[string]syncRec
	// leases are the leases on deleting identities, by sub, then holder:
	// until when.
	leases map[string]map[string]time.Time
	// pending are the pending-identity markers by e-mail, then claim: when due.
	pending map[string]map[string]time.Time
	idem    map[string]state.Idempotency
	// rates are the counts of rate windows by key and window start.
	rates map[string]int
	// audit are the trails by customer id ("" for the provider), by sort key.
	audit map[string]map[string]domain.AuditEvent
	// clients are the portal setups by app client, with their customer.
	clients map[string]clientRec
	// origins are the portal setups calling from each origin.
	origins map[string]map[string]bool
	// portalSyncs are the portal markers by portal id.
	portalSyncs map[string]portalSyncRec
	// links are the members linked to each portal: portal id, then member
	// id, the member's e-mail (their order).
	links map[string]map[string]string
	// addresses and agreements are the customers' profiles: customer id,
	// then record id.
	addresses  map[string]map[string]domain.Address
	agreements map[string]map[string]domain.ServiceAgreement
	// roles are the customers' catalogues (customer id, then role id), and
	// roleNames the records that keep names unique (customer id, then the
	// name without case: the role's id).
	roles     map[string]map[string]domain.Role
	roleNames map[string]map[string]string
	// subscriptions are the customers' webhook subscriptions, likewise.
	subscriptions map[string]map[string]domain.Subscription
	// deliveries are the subscriptions' delivery logs, by subscription id,
	// oldest first.
	deliveries map[string][]domain.WebhookDelivery
	// jobs by id.
	jobs map[string]domain.Job
}

type clientRec struct {
	p  domain.Portal
	cu domain.Customer
}

type portalSyncRec struct {
	customer, client, marker string
	due                      time.Time
}

// customerRec is a customer, or only the count of enabled admins of a
// customer that does not exist (DynamoDB's update of the count creates the
// item when it is missing; such an item is no customer for CreateCustomer
// nor for the listings, but it is found by reads of the item).
type customerRec struct {
	c       domain.Customer
	phantom bool
}

// memberRec is a member and where it stands in the due index.
type memberRec struct {
	m   domain.Member
	due dueSlot
}

// dueSlot places an item in the due index; kind "" is not in it.
type dueSlot struct {
	kind state.DueKind
	at   time.Time
}

// tokenRec is the record of an invitation token: whose it is, and the
// claim an accept holds on it.
type tokenRec struct {
	ref        state.InvitationRef
	claimed    bool
	claimID    string
	claimUntil time.Time
}

// syncRec is an identity waiting to be brought in line.
type syncRec struct {
	marker string
	due    time.Time
}

// New makes an empty store.
func New() *Store {
	return &Store{
		customers:     map[string]*customerRec{},
		portals:       map[string]map[string]domain.Portal{},
		members:       map[domain.Scope]map[string]*memberRec{},
		emails:        map[domain.Scope]map[string]string{},
		identities:    map[string]map[domain.Scope]domain.Member{},
		tokens:        map[string]*tokenRec{},
		syncs:         map[string]syncRec{},
		leases:        map[string]map[string]time.Time{},
		pending:       map[string]map[string]time.Time{},
		idem:          map[string]state.Idempotency{},
		rates:         map[string]int{},
		audit:         map[string]map[string]domain.AuditEvent{},
		clients:       map[string]clientRec{},
		origins:       map[string]map[string]bool{},
		portalSyncs:   map[string]portalSyncRec{},
		links:         map[string]map[string]string{},
		addresses:     map[string]map[string]domain.Address{},
		agreements:    map[string]map[string]domain.ServiceAgreement{},
		roles:         map[string]map[string]domain.Role{},
		roleNames:     map[string]map[string]string{},
		migrations:    map[string]state.Migration{},
		jobs:          map[string]domain.Job{},
		subscriptions: map[string]map[string]domain.Subscription{},
		deliveries:    map[string][]domain.WebhookDelivery{},
		imports:       map[string]map[string]*importRec{},
	}
}

// write starts a write: a cancelled context is unavailable, as the DynamoDB
// store answers, and the BeforeCommit hook may refuse it. On nil the store
// is locked; the caller unlocks.
func (s *Store) write(ctx context.Context, op string) error { return s.enter(ctx, op, s.BeforeCommit) }

// writeRated starts a write that takes from a rate limit (rc nil: none) as
// write does, once the limit allows it (see rateFull).
func (s *Store) writeRated(ctx context.Context, op string, rc *state.RateCount) error {
	if err := rateFull(rc); err != nil {
		return err
	}
	return s.write(ctx, op)
}

// read starts a read as write starts a write, with the BeforeRead hook.
func (s *Store) read(ctx context.Context, op string) error { return s.enter(ctx, op, s.BeforeRead) }

// enter is the start of a read or a write: the context, then the hook
// (nil: none); on nil the store is locked.
func (s *Store) enter(ctx context.Context, op string, hook func(op string) error) error {
	if err := ctx.Err(); err != nil {
		return state.ErrUnavailable.In("memstore: "+op, err)
	}
	if hook != nil {
		if err := hook(op); err != nil {
			return err
		}
	}
	s.mu.Lock()
	return nil
}

// invalid is the answer to a request DynamoDB refuses as malformed (an
// empty key, one item twice in a transaction, a limit below 1): a fault of
// the caller's code, Internal as the DynamoDB store reports it.
func invalid(op, why string) error {
	return errs.Wrap("memstore: "+op, errors.New(why))
}

// Sort keys. Listings page in the DynamoDB store's order, which is the
// byte order of these strings; a page key holds the key of a page's last
// item.

// sortTime formats times so that string order is time order (the DynamoDB
// store's own format of due and audit times).
const sortTime = "2006-01-02T15:04:05.000000000Z"

func timeKey(t time.Time) string { return t.UTC().Format(sortTime) }

// scopeKey orders scopes as the DynamoDB store's keys do: customers by id,
// then the provider.
func scopeKey(sc domain.Scope) string {
	if sc.IsProvider() {
		return "OPS"
	}
	return "C#" + sc.CustomerID
}

func auditKey(e domain.AuditEvent) string { return timeKey(e.At) + "#" + e.ID }

type keyed[T any] struct {
	key string
	v   T
}

// page sorts the items by key (descending when desc), skips those up to the
// start key, and cuts a page of limit items; Next is the key of its last item
// when more follow, as the DynamoDB store's read of limit+1 items tells.
func page[T any](op, attr string, items []keyed[T], desc bool, limit int32, start state.PageKey) (state.Page[T], error) {
	var out state.Page[T]
	if limit < 1 {
		return out, invalid(op, "the limit must be at least 1")
	}
	sort.Slice(items, func(i, j int) bool {
		if desc {
			return items[i].key > items[j].key
		}
		return items[i].key < items[j].key
	})
	if len(start) > 0 {
		after, ok := start[attr]
		if !ok || len(start) != 1 {
			return out, invalid(op, "the page key is not one of this listing")
		}
		i := sort.Search(len(items), func(i int) bool {
			if desc {
				return items[i].key < after
			}
			return items[i].key > after
		})
		items = items[i:]
	}
	if len(items) > int(limit) {
		items = items[:limit]
		out.Next = state.PageKey{attr: items[len(items)-1].key}
	}
	for _, it := range items {
		out.Items = append(out.Items, it.v)
	}
	return out, nil
}

// Copies. The store keeps its own copies of what it is given and hands out
// copies of what it keeps, so that no caller shares memory with it. Times
// are kept as a DynamoDB round trip returns them (RFC 3339 with
// nanoseconds: no monotonic reading, UTC or a fixed offset).

func roundTrip(t time.Time) time.Time {
	u, err := time.Parse(time.RFC3339Nano, t.Format(time.RFC3339Nano))
	if err != nil {
		return t // outside RFC 3339's years; kept as given
	}
	return u
}

func roundTripPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := roundTrip(*t)
	return &u
}

func cloneMember(m domain.Member) domain.Member {
	// Role names are resolved for answers and never kept; empty role
	// lists are left out, as the table leaves them.
	m.Roles = nil
	m.RoleIDs, m.LegacyRoles = orNil(m.RoleIDs), orNil(m.LegacyRoles)
	m.PortalIDs = slices.Clone(m.PortalIDs)
	m.CreatedAt, m.UpdatedAt = roundTrip(m.CreatedAt), roundTrip(m.UpdatedAt)
	m.AccessUntil, m.AccessRemindAt = roundTripPtr(m.AccessUntil), roundTripPtr(m.AccessRemindAt)
	if m.Invitation != nil {
		inv := *m.Invitation
		inv.ExpiresAt = roundTrip(inv.ExpiresAt)
		inv.LastSentAt = roundTripPtr(inv.LastSentAt)
		inv.ReminderSentAt = roundTripPtr(inv.ReminderSentAt)
		inv.RemindAt = roundTripPtr(inv.RemindAt)
		inv.AttemptedAt = roundTripPtr(inv.AttemptedAt)
		m.Invitation = &inv
	}
	return m
}

// cloneCustomer copies a customer; one written without a version is at 1,
// as the DynamoDB store reads it.
func cloneCustomer(c domain.Customer) domain.Customer {
	c.CreatedAt, c.UpdatedAt = roundTrip(c.CreatedAt), roundTrip(c.UpdatedAt)
	c.Version = max(c.Version, 1)
	c.Policy = clonePolicy(c.Policy)
	return c
}

// clonePolicy copies a policy as the table gives it back: an empty list of
// domains is none.
func clonePolicy(p domain.Policy) domain.Policy {
	if len(p.AllowedDomains) == 0 {
		p.AllowedDomains = nil
	} else {
		p.AllowedDomains = slices.Clone(p.AllowedDomains)
	}
	return p
}

func clonePortal(p domain.Portal) domain.Portal {
	p.CreatedAt, p.UpdatedAt = roundTrip(p.CreatedAt), roundTrip(p.UpdatedAt)
	p.RedirectURIs = slices.Clone(p.RedirectURIs)
	return p
}

func cloneEvent(e domain.AuditEvent) domain.AuditEvent {
	e.At = roundTrip(e.At)
	if e.Target.Email != nil {
		email := *e.Target.Email
		e.Target.Email = &email
	}
	if e.Target.Name != nil {
		name := *e.Target.Name
		e.Target.Name = &name
	}
	return e
}

func cloneAddress(a domain.Address) domain.Address {
	a.Lines = slices.Clone(a.Lines)
	a.CreatedAt, a.UpdatedAt = roundTrip(a.CreatedAt), roundTrip(a.UpdatedAt)
	return a
}

func cloneAgreement(a domain.ServiceAgreement) domain.ServiceAgreement {
	a.CreatedAt, a.UpdatedAt = roundTrip(a.CreatedAt), roundTrip(a.UpdatedAt)
	a.Status = "" // never stored
	return a
}

func cloneJob(j domain.Job) domain.Job {
	j.CreatedAt, j.UpdatedAt = roundTrip(j.CreatedAt), roundTrip(j.UpdatedAt)
	j.FinishedAt = roundTripPtr(j.FinishedAt)
	return j
}

func cloneIdem(r state.Idempotency) state.Idempotency {
	r.CreatedAt = roundTrip(r.CreatedAt)
	return r
}

// identityCopy is the copy of a membership kept under its identity: the
// member without its invitation.
func identityCopy(m domain.Member) domain.Member {
	m = cloneMember(m)
	m.Invitation, m.Bookkept = nil, 0
	return m
}

// dueOf places a member's pending invitation in the due index: under the
// end of its send lease while its delivery is unrecorded (and the sweep
// has not sent it again state.MaxResends times), else under its
// reminder while one is due, then under its expiry.
func dueOf(inv *domain.Invitation) dueSlot {
	if inv == nil || inv.State != domain.InvitationPending {
		return dueSlot{}
	}
	if inv.Delivery == domain.DeliveryPending && inv.AttemptedAt != nil && inv.Resends < state.MaxResends {
		return dueSlot{kind: state.DueResend, at: inv.AttemptedAt.Add(state.SendLease)}
	}
	if inv.RemindAt != nil && inv.ReminderSentAt == nil {
		return dueSlot{kind: state.DueReminder, at: *inv.RemindAt}
	}
	return dueSlot{kind: state.DueExpiry, at: inv.ExpiresAt}
}

// lowerName is the customers' listing order: the lower-cased name, then id.
func lowerName(c domain.Customer) string { return strings.ToLower(c.Name) + "\x01" + c.ID }

func orNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}
