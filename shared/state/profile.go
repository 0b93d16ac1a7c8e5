package state

import (
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
)

// ErrLimit: the customer has as many of a kind of record (portal setups,
// addresses, service agreements) as it may.
var ErrLimit = errs.New(errs.Conflict, "limit_reached")

// CustomerChange is a change of a customer: its name or locale, or the
// start of its offboarding (Job set). It is written in one transaction with
// the copies of the customer's name and locale that its portal setups'
// app client records carry (a start of offboarding deletes them, so that
// the portals' tokens stop at once), the job, and the audit events. It is
// conditional on Before's version and on the customer not being offboarded
// already (ErrStale; ErrNotFound when it is gone).
type CustomerChange struct {
	Before domain.Customer
	// After is the customer as it is to be; its version Before.Version+1.
	After domain.Customer
	// Portals are the customer's portal setups, as read with Before.
	Portals []domain.Portal
	// Job, when set, is the offboarding that begins: After.OffboardingJob
	// is its id, and the customer leaves the listing of customers.
	Job    *domain.Job
	Events []domain.AuditEvent
	Now    time.Time
	Extras
}

// RecordChange is the creation (Before nil), change, or deletion (After
// nil) of a record of a customer's profile (an address, a service
// agreement), written in one transaction with the customer's count
// of records of its kind and the audit event. A creation needs the customer, not
// offboarding (ErrNotFound), with room for one more (ErrLimit); a change
// or deletion is conditional on Before's version (ErrStale).
type RecordChange[T any] struct {
	Before, After *T
	Event         domain.AuditEvent
	Extras
}

// AddressChange is a RecordChange of an address.
type AddressChange = RecordChange[domain.Address]

// AgreementChange is a RecordChange of a service agreement.
type AgreementChange = RecordChange[domain.ServiceAgreement]

// SubscriptionChange is a RecordChange of a webhook subscription.
type SubscriptionChange = RecordChange[domain.Subscription]

// JobUpdate records a job's progress: what a step removed (added to the
// counts, whatever else runs the job at the same time), and, when To is
// set, the move from step From to step To, conditional on the job still
// being at From (ErrStale otherwise: another run moved it).
type JobUpdate struct {
	ID      string
	Removed domain.JobCounts
	From    domain.JobStep
	To      domain.JobStep
	Now     time.Time
}

// JobTTL is how long a finished job can still be read.
const JobTTL = 90 * 24 * time.Hour

// ErrRoleNameTaken: the customer's catalogue has a role of that name
// (without case) already.
var ErrRoleNameTaken = errs.New(errs.Exist, "role_exists")

// RoleChange is the creation (Before nil), change, or deletion (After nil)
// of a role of a customer's catalogue, written in one transaction with the
// record that keeps its name unique, the customer's count of roles and the
// audit event. A creation needs the customer, not offboarding
// (ErrNotFound), with room for one more (ErrLimit); a name another role has
// is ErrRoleNameTaken; a change or deletion is conditional on Before's
// version (ErrStale).
type RoleChange struct {
	Before, After *domain.Role
	Event         domain.AuditEvent
	Extras
}

// Migration is where a one-time migration of the sweep stands (the free-text
// roles' one): the customer it is in and where in its members, and where the
// walk of the customers goes on after it. Kept in a marker item, so that each
// bounded step resumes where the last one stopped.
type Migration struct {
	// CustomerID is the customer being migrated; empty between customers.
	CustomerID string `dynamodbav:"customerId,omitempty"`
	// Members is where the next page of its members starts; nil at its first.
	Members PageKey `dynamodbav:"members,omitempty"`
	// Customers is where the listing of customers goes on after it; nil at
	// the first customer. LastCustomer: CustomerID is the listing's last.
	Customers    PageKey `dynamodbav:"customers,omitempty"`
	LastCustomer bool    `dynamodbav:"lastCustomer,omitempty"`
	Done         bool    `dynamodbav:"done"`
}
