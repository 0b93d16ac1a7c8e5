package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
)

// ErrVersion is returned when the member changed since it was read. With an
// If-Match header it is a 412; otherwise the handler reads again and retries.
var ErrVersion = apperr.ErrVersion

// ErrAcceptInProgress is returned when a token cannot be rotated or revoked
// because an accept of it holds a claim right now.
var ErrAcceptInProgress = &apperr.Error{Kind: apperr.Conflict, Code: "invalid_state", Detail: "The invitation is being accepted right now."}

// syncGrace is how long a request has to bring an identity in line itself
// before the sweep does it instead.
const syncGrace = 2 * time.Minute

// MemberChange is one change of a member, written in one transaction with
// everything that must change with it.
type MemberChange struct {
	// Before is the member as read; the write is conditional on its version.
	Before domain.Member
	// After is the member as it is to be; nil deletes it. Its version must be
	// Before.Version + 1.
	After *domain.Member
	Event domain.AuditEvent
	// GuardLastAdmin makes the change fail with last_admin when it would take
	// the customer's last enabled admin away (portal admins acting).
	GuardLastAdmin bool
	// ActorSub, when set, is a portal admin acting in the customer whose own
	// rights are re-checked inside the transaction.
	ActorSub string
	// RevokeToken deletes the token record of this hash (rotation, revocation,
	// expiry); it fails with ErrAcceptInProgress while an accept holds a claim.
	RevokeToken string
	// UseToken deletes the token record of this hash on accept, on condition
	// that the claim is the given one.
	UseToken, ClaimID string
	// NewToken writes the token record of After's invitation.
	NewToken bool
	// SyncIdentity marks the identity (Before or After's sub) as waiting to be
	// brought in line in Cognito; see SyncDone.
	SyncIdentity bool
	// ClearPending removes the pending-identity marker that this accept
	// (its claim) wrote before it touched Cognito; see PendingIdentity.
	ClearPending string
	Now          time.Time
}

// After0 is the member after the change, or Before when it is deleted.
func (ch *MemberChange) After0() *domain.Member {
	if ch.After == nil {
		return &ch.Before
	}
	return ch.After
}

// ChangeMember writes a MemberChange. The identity copy, the e-mail record
// (on delete) and the customer's count of enabled admins follow from Before
// and After.
func (s *Store) ChangeMember(ctx context.Context, ch MemberChange, w Writes) error {
	t := s.newTx()
	b := ch.Before
	sc := b.Scope()
	versionIs := expression.Name("version").Equal(expression.Value(b.Version))
	if ch.After == nil {
		t.del(scopeKey(sc), memberSK(b.ID), &versionIs, ErrVersion)
		t.del(scopeKey(sc), emailSK(b.Email), nil, nil)
		if b.Sub != "" {
			t.del(identityPK(b.Sub), scopeKey(sc), nil, nil)
		}
	} else {
		a := *ch.After
		t.put(newMemberItem(a), &versionIs, ErrVersion)
		if a.Sub != "" {
			t.put(newIdentityItem(a), nil, nil)
		}
		if b.Sub != "" && b.Sub != a.Sub {
			t.del(identityPK(b.Sub), scopeKey(sc), nil, nil) // linked to another identity
		}
	}
	// The count of enabled admins, and the last-admin rule.
	wasAdmin := b.CountsAsAdmin()
	isAdmin := ch.After != nil && ch.After.CountsAsAdmin()
	if wasAdmin != isAdmin {
		delta := 1
		var c *expression.ConditionBuilder
		if !isAdmin {
			delta = -1
			if ch.GuardLastAdmin {
				cb := expression.Name("enabledAdmins").GreaterThan(expression.Value(1))
				c = &cb
			}
		}
		pk, sk := metaKey(sc)
		t.update(pk, sk, expression.Add(expression.Name("enabledAdmins"), expression.Value(delta)), c, apperr.ErrLastAdmin)
	}
	// The acting portal admin must still be one when the change lands (not
	// when it is the member itself: its version condition covers that).
	if ch.ActorSub != b.Sub {
		actorStillAdmin(t, ch.ActorSub, sc)
	}
	if ch.RevokeToken != "" {
		noClaim := expression.AttributeNotExists(expression.Name("claimUntil")).
			Or(expression.Name("claimUntil").LessThan(expression.Value(ch.Now)))
		t.del(invitationPK(ch.RevokeToken), skInvitation, &noClaim, ErrAcceptInProgress)
	}
	if ch.UseToken != "" {
		mine := expression.Name("claimId").Equal(expression.Value(ch.ClaimID))
		t.del(invitationPK(ch.UseToken), skInvitation, &mine, apperr.ErrInvitation)
	}
	if ch.NewToken && ch.After != nil && ch.After.Invitation != nil {
		t.putNew(newInvitationItem(*ch.After), ErrConflict)
	}
	if ch.SyncIdentity {
		sub := b.Sub
		if ch.After != nil && ch.After.Sub != "" {
			sub = ch.After.Sub
		}
		if sub != "" {
			t.put(syncItem{PK: syncPK(sub), SK: skSync, Type: typeSync, Sub: sub,
				DuePK: dueSync, DueSK: dueSK(ch.Now.Add(syncGrace)), Marker: ch.Event.ID,
				TTL: epoch(ch.Now.Add(30 * 24 * time.Hour))}, nil, nil)
		}
	}
	if ch.ClearPending != "" {
		t.del(pendingPK(b.Email), ch.ClearPending, nil, nil)
	}
	t.putNew(newAuditItem(ch.Event), nil)
	w.apply(t)
	return t.commit(ctx)
}

// actorStillAdmin makes the transaction fail with forbidden unless the
// portal admin acting in the scope is still an enabled admin of it when the
// change lands: a request that runs on after its sender was demoted or
// disabled (a bulk invite, say) changes nothing more.
func actorStillAdmin(t *tx, actorSub string, sc domain.Scope) {
	if actorSub == "" || sc.IsProvider() {
		return
	}
	t.check(identityPK(actorSub), scopeKey(sc),
		expression.Name("status").Equal(expression.Value(domain.StatusEnabled)).
			And(expression.Name("admin").Equal(expression.Value(true))), apperr.ErrForbidden)
}

// ActingAdmin adds to a creation's transaction the check that the portal
// admin acting is still an enabled admin of the scope.
func ActingAdmin(actorSub string, sc domain.Scope) Writes {
	if actorSub == "" || sc.IsProvider() {
		return nil
	}
	return Writes{func(t *tx) { actorStillAdmin(t, actorSub, sc) }}
}

// syncItem marks an identity whose Cognito state may not yet match its
// memberships. The request that wrote it clears it once Cognito is in line;
// if that never happens, the sweep finds it in the due index and finishes.
type syncItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	Type   string `dynamodbav:"type"`
	Sub    string `dynamodbav:"sub"`
	DuePK  string `dynamodbav:"duePk"`
	DueSK  string `dynamodbav:"dueSk"`
	Marker string `dynamodbav:"marker"`
	TTL    int64  `dynamodbav:"ttl"`
}
