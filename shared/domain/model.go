// Package domain holds the product's entities, their states and the rules
// for their fields. It knows nothing of HTTP, DynamoDB or Cognito.
package domain

import "time"

// Status is the category an admin browses users by.
type Status string

const (
	StatusEnabled     Status = "enabled"
	StatusDisabled    Status = "disabled"
	StatusUnconfirmed Status = "unconfirmed"
)

// ValidStatus reports whether s is one of the three categories.
func ValidStatus(s string) bool {
	switch Status(s) {
	case StatusEnabled, StatusDisabled, StatusUnconfirmed:
		return true
	}
	return false
}

// Kind tells portal users and operators apart; both are Members.
type Kind string

const (
	KindUser     Kind = "user"
	KindOperator Kind = "operator"
)

// OperatorRole is the role of a member of the provider's staff.
type OperatorRole string

const (
	RoleAdmin      OperatorRole = "admin"
	RoleTechnician OperatorRole = "technician"
)

// ValidOperatorRole reports whether r is an operator role.
func ValidOperatorRole(r string) bool {
	return OperatorRole(r) == RoleAdmin || OperatorRole(r) == RoleTechnician
}

// Scope is where a member belongs: one customer, or the provider itself.
// Operators are members of the provider scope and share the whole life cycle
// (invite, accept, disable, enable, delete) with portal users.
type Scope struct {
	CustomerID string // empty for the provider scope
}

// ProviderScope is the scope of operators.
var ProviderScope = Scope{}

// CustomerScope is the scope of a customer's portal users.
func CustomerScope(id string) Scope { return Scope{CustomerID: id} }

// IsProvider reports whether the scope holds operators.
func (s Scope) IsProvider() bool { return s.CustomerID == "" }

// MemberKind is the kind of member the scope holds.
func (s Scope) MemberKind() Kind {
	if s.IsProvider() {
		return KindOperator
	}
	return KindUser
}

// IDPrefix is the id prefix of the scope's members.
func (s Scope) IDPrefix() string {
	if s.IsProvider() {
		return PrefixOperator
	}
	return PrefixUser
}

// Customer is a customer of the provider, owner of portals and their users.
type Customer struct {
	ID        string    `dynamodbav:"id"`
	Name      string    `dynamodbav:"name"`
	Locale    string    `dynamodbav:"locale"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	UpdatedAt time.Time `dynamodbav:"updatedAt"`
	// EnabledAdmins counts the enabled members with admin rights; a
	// conditional decrement keeps the last one from being removed by a
	// portal admin, race-free.
	EnabledAdmins int `dynamodbav:"enabledAdmins"`
	// Version grows by one on every change of the name or locale, and when
	// the offboarding begins. A customer made before versions is at 1.
	Version int `dynamodbav:"version"`
	// OffboardingJob is the job that offboards the customer, set in the
	// transaction that accepts its delete: from then on the customer is gone
	// for every call but the job's.
	OffboardingJob string `dynamodbav:"offboardingJob,omitempty"`
	// Counts of the customer's portal setups, addresses and service
	// agreements, kept in the transactions that add and remove them, so
	// that their limits hold race-free.
	PortalCount    int `dynamodbav:"portalCount"`
	AddressCount   int `dynamodbav:"addressCount"`
	AgreementCount int `dynamodbav:"agreementCount"`
	// Members counts the customer's portal users by category, kept in the
	// transactions that create and delete them or change their status, so
	// that reading them is one item and a condition can read them too.
	Members MemberCounts `dynamodbav:"-"`
	// SubscriptionCount counts its webhook subscriptions, likewise.
	SubscriptionCount int `dynamodbav:"subscriptionCount"`
	// Seats counts the customer's members that are enabled or unconfirmed,
	// kept in the members' own transactions: a new seat is taken on
	// condition that it stays within Policy.SeatLimit, race-free.
	Seats int `dynamodbav:"seats"`
	// Policy is what the operator admins set on the customer: allowed
	// e-mail domains, its invitation lifetime, its seat limit.
	Policy Policy `dynamodbav:"policy"`
}

// MemberCounts are a scope's members by category. Exact is false while a
// scope written before the counts were kept has not been counted yet (the
// sweep's backfill does that once).
type MemberCounts struct {
	Enabled     int  `dynamodbav:"enabledCount" json:"enabled"`
	Disabled    int  `dynamodbav:"disabledCount" json:"disabled"`
	Unconfirmed int  `dynamodbav:"unconfirmedCount" json:"unconfirmed"`
	Exact       bool `dynamodbav:"countsExact" json:"-"`
}

// Add counts a member of status st n more times (n may be negative).
func (c *MemberCounts) Add(st Status, n int) {
	switch st {
	case StatusEnabled:
		c.Enabled += n
	case StatusDisabled:
		c.Disabled += n
	case StatusUnconfirmed:
		c.Unconfirmed += n
	}
}

// Offboarding reports whether the customer's offboarding has begun.
func (c Customer) Offboarding() bool { return c.OffboardingJob != "" }

// Portal is one portal setup of a customer: a relying party of the user
// pool, with an app client of its own that its users sign in through.
type Portal struct {
	ID         string `dynamodbav:"id"`
	CustomerID string `dynamodbav:"customerId"`
	Name       string `dynamodbav:"name"`
	URL        string `dynamodbav:"url"`
	// RedirectURIs are where the managed login may send a signed-in user
	// back to (the app client's callback URLs).
	RedirectURIs []string `dynamodbav:"redirectUris"`
	// ClientID is the portal's app client in the user pool, once it is
	// registered (just after the setup is committed).
	ClientID  string    `dynamodbav:"clientId,omitempty"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	UpdatedAt time.Time `dynamodbav:"updatedAt"`
	Version   int       `dynamodbav:"version"`
}

