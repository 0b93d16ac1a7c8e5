package store

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// ChangeMember writes a change of a member in one transaction. The
// identity's copy of the membership, the e-mail record (on delete) and the
// scope's count of enabled admins follow from Before and After. The member
// is updated, not put: the delivery records land without a new version, and
// a change read before one of them leaves it as it is (memberUpdate), or,
// when it replaces the invitation, is stale.
func (s *Store) ChangeMember(ctx context.Context, ch state.MemberChange) error {
	t := s.newTx()
	b := ch.Before
	sc := b.Scope()
	versionIs := expression.Name("version").Equal(expression.Value(b.Version))
	if b.Uncounted {
		// Counted as read, or not at all: the backfill may count it meanwhile.
		versionIs = versionIs.And(expression.AttributeNotExists(expression.Name("counted")))
	}
	if ch.ReplacesInvitation() {
		// A re-invite or a reminder decided on the delivery bookkeeping it
		// read (undeliverable, sent, due): none may have landed since.
		versionIs = versionIs.And(bookkeptIs(b.Bookkept))
	}
	if ch.After == nil {
		t.del(scopeKey(sc), memberSK(b.ID), &versionIs, state.ErrStale)
		t.del(scopeKey(sc), emailSK(b.Email), nil, nil)
		if b.Sub != "" {
			t.del(identityPK(b.Sub), scopeKey(sc), nil, nil)
		}
	} else {
		a := *ch.After
		u, err := memberUpdate(b, a, ch.KeepsInvitation())
		if err != nil {
			t.fail(err)
		}
		t.update(scopeKey(a.Scope()), memberSK(a.ID), u, &versionIs, state.ErrStale)
		if a.Sub != "" {
			t.put(newIdentityItem(a), nil, nil)
		}
		if a.Sub != "" && a.Sub != b.Sub {
			// Linked now: not to an identity that is being deleted.
			t.check(syncPK(a.Sub), skRetire, linkable(ch.Now), state.ErrConcurrent)
		}
		if b.Sub != "" && b.Sub != a.Sub {
			t.del(identityPK(b.Sub), scopeKey(sc), nil, nil) // linked to another identity
		}
	}
	// The scope's counts by category and of enabled admins, and for a
	// customer its seats, in one update of its meta item (one transaction
	// names an item once); the last-admin rule and the seat limit. A change
	// that takes a seat (enabling again) never takes an admin away, so one
	// condition stands for it.
	wasAdmin := b.CountsAsAdmin()
	isAdmin := ch.After != nil && ch.After.CountsAsAdmin()
	admins := 0
	var c *expression.ConditionBuilder
	onFail := state.ErrLastAdmin
	if wasAdmin != isAdmin {
		admins = 1
		if !isAdmin {
			admins = -1
			if ch.GuardLastAdmin {
				cb := expression.Name("enabledAdmins").GreaterThan(expression.Value(1))
				c = &cb
			}
		}
	}
	u, ok := metaUpdate(admins, countDelta(&b, ch.After))
	seats := 0
	if !sc.IsProvider() {
		seats = domain.SeatDelta(&b, ch.After)
	}
	if seats != 0 {
		u, ok = u.Add(expression.Name("seats"), expression.Value(seats)), true
	}
	if seats > 0 {
		cb := seatRoom()
		c, onFail = &cb, state.ErrSeatLimit
	}
	if ok {
		pk, sk := metaKey(sc)
		t.update(pk, sk, u, c, onFail)
	}
	if ch.RevokeToken != "" {
		noClaim := expression.AttributeNotExists(expression.Name("claimUntil")).
			Or(expression.Name("claimUntil").LessThan(at(ch.Now)))
		t.del(invitationPK(ch.RevokeToken), skInvitation, &noClaim, state.ErrClaimHeld)
	}
	if ch.UseToken != "" {
		mine := expression.Name("claimId").Equal(expression.Value(ch.ClaimID))
		t.del(invitationPK(ch.UseToken), skInvitation, &mine, state.ErrTokenInvalid)
	}
	if ch.NewToken && ch.After != nil && ch.After.Invitation != nil {
		t.putNew(newInvitationItem(*ch.After), state.ErrConcurrent)
	}
	if ch.SyncIdentity {
		sub := b.Sub
		if ch.After != nil && ch.After.Sub != "" {
			sub = ch.After.Sub
		}
		if sub != "" {
			t.put(syncItem{PK: syncPK(sub), SK: skSync, Type: typeSync, Sub: sub,
				DuePK: string(state.DueIdentity), DueSK: dueSK(ch.Now.Add(state.SyncGrace)), Marker: ch.Event.ID,
				TTL: epoch(ch.Now.Add(30 * 24 * time.Hour))}, nil, nil)
		}
	}
	linkWrites(t, &ch.Before, ch.After)
	accessWrites(t, &ch.Before, ch.After)
	if ch.ClearPending != "" {
		t.del(pendingPK(b.Email), ch.ClearPending, nil, nil)
	}
	if !ch.Unaudited {
		t.putNew(newAuditItem(ch.Event), nil)
	}
	// The acting portal admin must still be one when the change lands (not
	// when it is the member itself: its version condition covers that).
	x := ch.Extras
	if x.ActingAdmin == b.Sub {
		x.ActingAdmin = ""
	}
	if x.ActingOperator == b.Sub && sc.IsProvider() {
		x.ActingOperator = "" // the operator's own record, written here
	}
	t.extras(x, sc)
	return t.commit(ctx)
}

