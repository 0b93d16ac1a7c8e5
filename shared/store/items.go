package store

import (
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Item types. Each embeds its domain entity (attributevalue flattens
// embedded structs) beside the keys that place it in the table and its
// indexes.

const (
	typeCustomer     = "customer"
	typePortal       = "portal"
	typeMember       = "member"
	typeEmail        = "email"
	typeIdentity     = "membership"
	typeInvitation   = "invitation"
	typeAudit        = "audit"
	typeIdem         = "idempotency"
	typeSync         = "identity_sync"
	typeRetire       = "identity_retire"
	typePending      = "pending_identity"
	typePortalClient = "portal_client"
	typePortalSync   = "portal_sync"
	typePortalLink   = "portal_link"
	typeAddress      = "address"
	typeAgreement    = "service_agreement"
	typeJob          = "job"
	typeAccess       = "access_end"
)

type customerItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	Type   string `dynamodbav:"type"`
	ListPK string `dynamodbav:"listPk"`
	ListSK string `dynamodbav:"listSk"`
	domain.Customer
	// The counts of its members by category (domain.Customer.Members),
	// kept as top-level attributes so that ADD and conditions reach them.
	domain.MemberCounts
}

func newCustomerItem(c domain.Customer) customerItem {
	if c.Version < 1 {
		c.Version = 1
	}
	return customerItem{
		PK: customerPK(c.ID), SK: skCustomer, Type: typeCustomer,
		ListPK: pkCustomers, ListSK: customerOrder(c),
		Customer: c,
		// A new customer has no members: its counts are exact from the start.
		MemberCounts: domain.MemberCounts{Exact: true},
	}
}

// customer is the item's customer; one written before customers had
// versions is at version 1.
func (it *customerItem) customer() domain.Customer {
	c := it.Customer
	if c.Version < 1 {
		c.Version = 1
	}
	c.Members = it.MemberCounts
	return c
}

type portalItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Type string `dynamodbav:"type"`
	domain.Portal
}

type memberItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	Type   string `dynamodbav:"type"`
	CatPK  string `dynamodbav:"catPk"`
	CatSK  string `dynamodbav:"catSk"`
	ListPK string `dynamodbav:"listPk"`
	ListSK string `dynamodbav:"listSk"`
	DuePK  string `dynamodbav:"duePk,omitempty"`
	DueSK  string `dynamodbav:"dueSk,omitempty"`
	// Counted: the member is in its scope's counts. Every write since the
	// counts were kept sets it; the backfill sets it on older items.
	Counted bool `dynamodbav:"counted,omitempty"`
	// Kept is the member's Bookkept: each delivery record adds one to it;
	// ChangeMember never writes it.
	Kept int `dynamodbav:"bookkept,omitempty"`
	domain.Member
}

// member is the item's member, marked Uncounted when the item is older
// than the counts.
func (it *memberItem) member() domain.Member {
	m := it.Member
	m.Uncounted = !it.Counted
	m.Bookkept = it.Kept
	return m
}

func newMemberItem(m domain.Member) memberItem {
	s := m.Scope()
	it := memberItem{
		PK: scopeKey(s), SK: memberSK(m.ID), Type: typeMember,
		CatPK: categoryPK(s, m.Status), CatSK: m.Email,
		ListPK: listingPK(s), ListSK: m.Email,
		Counted: true,
		Member:  m,
	}
	it.DuePK, it.DueSK = dueKeysOf(m.Invitation)
	return it
}

// dueKeysOf places a pending invitation in the due index: while its e-mail
// is committed and its delivery unrecorded, under the end of the send lease
// (the sweep sends it again then, up to state.MaxResends times); else first under its reminder time while
// a reminder is due, then under its expiry.
func dueKeysOf(inv *domain.Invitation) (string, string) {
	if inv == nil || inv.State != domain.InvitationPending {
		return "", ""
	}
	if inv.Delivery == domain.DeliveryPending && inv.AttemptedAt != nil && inv.Resends < state.MaxResends {
		return string(state.DueResend), dueSK(inv.AttemptedAt.Add(state.SendLease))
	}
	if inv.RemindAt != nil && inv.ReminderSentAt == nil {
		return string(state.DueReminder), dueSK(*inv.RemindAt)
	}
	return string(state.DueExpiry), dueSK(inv.ExpiresAt)
}