// LogoutURIs are where the managed login may send a signed-out user: the
// portal's own address, with and without its closing slash (the managed
// login matches them exactly, and clients write it either way).
func (p *Portal) LogoutURIs() []string {
	if d := DefaultRedirectURI(p.URL); d != p.URL {
		return []string{p.URL, d}
	}
	return []string{p.URL}
}

// Origins are the web origins the portal's browser code calls the API from:
// those of its address and of its redirect URIs; none for no setup (nil).
func (p *Portal) Origins() []string {
	if p == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, raw := range append([]string{p.URL}, p.RedirectURIs...) {
		if o := OriginOf(raw); o != "" && !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out
}

// Client is the setup's app client, "" for none or no setup (nil).
func (p *Portal) Client() string {
	if p == nil {
		return ""
	}
	return p.ClientID
}

// InvitationState is where an invitation stands.
type InvitationState string

const (
	InvitationPending  InvitationState = "pending"
	InvitationExpired  InvitationState = "expired"
	InvitationAccepted InvitationState = "accepted"
	InvitationRevoked  InvitationState = "revoked"
	// InvitationNotSent: added now, to be invited later (seed 002, "send
	// the invitations later"): no token, no e-mail, no expiry and no
	// reminder until a re-invite sends the first one.
	InvitationNotSent InvitationState = "not_sent"
)

// Delivery is what is known of the last invitation e-mail.
type Delivery string

const (
	DeliveryPending Delivery = "pending" // handed to the sender, outcome not yet recorded
	DeliverySent    Delivery = "sent"
	DeliveryFailed  Delivery = "failed"
	// What the mail service heard back (SES's events): the receiving server
	// took it; it bounced; the recipient marked it as spam.
	DeliveryDelivered  Delivery = "delivered"
	DeliveryBounced    Delivery = "bounced"
	DeliveryComplained Delivery = "complained"
	// DeliveryNotSent: no e-mail was asked for yet (an invitation not sent).
	DeliveryNotSent Delivery = "not_sent"
)

// Sent reports whether the e-mail left: sent, or heard of since.
func (d Delivery) Sent() bool {
	return d == DeliverySent || d == DeliveryDelivered || d == DeliveryBounced || d == DeliveryComplained
}

// Invitation is the invitation of a member; only the hash of its token is kept.
type Invitation struct {
	State          InvitationState `dynamodbav:"state"`
	TokenHash      string          `dynamodbav:"tokenHash"`
	ExpiresAt      time.Time       `dynamodbav:"expiresAt"`
	LastSentAt     *time.Time      `dynamodbav:"lastSentAt"`
	SendCount      int             `dynamodbav:"sendCount"`
	Delivery       Delivery        `dynamodbav:"delivery"`
	ReminderSentAt *time.Time      `dynamodbav:"reminderSentAt"`
	// RemindAt is when the reminder goes out; nil when none is due (reminders
	// off, already sent, or the invitation too short-lived to need one).
	RemindAt *time.Time `dynamodbav:"remindAt"`
	// AttemptedAt is when the latest e-mail was handed to the sender. While
	// Delivery is pending and this is recent, a send is under way and no
	// retry sends another.
	AttemptedAt *time.Time `dynamodbav:"attemptedAt"`
	// Resends counts the times the sweep sent the latest e-mail again because
	// its delivery went unrecorded (a crash, or an outcome unknown); it
	// stops at MaxResends, so that a mail service that keeps losing its
	// answers does not get the e-mail sent every run.
	Resends int `dynamodbav:"resends,omitempty"`
	// InvitedBy is the name of whoever sent the latest invitation, for the e-mail.
	InvitedBy string `dynamodbav:"invitedBy"`
	// FeedbackAt and FeedbackReason are when the mail service reported
	// Delivery (delivered, bounced, complained) and what it said.
	FeedbackAt     *time.Time `dynamodbav:"feedbackAt,omitempty"`
	FeedbackReason string     `dynamodbav:"feedbackReason,omitempty"`
	// Undeliverable: the address bounced for good, or its owner complained.
	// No reminder goes to it and no re-invite is sent; deleting the user and
	// adding them again (with a corrected address) is the way on.
	Undeliverable bool `dynamodbav:"undeliverable,omitempty"`
}

// Member is a portal user of a customer or an operator of the provider.
type Member struct {
	ID         string `dynamodbav:"id"`
	CustomerID string `dynamodbav:"customerId"` // empty for operators
	Email      string `dynamodbav:"email"`
	Name       string `dynamodbav:"name"`
	Status     Status `dynamodbav:"status"`
	// Portal users.
	Admin bool `dynamodbav:"admin"`
	// RoleIDs are the customer's catalogue roles the member holds, by id:
	// a rename of a role shows on every member at once and a deleted one
	// is left out when read (RoleNames), with no write to any member.
	RoleIDs []string `dynamodbav:"roleIds,omitempty"`
	// LegacyRoles are free-text roles of an item written before the
	// catalogue; the sweep's migration (MIGRATION#roles) carries them into
	// the catalogue and RoleIDs. Until then they are shown as they are.
	LegacyRoles []string `dynamodbav:"roles,omitempty"`
	// Roles are the names of the member's roles, resolved through the
	// catalogue when the member is read for an answer; never stored.
	Roles     []string `dynamodbav:"-"`
	PortalIDs []string `dynamodbav:"portalIds"`
	// Operators.
	Role OperatorRole `dynamodbav:"role,omitempty"`
	// AccessUntil, when set, is the moment the member's access ends by
	// itself: the sweep disables them then (see sweep's access phase).
	AccessUntil *time.Time `dynamodbav:"accessUntil,omitempty"`
	// AccessRemindAt is when the member's admins are told that the access
	// is about to end; nil when no reminder is due (none set, or too close).
	AccessRemindAt *time.Time `dynamodbav:"accessRemindAt,omitempty"`
	// AccessReminder is where that reminder stands: "" not yet, "sending"
	// committed and being sent (a sweep that finds it so sends it), "sent".
	AccessReminder string `dynamodbav:"accessReminder,omitempty"`
	// MFAEnrolledAt is when the operator's authenticator app (TOTP) was
	// confirmed: until then, and again after a reset or once the sweep
	// finds the app switched off, every request but GET /v1/me and the
	// enrolment is refused with mfa_required.
	MFAEnrolledAt *time.Time `dynamodbav:"mfaEnrolledAt,omitempty"`
	// MFAResetPending: an operator admin reset the app and Cognito has not
	// yet been told (the sweep finishes it).
	MFAResetPending bool `dynamodbav:"mfaResetPending,omitempty"`
	// Sub is the Cognito identity once the invitation is accepted.
	Sub        string      `dynamodbav:"sub,omitempty"`
	Invitation *Invitation `dynamodbav:"invitation,omitempty"`
	// Request is the idempotency record of the request that created the
	// member, so that a retried bulk invite recognises its own work.
	Request   string    `dynamodbav:"request,omitempty"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	UpdatedAt time.Time `dynamodbav:"updatedAt"`
	Version   int       `dynamodbav:"version"`
	// Uncounted marks a member read from an item written before the scope's
	// counts were kept: a change of it counts it (the store's business; it
	// is never shown).
	Uncounted bool `dynamodbav:"-" json:"-"`
	// Bookkept counts the delivery bookkeeping recorded on the member's
	// invitations (sent, failed, the mail service's reports, a reminder put
	// back), which moves no version. A change that replaces the invitation
	// holds it as read, so that it never decides on bookkeeping it did not
	// see (the store's business; it is never shown).
	Bookkept int `dynamodbav:"-" json:"-"`
}

// Scope is the scope the member belongs to.
func (m *Member) Scope() Scope { return Scope{CustomerID: m.CustomerID} }

// Kind is the member's kind.
func (m *Member) Kind() Kind { return m.Scope().MemberKind() }

// CountsAsAdmin reports whether the member is one of its scope's enabled
// admins (a customer's portal admins, or the operator admins): the number
// that must not drop to zero.
func (m *Member) CountsAsAdmin() bool {
	if m.Status != StatusEnabled {
		return false
	}
	if m.Scope().IsProvider() {
		return m.Role == RoleAdmin
	}
	return m.Admin
}

// Access reminder states (Member.AccessReminder).
const (
	AccessReminderSending = "sending"
	AccessReminderSent    = "sent"
)

// AccessDue is when the sweep must next look at the member's access: the
// reminder to its admins, then the moment the access ends. ok is false for
// a member whose access does not end by itself (no AccessUntil, or not
// enabled: an unconfirmed member cannot accept once it has passed, and a
// disabled one has nothing left to end).
func (m *Member) AccessDue() (at time.Time, reminder bool, ok bool) {
	if m.AccessUntil == nil || m.Status != StatusEnabled {
		return time.Time{}, false, false
	}
	if m.AccessRemindAt != nil && m.AccessReminder != AccessReminderSent {
		return *m.AccessRemindAt, true, true
	}
	return *m.AccessUntil, false, true
}

// AccessEnded reports whether the member's access has ended at now.
func (m *Member) AccessEnded(now time.Time) bool {
	return m.AccessUntil != nil && !m.AccessUntil.After(now)
}

// HoldsSeat reports whether the member takes one of its customer's seats
// (Policy.SeatLimit): enabled or unconfirmed; operators hold none.
func (m *Member) HoldsSeat() bool {
	return !m.Scope().IsProvider() && (m.Status == StatusEnabled || m.Status == StatusUnconfirmed)
}

// SeatDelta is how a change from before to after (nil: none) moves its
// customer's count of seats: -1, 0 or 1.
func SeatDelta(before, after *Member) int {
	d := 0
	if before != nil && before.HoldsSeat() {
		d--
	}
	if after != nil && after.HoldsSeat() {
		d++
	}
	return d
}

// Actor kinds recorded in the audit trail.
const (
	ActorOperator   = "operator"
	ActorPortalUser = "portal_user"
	ActorSystem     = "system"
)

// Actor is who did something.
type Actor struct {
	ID    string `dynamodbav:"id" json:"id"`
	Email string `dynamodbav:"email" json:"email"`
	Kind  string `dynamodbav:"kind" json:"kind"`
	Name  string `dynamodbav:"name" json:"-"`
}

// SystemActor is the scheduled job.
var SystemActor = Actor{ID: "system", Email: "system", Kind: ActorSystem, Name: "System"}

// Target is what an audit event is about.
type Target struct {
	Kind  string  `dynamodbav:"kind" json:"kind"`
	ID    string  `dynamodbav:"id" json:"id"`
	Email *string `dynamodbav:"email" json:"email"`
	// Name names a target that has no e-mail (a customer), so that the
	// trail still says which one once it is gone.
	Name *string `dynamodbav:"name,omitempty" json:"name,omitempty"`
}

// AuditEvent is one entry of the audit trail, written in the same
// transaction as the change it records.
type AuditEvent struct {
	ID         string    `dynamodbav:"id"`
	At         time.Time `dynamodbav:"at"`
	Actor      Actor     `dynamodbav:"actor"`
	Action     string    `dynamodbav:"action"`
	Target     Target    `dynamodbav:"target"`
	CustomerID string    `dynamodbav:"customerId"` // empty for provider events
}

// Audit actions.
const (
	ActionCustomerCreated = "customer.created"
	// The provider's trail: a customer renamed (or its language changed),
	// and the start of its offboarding, the one event of it that is kept.
	ActionCustomerUpdated    = "customer.updated"
	ActionCustomerOffboarded = "customer.offboarded"
	// The organization profile, on the customer's trail.
	ActionAddressCreated   = "address.created"
	ActionAddressUpdated   = "address.updated"
	ActionAddressDeleted   = "address.deleted"
	ActionAgreementCreated = "service_agreement.created"
	ActionAgreementUpdated = "service_agreement.updated"
	ActionAgreementDeleted = "service_agreement.deleted"
	ActionPortalCreated    = "portal.created"
	ActionPortalUpdated    = "portal.updated"
	ActionPortalDeleted    = "portal.deleted"
	// ActionPortalRegistered: the portal's app client was made.
	ActionPortalRegistered = "portal.registered"
	ActionInvited          = "invited"
	ActionReinvited        = "reinvited"
	ActionReminded         = "reminder_sent"
	ActionAccepted         = "invitation_accepted"
	ActionExpired          = "invitation_expired"
	ActionUpdated          = "updated"
	ActionEnabled          = "enabled"
	ActionDisabled         = "disabled"
	ActionDeleted          = "deleted"
	// ActionAccessExpired: the sweep disabled the member when its
	// accessUntil passed; ActionAccessReminder: the member's admins were
	// told it is about to.
	ActionAccessExpired  = "access_expired"
	ActionAccessReminded = "access_reminder_sent"
	// An operator's authenticator app: confirmed (mfa_enrolled), reset by
	// an operator admin (mfa_reset), or found switched off by the sweep
	// (mfa_lapsed).
	ActionMFAEnrolled = "mfa_enrolled"
	ActionMFAReset    = "mfa_reset"
	ActionMFALapsed   = "mfa_lapsed"
)

// MemberActions are the actions recorded on a member of either kind.
var MemberActions = []string{ActionInvited, ActionReinvited, ActionReminded, ActionAccepted, ActionExpired,
	ActionUpdated, ActionEnabled, ActionDisabled, ActionDeleted, ActionAccessReminded, ActionAccessExpired}

// Actions are every action the audit trail records, so every event type
// the product publishes (shared/events).
func Actions() []string {
	out := []string{ActionCustomerCreated, ActionCustomerUpdated, ActionCustomerOffboarded,
		ActionAddressCreated, ActionAddressUpdated, ActionAddressDeleted,
		ActionAgreementCreated, ActionAgreementUpdated, ActionAgreementDeleted,
		ActionPortalCreated, ActionPortalUpdated, ActionPortalDeleted, ActionPortalRegistered,
		ActionRoleCreated, ActionRoleUpdated, ActionRoleDeleted}
	for _, k := range []Kind{KindUser, KindOperator} {
		for _, a := range MemberActions {
			out = append(out, Action(k, a))
		}
	}
	for _, a := range []string{ActionMFAEnrolled, ActionMFAReset, ActionMFALapsed} {
		out = append(out, Action(KindOperator, a))
	}
	return append(out, subscriptionActions...)
}

// NeedsMFA reports whether the member is an operator who has not (or no
// longer) confirmed an authenticator app.
func (m *Member) NeedsMFA() bool { return m.Scope().IsProvider() && m.MFAEnrolledAt == nil }

// Action names an audit action on a member of the given kind, e.g. "user.invited".
func Action(k Kind, action string) string { return string(k) + "." + action }

// TargetOf makes the audit target of a member.
func TargetOf(m *Member) Target {
	email := m.Email
	return Target{Kind: string(m.Kind()), ID: m.ID, Email: &email}
}

// NewEvent makes the audit event of a change in a scope.
func NewEvent(at time.Time, actor Actor, action string, target Target, sc Scope) AuditEvent {
	return AuditEvent{ID: NewID(PrefixEvent), At: at, Actor: actor, Action: action, Target: target, CustomerID: sc.CustomerID}
}

// Scope is the scope of the customer's portal users.
func (c Customer) Scope() Scope { return CustomerScope(c.ID) }

// Target kinds of the audit trail besides members'.
const (
	TargetCustomer  = "customer"
	TargetPortal    = "portal"
	TargetAddress   = "address"
	TargetAgreement = "service_agreement"
)
