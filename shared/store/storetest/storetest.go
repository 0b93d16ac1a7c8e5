// Package storetest is the conformance suite of the stores: what every
// store of the product's state must do, checked through the ports alone
// (shared/state's contract), so that the DynamoDB store (shared/store) and
// the in-memory store (shared/store/memstore) are held to the same
// behaviour: the same conditions, the same error for each refusal, every
// write all or nothing, the same order and paging of listings.
//
// The DynamoDB store is the reference: where this suite and it disagree,
// the suite is wrong, unless the DynamoDB store has a bug.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Store is a store under test: every port of every area.
type Store = app.Store

// Run runs the suite: one subtest per behaviour, each on a fresh store from
// open, in parallel with the others (open must allow that). A fresh store
// is empty: the listings of customers and of due work span the whole store.
func Run(t *testing.T, open func(t *testing.T) Store) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newWorld(t, open(t)))
		})
	}
}

// cases are the suite's subtests, in the order they are reported.
var cases = []struct {
	name string
	run  func(t *testing.T, w *world)
}{
	// Customers, portal setups, the directory, the audit trail.
	{"CreateCustomerAndReadIt", testCreateCustomer},
	// Imports.
	{"ImportsAndTheirChunks", testImports},
	{"ImportChunkItemSizeLimit", testImportChunkTooLarge},
	{"CustomerEmails", testCustomerEmails},
	{"ListCustomersByNameThenIDInPages", testListCustomers},
	{"CreatePortalNeedsItsCustomer", testCreatePortal},
	{"CustomerWithPortals", testCustomerWithPortals},
	{"Directory", testDirectory},
	{"AuditTrailNewestFirstInPages", testListAudit},
	{"PortalChangesAndTheirRecords", testPortalChanges},
	{"OriginsOfNoSetup", testOriginsOfNoSetup},
	{"PortalMarkers", testPortalMarkers},
	{"PortalMembers", testPortalMembers},
	// Members.
	{"CreateMemberAndReadIt", testCreateMember},
	{"ReadsReturnCopies", testReadsReturnCopies},
	{"CreateMemberNeedsItsCustomer", testCreateNeedsCustomer},
	{"EmailIsUniquePerScope", testEmailPerScope},
	{"CreateMemberRefusesTakenIDsSubsAndTokens", testCreateConflicts},
	{"ListMembersByCategoryAndSearchInPages", testListMembers},
	{"ACallerSeesAChangeAtOnce", testChangeSeenAtOnce},
	{"IdentityCopiesFollowTheMember", testIdentityCopies},
	{"AnOperatorsEnrolmentReachesTheNextRequest", testMFAEnrolment},
	{"DeleteFreesTheEmail", testDeleteFreesEmail},
	{"CountOfEnabledAdmins", testAdminCounting},
	{"GuardLastAdmin", testGuardLastAdmin},
	{"ActingAdminMustStillBeAnEnabledAdmin", testActingAdmin},
	{"ActingOperatorMustStillBeEnabledInItsRole", testActingOperator},
	{"AuditEventSharesItsTransactionsFate", testAuditSharesFate},
	{"FirstFailedConditionAnswers", testPrecedence},
	// Counts by category.
	{"CountsFollowEveryChange", testCountsFollowEveryChange},
	{"CountsStayExactUnderConcurrency", testConcurrentCounts},
	{"ProviderCountsAfterTheBackfill", testProviderCountsAfterBackfill},
	// The role catalogue.
	{"RoleCatalogue", testRoleCatalogue},
	{"RoleLimit", testRoleLimit},
	{"TheRolesMigration", testRolesMigration},
	// Invitations.
	{"InvitationUntilItExpires", testInvitation},
	{"ClaimInvitation", testClaims},
	{"RevokeTokenWaitsForALiveClaim", testRevokeToken},
	{"UseTokenNeedsItsClaim", testUseToken},
	{"NewToken", testNewToken},
	{"RecordDeliveryOnlyWhilePendingAndTheSameToken", testRecordDelivery},
	{"RecordFeedbackOnlyOnTheInvitationRead", testRecordFeedback},
	{"AChangeKeepsTheBookkeepingRecordedSinceItsRead", testChangeKeepsBookkeeping},
	// Due work and markers.
	{"DueIndexReminderThenExpiry", testDueIndex},
	{"DueResendWhileTheDeliveryIsUnrecorded", testDueResend},
	{"DueAccess", testDueAccess},
	{"SeatLimit", testSeatLimit},
	{"CustomerPolicy", testCustomerPolicy},
	{"DueByPagesOldestFirst", testDuePaging},
	{"ReminderFailedPutsTheReminderBack", testReminderFailed},
	{"SyncIdentityMarkers", testSyncMarkers},
	{"SyncIdentityMarkedAgain", testSyncMarkedAgain},
	{"PendingIdentityMarkers", testPendingMarkers},
	{"RetiredIdentitiesCannotBeLinked", testRetiredIdentities},
	// Idempotency and rate limits.
	{"IdempotencyRecords", testIdempotency},
	{"IdempotencyWithTheChange", testIdempotencyExtras},
	{"RateWindows", testRateWindows},
	{"RateCountedWithTheChange", testRateExtras},
	// Concurrency.
	{"ConcurrentCreatesOfOneEmail", testConcurrentCreates},
	{"TwoAdminsDemotingEachOther", testMutualDemotion},
	{"ConcurrentChangesOfOneVersion", testConcurrentChanges},
	{"ConcurrentClaimsOfOneToken", testConcurrentClaims},
	{"ConcurrentTakesOfOneWindow", testConcurrentTakes},
	{"ConcurrentPutsOfOneIdempotencyKey", testConcurrentIdempotency},
	// The organization profile, customers' changes, their offboarding.
	{"Addresses", testAddresses},
	{"Agreements", testAgreements},
	{"ProfileAndPortalLimits", testProfileLimits},
	// Webhook subscriptions.
	{"Subscriptions", testSubscriptions},
	{"WebhookDeliveries", testWebhookDeliveries},
	{"ChangeCustomer", testChangeCustomer},
	{"OffboardingBegins", testOffboardingBegins},
	{"OffboardingSteps", testOffboardingSteps},
	// Faults.
	{"ACancelledCallIsUnavailableAndWritesNothing", testCancelled},
}