// bookkeeping are the attributes of an invitation that the delivery records
// write without a new version (RecordDelivery, RecordFeedback,
// ReminderFailed).
var bookkeeping = map[string]bool{
	"delivery": true, "lastSentAt": true, "sendCount": true, "feedbackAt": true, "feedbackReason": true,
	"undeliverable": true, "remindAt": true, "reminderSentAt": true,
}

// memberUpdate writes a member's change over its item: every attribute as
// the item of a has it, the ones b's has and a's not removed, as a put of
// a's item would, except that on an invitation the change keeps, the
// delivery bookkeeping and the due keys are written only where a differs
// from b: what was recorded since b was read stays.
func memberUpdate(b, a domain.Member, keep bool) (expression.UpdateBuilder, error) {
	var u expression.UpdateBuilder
	was, err := attributevalue.MarshalMap(newMemberItem(b))
	if err != nil {
		return u, err
	}
	is, err := attributevalue.MarshalMap(newMemberItem(a))
	if err != nil {
		return u, err
	}
	for _, k := range slices.Sorted(maps.Keys(is)) {
		v := is[k]
		switch {
		case k == AttrPK || k == AttrSK:
		case k == "invitation" && keep:
			bm, bok := was[k].(*types.AttributeValueMemberM)
			am, aok := v.(*types.AttributeValueMemberM)
			if !bok || !aok {
				return u, errors.New("store: an invitation is not a map")
			}
			for _, f := range slices.Sorted(maps.Keys(am.Value)) {
				if !bookkeeping[f] || !reflect.DeepEqual(bm.Value[f], am.Value[f]) {
					u = u.Set(expression.Name(k+"."+f), expression.Value(am.Value[f]))
				}
			}
			for _, f := range slices.Sorted(maps.Keys(bm.Value)) {
				if _, ok := am.Value[f]; !ok {
					u = u.Remove(expression.Name(k + "." + f))
				}
			}
		case (k == "duePk" || k == "dueSk") && keep && reflect.DeepEqual(was[k], v):
		default:
			u = u.Set(expression.Name(k), expression.Value(v))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(was)) {
		if _, ok := is[k]; !ok {
			u = u.Remove(expression.Name(k))
		}
	}
	return u, nil
}

// bookkeptIs is the condition that no delivery record landed on the member
// since it was read with n.
func bookkeptIs(n int) expression.ConditionBuilder {
	if n == 0 {
		return expression.AttributeNotExists(expression.Name("bookkept"))
	}
	return expression.Name("bookkept").Equal(expression.Value(n))
}

// actorStillAdmin makes the transaction fail with ErrActorNotAdmin unless
// the portal admin acting in the scope is still an enabled admin of it when
// the change lands: a request that runs on after its sender was demoted or
// disabled (a bulk invite, say) changes nothing more.
func actorStillAdmin(t *tx, actorSub string, sc domain.Scope) {
	if actorSub == "" || sc.IsProvider() {
		return
	}
	t.check(identityPK(actorSub), scopeKey(sc),
		expression.Name("status").Equal(expression.Value(domain.StatusEnabled)).
			And(expression.Name("admin").Equal(expression.Value(true))), state.ErrActorNotAdmin)
}

// actorStillOperator makes the transaction fail with ErrActorNotAdmin
// unless the operator acting is still an enabled operator, in the role they
// acted in (when given), when the change lands.
func actorStillOperator(t *tx, actorSub string, role domain.OperatorRole) {
	if actorSub == "" {
		return
	}
	cond := expression.Name("status").Equal(expression.Value(domain.StatusEnabled))
	if role != "" {
		cond = cond.And(expression.Name("role").Equal(expression.Value(role)))
	}
	t.check(identityPK(actorSub), scopeKey(domain.ProviderScope), cond, state.ErrActorNotAdmin)
}

// syncItem marks an identity whose sign-in state may not yet match its
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

// accessItem puts a member whose access ends by itself in the due index,
// under its next due time (the reminder to its admins, then the end). It is
// written in the same transactions as the member, only when that time
// changes, and deleted once the member's access no longer ends by itself
// (disabled, deleted, cleared): the sweep reads what is due and nothing else.
type accessItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	Type     string `dynamodbav:"type"`
	MemberID string `dynamodbav:"memberId"`
	DuePK    string `dynamodbav:"duePk"`
	DueSK    string `dynamodbav:"dueSk"`
}

// accessWrites keeps the member's access item in line with the change.
func accessWrites(t *tx, b, a *domain.Member) {
	var was, is time.Time
	var wasOK, isOK bool
	if b != nil {
		was, _, wasOK = b.AccessDue()
	}
	if a != nil {
		is, _, isOK = a.AccessDue()
	}
	switch {
	case isOK && (!wasOK || !was.Equal(is)):
		t.put(accessItem{PK: scopeKey(a.Scope()), SK: skAccessPre + a.ID, Type: typeAccess, MemberID: a.ID,
			DuePK: string(state.DueAccess), DueSK: dueSK(is)}, nil, nil)
	case wasOK && !isOK:
		t.del(scopeKey(b.Scope()), skAccessPre+b.ID, nil, nil)
	}
}
