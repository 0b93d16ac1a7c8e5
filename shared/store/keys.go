package store

import (
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
)

// Keys of every item kind. Partition layout:
//
//	C#<customer>   C              the customer
//	C#<customer>   CP#<portal>    its portal setups (Query begins_with "C" reads both)
//	C#<customer>   U#<user>       its portal users
//	C#<customer>   E#<email>      e-mail uniqueness within the customer
//	OPS            U#<operator>   operators (the provider scope), E#<email> likewise
//	S#<sub>        C#<customer>   a copy of the identity's membership, read by
//	S#<sub>        OPS            the caller check (one consistent Query)
//	INV#<sha256>   INV            an invitation token, by hash
//	A#<scope>      <time>#<id>    the audit trail, newest last
//	IDEM#<…>       IDEM           an idempotency record
//	SYNC#<sub>     SYNC           an identity waiting to be brought in line with its memberships
//	SYNC#<sub>     RETIRE         an identity being deleted (a lease): no membership may
//	                              come to hold it meanwhile (invitations.go)
//	C#<customer>   AX#<user>      a member whose access ends by itself, in the
//	OPS            AX#<operator>  due index under its next due time (ACCESS)
//	PID#<email>    <claim>        an accept about to create (or set the password of) the
//	                              e-mail's identity: written before Cognito is touched
const (
	skCustomer   = "C"
	skPortalPre  = "CP#"
	skMemberPre  = "U#"
	skEmailPre   = "E#"
	skInvitation = "INV"
	skIdem       = "IDEM"
	skSync       = "SYNC"
	skRetire     = "RETIRE"
	skAccessPre  = "AX#"
	pkProvider   = "OPS"
	pkCustomers  = "CUSTOMERS"
)

// sortTime formats times so that string order is time order.
const sortTime = "2006-01-02T15:04:05.000000000Z"

func scopeKey(s domain.Scope) string {
	if s.IsProvider() {
		return pkProvider
	}
	return "C#" + s.CustomerID
}

func scopeFromKey(k string) (domain.Scope, bool) {
	if k == pkProvider {
		return domain.ProviderScope, true
	}
	if id, ok := strings.CutPrefix(k, "C#"); ok {
		return domain.CustomerScope(id), true
	}
	return domain.Scope{}, false
}

func customerPK(id string) string            { return "C#" + id }
func memberSK(id string) string              { return skMemberPre + id }
func emailSK(email string) string            { return skEmailPre + email }
func portalSK(id string) string              { return skPortalPre + id }
func invitationPK(hash string) string        { return "INV#" + hash }
func identityPK(sub string) string           { return "S#" + sub }
func syncPK(sub string) string               { return "SYNC#" + sub }
func pendingPK(email string) string          { return "PID#" + email }
func auditPK(s domain.Scope) string          { return "A#" + scopeKey(s) }
func auditSK(at time.Time, id string) string { return at.UTC().Format(sortTime) + "#" + id }
func categoryPK(s domain.Scope, st domain.Status) string {
	return scopeKey(s) + "#" + string(st)
}
func listingPK(s domain.Scope) string { return scopeKey(s) + "#U" }
func dueSK(t time.Time) string        { return t.UTC().Format(sortTime) }

// metaKey is the item that counts a scope's enabled admins: the customer
// item, or the provider's own meta item.
func metaKey(s domain.Scope) (string, string) {
	if s.IsProvider() {
		return pkProvider, skCustomer
	}
	return customerPK(s.CustomerID), skCustomer
}