// world is one subtest's store, clock and helpers.
type world struct {
	t *testing.T
	s Store
	// now is the subtest's time: whole hours, a year ahead (so that nothing
	// the suite writes is ever garbage to a TTL).
	now time.Time
}

func newWorld(t *testing.T, s Store) *world {
	return &world{t: t, s: s, now: time.Now().UTC().Add(365 * 24 * time.Hour).Truncate(time.Hour)}
}

func (w *world) ctx() context.Context { return w.t.Context() }

// event is an audit event of the scope at w.now.
func (w *world) event(sc domain.Scope) domain.AuditEvent {
	return w.eventAt(sc, w.now)
}

func (w *world) eventAt(sc domain.Scope, at time.Time) domain.AuditEvent {
	return domain.AuditEvent{ID: domain.NewID(domain.PrefixEvent), At: at, Actor: domain.SystemActor,
		Action: "test", Target: domain.Target{Kind: "test", ID: "x"}, CustomerID: sc.CustomerID}
}

// customer creates a customer.
func (w *world) customer(name string) domain.Customer {
	w.t.Helper()
	c := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: name, Locale: "en", CreatedAt: w.now, UpdatedAt: w.now}
	if err := w.s.CreateCustomer(w.ctx(), c, w.event(domain.CustomerScope(c.ID)), state.Extras{}); err != nil {
		w.t.Fatalf("create customer %q: %v", name, err)
	}
	return c
}

// customerScope creates a customer, with the scope of its members.
func (w *world) customerScope(name string) (domain.Customer, domain.Scope) {
	w.t.Helper()
	c := w.customer(name)
	return c, c.Scope()
}