// identityItem is the copy of a membership kept under its identity, so that
// resolving a caller is one strongly consistent Query of one partition. It is
// written in the same transaction as every change of the member, and carries
// no index keys and no invitation.
type identityItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Type string `dynamodbav:"type"`
	domain.Member
}

func newIdentityItem(m domain.Member) identityItem {
	m.Invitation = nil
	return identityItem{PK: identityPK(m.Sub), SK: scopeKey(m.Scope()), Type: typeIdentity, Member: m}
}

type emailItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	Type     string `dynamodbav:"type"`
	MemberID string `dynamodbav:"memberId"`
}

// invitationItem finds a member by the hash of an invitation token. It exists
// while the token may still be used, and is deleted when the token is used,
// rotated, revoked or expired.
type invitationItem struct {
	PK        string   `dynamodbav:"pk"`
	SK        string   `dynamodbav:"sk"`
	Type      string   `dynamodbav:"type"`
	Scope     string   `dynamodbav:"scope"`
	MemberID  string   `dynamodbav:"memberId"`
	Email     string   `dynamodbav:"email"`
	ExpiresAt sortable `dynamodbav:"expiresAt"`
	// An accept in progress holds a claim until ClaimUntil, so that of two
	// concurrent accepts of one token only one touches the identity.
	ClaimID    string    `dynamodbav:"claimId,omitempty"`
	ClaimUntil *sortable `dynamodbav:"claimUntil,omitempty"`
	TTL        int64     `dynamodbav:"ttl"`
}

// invitationGrace keeps spent token records a while before TTL removes them.
const invitationGrace = 30 * 24 * time.Hour

func newInvitationItem(m domain.Member) invitationItem {
	return invitationItem{
		PK: invitationPK(m.Invitation.TokenHash), SK: skInvitation, Type: typeInvitation,
		Scope: scopeKey(m.Scope()), MemberID: m.ID, Email: m.Email,
		ExpiresAt: sortable(m.Invitation.ExpiresAt),
		TTL:       epoch(m.Invitation.ExpiresAt.Add(invitationGrace)),
	}
}

type auditItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Type string `dynamodbav:"type"`
	domain.AuditEvent
}

func newAuditItem(e domain.AuditEvent) auditItem {
	s := domain.CustomerScope(e.CustomerID)
	return auditItem{PK: auditPK(s), SK: auditSK(e.At, e.ID), Type: typeAudit, AuditEvent: e}
}

// sortable is a time kept as a fixed-width string (sortTime), so that the
// string comparisons of DynamoDB's conditions order it as time: RFC 3339 as
// attributevalue writes it drops the fraction's trailing zeros, and then
// "…:00Z" sorts after "…:00.5Z". It reads either form.
type sortable time.Time

func (t sortable) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberS{Value: dueSK(time.Time(t))}, nil
}

func (t *sortable) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	s, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		return errors.New("a time must be a string")
	}
	v, err := time.Parse(time.RFC3339Nano, s.Value) // sortTime is RFC 3339 too
	if err != nil {
		return err
	}
	*t = sortable(v)
	return nil
}

// at is the form a time takes in a condition on a sortable attribute.
func at(t time.Time) expression.ValueBuilder { return expression.Value(dueSK(t)) }

// customerOrder is the customers' listing key: the lower-cased name, then
// the id after a separator below every character a name may hold (names
// hold no control characters), so that "Acme" comes before "Acme Corp".
func customerOrder(c domain.Customer) string { return strings.ToLower(c.Name) + "\x01" + c.ID }
