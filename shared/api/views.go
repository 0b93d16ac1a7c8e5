package api

import (
	"encoding/json"
	"reflect"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/members"

	"github.com/portalaccess/portalaccess/shared/domain"
)

// The JSON the API answers with. Views never carry token hashes, subs or
// index keys.

type invitationView struct {
	State          domain.InvitationState `json:"state"`
	ExpiresAt      *time.Time             `json:"expiresAt"` // null while not sent
	LastSentAt     *time.Time             `json:"lastSentAt"`
	SendCount      int                    `json:"sendCount"`
	Delivery       domain.Delivery        `json:"delivery"`
	ReminderSentAt *time.Time             `json:"reminderSentAt"`
	// What the mail service reported, when it has.
	DeliveryAt     *time.Time `json:"deliveryAt,omitempty"`
	DeliveryReason string     `json:"deliveryReason,omitempty"`
	Undeliverable  bool       `json:"undeliverable,omitempty"`
}

type userView struct {
	ID         string        `json:"id"`
	CustomerID string        `json:"customerId"`
	Email      string        `json:"email"`
	Name       string        `json:"name"`
	Status     domain.Status `json:"status"`
	Admin      bool          `json:"admin"`
	Roles      []string      `json:"roles"`
	PortalIDs  []string      `json:"portalIds"`
	memberStamp
}

type operatorView struct {
	ID     string              `json:"id"`
	Email  string              `json:"email"`
	Name   string              `json:"name"`
	Role   domain.OperatorRole `json:"role"`
	Status domain.Status       `json:"status"`
	// MFAEnrolledAt: when the operator's authenticator app was confirmed;
	// null until then and after a reset.
	MFAEnrolledAt *time.Time `json:"mfaEnrolledAt"`
	memberStamp
}

// memberStamp is what users and operators both answer with: where their
// invitation stands, and when and how often they changed.
type memberStamp struct {
	Invitation *invitationView `json:"invitation"`
	// AccessUntil is when the member's access ends by itself; null never.
	AccessUntil *time.Time `json:"accessUntil"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	Version     int        `json:"version"`
}

func stampOf(m *domain.Member) memberStamp {
	return memberStamp{Invitation: viewInvitation(m.Invitation), AccessUntil: tsp(m.AccessUntil), CreatedAt: ts(m.CreatedAt), UpdatedAt: ts(m.UpdatedAt), Version: m.Version}
}

type customerView struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Locale    string     `json:"locale"`
	Policy    policyView `json:"policy"`
	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
	Version   int        `json:"version"`
}

type auditView struct {
	ID         string        `json:"id"`
	At         time.Time     `json:"at"`
	Actor      domain.Actor  `json:"actor"`
	Action     string        `json:"action"`
	Target     domain.Target `json:"target"`
	CustomerID *string       `json:"customerId"`
}

func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func tsp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ts(*t)
	return &v
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func viewInvitation(inv *domain.Invitation) *invitationView {
	if inv == nil {
		return nil
	}
	return &invitationView{
		State: inv.State, ExpiresAt: expiryOf(inv), LastSentAt: tsp(inv.LastSentAt),
		SendCount: inv.SendCount, Delivery: inv.Delivery, ReminderSentAt: tsp(inv.ReminderSentAt),
		DeliveryAt: tsp(inv.FeedbackAt), DeliveryReason: inv.FeedbackReason, Undeliverable: inv.Undeliverable,
	}
}

// expiryOf is when a sent invitation expires; none runs until it is sent.
func expiryOf(inv *domain.Invitation) *time.Time {
	if inv.State == domain.InvitationNotSent {
		return nil
	}
	t := ts(inv.ExpiresAt)
	return &t
}

func viewUser(m *domain.Member) userView {
	return userView{
		ID: m.ID, CustomerID: m.CustomerID, Email: m.Email, Name: m.Name, Status: m.Status,
		Admin: m.Admin, Roles: orEmpty(m.Roles), PortalIDs: orEmpty(m.PortalIDs), memberStamp: stampOf(m),
	}
}

func viewOperator(m *domain.Member) operatorView {
	v := operatorView{ID: m.ID, Email: m.Email, Name: m.Name, Role: m.Role, Status: m.Status, memberStamp: stampOf(m)}
	if m.MFAEnrolledAt != nil {
		at := ts(*m.MFAEnrolledAt)
		v.MFAEnrolledAt = &at
	}
	return v
}

// viewMember shows a member as its kind's resource.
func viewMember(m *domain.Member) any {
	if m.Scope().IsProvider() {
		return viewOperator(m)
	}
	return viewUser(m)
}

func viewCustomer(c *domain.Customer) customerView {
	return customerView{ID: c.ID, Name: c.Name, Locale: c.Locale, Policy: viewPolicy(c.Policy), CreatedAt: ts(c.CreatedAt), UpdatedAt: ts(c.UpdatedAt), Version: max(c.Version, 1)}
}

func viewAudit(e *domain.AuditEvent) auditView {
	v := auditView{ID: e.ID, At: ts(e.At), Actor: e.Actor, Action: e.Action, Target: e.Target}
	if e.CustomerID != "" {
		id := e.CustomerID
		v.CustomerID = &id
	}
	return v
}

// clearable is a string field of a PATCH that null clears: absent leaves
// it (value nil), null clears it (value ""), a string sets it.
type clearable struct {
	set bool
	s   *string
}

// AcceptsNull lets a request carry null for it (httpapi.Nullable).
func (clearable) AcceptsNull() {}

func (c *clearable) UnmarshalJSON(b []byte) error {
	c.set = true
	return json.Unmarshal(b, &c.s)
}

func (c clearable) value() *string {
	if !c.set {
		return nil
	}
	if c.s == nil {
		empty := ""
		return &empty
	}
	if *c.s == "" {
		bad := " " // "" is no moment: refused as one, not taken as null
		return &bad
	}
	return c.s
}

// policyView is a customer's policy; null is no restriction (or, for the
// lifetime, the provider's INVITATION_TTL).
type policyView struct {
	AllowedDomains            []string `json:"allowedDomains"`
	InvitationLifetimeSeconds *int64   `json:"invitationLifetimeSeconds"`
	SeatLimit                 *int     `json:"seatLimit"`
}

func viewPolicy(p domain.Policy) policyView {
	v := policyView{AllowedDomains: orEmpty(p.AllowedDomains)}
	if p.InvitationLifetime > 0 {
		secs := int64(p.InvitationLifetime / time.Second)
		v.InvitationLifetimeSeconds = &secs
	}
	if p.SeatLimit > 0 {
		n := p.SeatLimit
		v.SeatLimit = &n
	}
	return v
}

// roleList is a portal user's roles as a client gives them: a list of names
// from the customer's catalogue, or "all" (every role it has then).
type roleList struct {
	set    bool
	choice members.RoleChoice
}

func (l *roleList) UnmarshalJSON(b []byte) error {
	l.set = true
	var all string
	if json.Unmarshal(b, &all) == nil {
		if all != "all" {
			return &json.UnmarshalTypeError{Value: "string", Type: reflect.TypeFor[[]string]()}
		}
		l.choice.All = true
		return nil
	}
	if err := json.Unmarshal(b, &l.choice.Names); err != nil {
		return &json.UnmarshalTypeError{Value: "value", Type: reflect.TypeFor[[]string]()}
	}
	if l.choice.Names == nil {
		l.choice.Names = []string{}
	}
	return nil
}

func (l roleList) value() *members.RoleChoice {
	if !l.set {
		return nil
	}
	return &l.choice
}