// beginOffboarding begins a customer's offboarding, its job at the members
// step, as the customer is now; it returns the job.
func (w *world) beginOffboarding(c domain.Customer) domain.Job {
	w.t.Helper()
	cur, err := w.s.Customer(w.ctx(), c.ID)
	noErr(w.t, err, "read the customer")
	j := domain.Job{ID: domain.NewID(domain.PrefixJob), Kind: domain.JobOffboarding, CustomerID: c.ID, CustomerName: c.Name,
		Step: domain.JobMembers, CreatedAt: w.now, UpdatedAt: w.now}
	after := cur
	after.OffboardingJob, after.Version = j.ID, cur.Version+1
	noErr(w.t, w.s.ChangeCustomer(w.ctx(), state.CustomerChange{Before: cur, After: after, Job: &j, Now: w.now,
		Events: []domain.AuditEvent{w.event(domain.ProviderScope)}}), "begin the offboarding")
	return j
}

// portal creates a portal setup of the customer.
func (w *world) portal(customerID, name string) domain.Portal {
	w.t.Helper()
	p := domain.Portal{ID: domain.NewID(domain.PrefixPortal), CustomerID: customerID, Name: name, URL: "https://" + name + ".example", CreatedAt: w.now}
	if err := w.createPortal(p, w.event(domain.CustomerScope(customerID)), state.Extras{}); err != nil {
		w.t.Fatalf("create portal %q: %v", name, err)
	}
	return p
}

// invited is a new member of the scope with a pending invitation that
// expires in a week (not yet written), and its token.
func (w *world) invited(sc domain.Scope, email string) (domain.Member, string) {
	token, hash := domain.NewToken()
	at := w.now
	m := domain.Member{
		ID: domain.NewID(sc.IDPrefix()), CustomerID: sc.CustomerID, Email: email, Name: domain.LocalPart(email),
		Status: domain.StatusUnconfirmed, Version: 1, CreatedAt: w.now, UpdatedAt: w.now,
		Invitation: &domain.Invitation{State: domain.InvitationPending, TokenHash: hash, ExpiresAt: w.now.Add(7 * 24 * time.Hour),
			Delivery: domain.DeliveryPending, AttemptedAt: &at, InvitedBy: "Tester"},
	}
	if sc.IsProvider() {
		m.Role = domain.RoleTechnician
	}
	return m, token
}

// enabled is a new enabled member of the scope with an identity (not yet
// written); admin makes it a portal admin, or an operator admin.
func (w *world) enabled(sc domain.Scope, email string, admin bool) domain.Member {
	m, _ := w.invited(sc, email)
	m.Status, m.Sub, m.Invitation = domain.StatusEnabled, "sub-"+domain.NewID("s"), nil
	if sc.IsProvider() {
		if admin {
			m.Role = domain.RoleAdmin
		}
	} else {
		m.Admin = admin
	}
	return m
}

// create writes a new member.
func (w *world) create(m domain.Member) domain.Member {
	w.t.Helper()
	if err := w.s.CreateMember(w.ctx(), state.NewMember{Member: m, Event: w.event(m.Scope())}); err != nil {
		w.t.Fatalf("create member %s: %v", m.Email, err)
	}
	return m
}

// createErr tries to write a new member.
func (w *world) createErr(m domain.Member, x state.Extras) error {
	return w.s.CreateMember(w.ctx(), state.NewMember{Member: m, Event: w.event(m.Scope()), Extras: x})
}

// next is m at its next version, as f changes it (a deep copy).
func next(m domain.Member, f func(a *domain.Member)) *domain.Member {
	a := copyMember(m)
	a.Version = m.Version + 1
	if f != nil {
		f(&a)
	}
	return &a
}

func copyMember(m domain.Member) domain.Member {
	m.RoleIDs, m.LegacyRoles = slices.Clone(m.RoleIDs), slices.Clone(m.LegacyRoles)
	m.PortalIDs = slices.Clone(m.PortalIDs)
	if m.Invitation != nil {
		inv := *m.Invitation
		m.Invitation = &inv
	}
	return m
}

// changeErr writes a change; the event and time default to the scope's and
// w.now.
func (w *world) changeErr(ch state.MemberChange) error {
	if ch.Event.ID == "" {
		ch.Event = w.event(ch.Before.Scope())
	}
	if ch.Now.IsZero() {
		ch.Now = w.now
	}
	return w.s.ChangeMember(w.ctx(), ch)
}

// change writes a change that must succeed and returns the member after it.
func (w *world) change(ch state.MemberChange) domain.Member {
	w.t.Helper()
	if err := w.changeErr(ch); err != nil {
		w.t.Fatalf("change %s: %v", ch.Before.Email, err)
	}
	return *ch.Result()
}

// member reads a member that must be there.
func (w *world) member(sc domain.Scope, id string) domain.Member {
	w.t.Helper()
	m, err := w.s.Member(w.ctx(), sc, id)
	if err != nil {
		w.t.Fatalf("read member %s: %v", id, err)
	}
	return m
}

// gone checks that a member is not there.
func (w *world) gone(sc domain.Scope, id string) {
	w.t.Helper()
	if m, err := w.s.Member(w.ctx(), sc, id); !errors.Is(err, state.ErrNotFound) {
		w.t.Fatalf("member %s: got %+v, %v; want not_found", id, m, err)
	}
}

// audit reads a scope's whole audit trail.
func (w *world) audit(sc domain.Scope) []domain.AuditEvent {
	w.t.Helper()
	var out []domain.AuditEvent
	everyPage(w.t, "read the audit trail", 0, func(start state.PageKey) (state.Page[domain.AuditEvent], error) {
		return w.s.ListAudit(w.ctx(), sc, 100, start)
	}, func(items []domain.AuditEvent) { out = append(out, items...) })
	return out
}

// everyPage reads a listing page after page from its start (read reads
// the page at start) and gives each page's items to each; it returns how
// many pages there were. With a limit (above 0, the one read asks for)
// every page is held to it: none larger, and each full but the last, the
// only one without a next key.
func everyPage[T any](t *testing.T, what string, limit int32, read func(start state.PageKey) (state.Page[T], error), each func([]T)) int {
	t.Helper()
	var start state.PageKey
	for pages := 1; ; pages++ {
		p, err := read(start)
		noErr(t, err, what)
		if limit > 0 && (len(p.Items) > int(limit) || (p.Next != nil && len(p.Items) != int(limit))) {
			t.Fatalf("%s: a page of %d at limit %d, next %v", what, len(p.Items), limit, p.Next)
		}
		each(p.Items)
		if p.Next == nil {
			return pages
		}
		start = p.Next
	}
}

// admins is the customer's count of enabled admins, read consistently.
func (w *world) admins(customerID string) int {
	w.t.Helper()
	c, _, err := w.s.CustomerWithPortals(w.ctx(), customerID)
	if err != nil {
		w.t.Fatalf("read customer: %v", err)
	}
	return c.EnabledAdmins
}

// memberships are the scopes of an identity's memberships, in order.
func (w *world) memberships(sub string) []domain.Member {
	w.t.Helper()
	ms, err := w.s.Memberships(w.ctx(), sub)
	if err != nil {
		w.t.Fatalf("read memberships: %v", err)
	}
	return ms
}

// due lists all the work of a kind due at now.
func (w *world) due(kind state.DueKind, now time.Time) []state.Due {
	w.t.Helper()
	var out []state.Due
	everyPage(w.t, "read due work", 0, func(start state.PageKey) (state.Page[state.Due], error) {
		return w.s.DueBy(w.ctx(), kind, now, 100, start)
	}, func(items []state.Due) { out = append(out, items...) })
	return out
}

// wantErr fails unless err is the sentinel target.
func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got %v, want %v", what, err, target)
	}
}

// noErr fails on an error.
func noErr(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// retryAfter is how long a rate-limit refusal says to wait.
func retryAfter(err error) time.Duration {
	if e := errs.As(err); e != nil {
		return e.RetryAfter
	}
	return -1
}

// sameMember fails unless got is want, field by field.
func sameMember(t *testing.T, got, want domain.Member, what string) {
	t.Helper()
	g, _ := json.Marshal(got)
	x, _ := json.Marshal(want)
	if string(g) != string(x) {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, x)
	}
}

// emails are the e-mails of members, in order.
func emails(ms []domain.Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Email)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// createPortal creates a portal setup as a change of its own.
func (w *world) createPortal(p domain.Portal, ev domain.AuditEvent, x state.Extras) error {
	return w.s.ChangePortal(w.ctx(), state.PortalChange{After: &p, Event: ev, Now: w.now, Extras: x})
}
