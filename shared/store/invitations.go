package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

func (it invitationItem) ref() (state.InvitationRef, bool) {
	sc, ok := scopeFromKey(it.Scope)
	return state.InvitationRef{Scope: sc, MemberID: it.MemberID, Email: it.Email, ExpiresAt: time.Time(it.ExpiresAt)}, ok
}

// Invitation finds the invitation of a token hash that may still be used at
// now; anything else (no record, expired) is the one uniform answer.
func (s *Store) Invitation(ctx context.Context, hash string, now time.Time) (state.InvitationRef, error) {
	var it invitationItem
	found, err := s.get(ctx, invitationPK(hash), skInvitation, true, &it)
	if err != nil {
		return state.InvitationRef{}, err
	}
	ref, ok := it.ref()
	if !found || !ok || !time.Time(it.ExpiresAt).After(now) {
		return state.InvitationRef{}, state.ErrTokenInvalid
	}
	return ref, nil
}

// ClaimInvitation reserves a token for one accept until `until`: of two
// accepts of one token at once, only one gets the claim and goes on to touch
// the sign-in identity. It fails with the uniform invitation error when the
// token is unknown, spent, expired at now, or claimed by an accept that is
// still running.
func (s *Store) ClaimInvitation(ctx context.Context, hash, claimID string, now, until time.Time) (state.InvitationRef, error) {
	// The claim may be taken when none is held, when the one held has
	// lapsed, or when it is this very claim (a retried call).
	c := expression.AttributeExists(expression.Name(AttrPK)).
		And(expression.Name("expiresAt").GreaterThan(at(now))).
		And(expression.AttributeNotExists(expression.Name("claimUntil")).
			Or(expression.Name("claimUntil").LessThan(at(now))).
			Or(expression.Name("claimId").Equal(expression.Value(claimID))))
	u := expression.Set(expression.Name("claimId"), expression.Value(claimID)).
		Set(expression.Name("claimUntil"), at(until))
	item, err := s.updateIf(ctx, invitationPK(hash), skInvitation, u, c, "claim an invitation")
	if err == errConditionFailed {
		return state.InvitationRef{}, state.ErrTokenInvalid
	}
	if err != nil {
		return state.InvitationRef{}, err
	}
	var it invitationItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return state.InvitationRef{}, errs.Wrap("store: claim an invitation", err)
	}
	ref, ok := it.ref()
	if !ok {
		return state.InvitationRef{}, state.ErrTokenInvalid
	}
	return ref, nil
}

// ReleaseClaim lets the token be used again after an accept that did not
// complete (a weak password, say). It is best effort: a claim also lapses.
func (s *Store) ReleaseClaim(ctx context.Context, hash, claimID string) error {
	c := expression.Name("claimId").Equal(expression.Value(claimID))
	u := expression.Remove(expression.Name("claimId")).Remove(expression.Name("claimUntil"))
	if _, err := s.updateIf(ctx, invitationPK(hash), skInvitation, u, c, "release a claim"); err != errConditionFailed {
		return err
	}
	return nil
}

// SyncDone clears an identity's marker once Cognito matches the table, unless
// a later change has written a newer marker meanwhile.
func (s *Store) SyncDone(ctx context.Context, sub, marker string) error {
	return s.deleteIf(ctx, syncPK(sub), skSync, expression.Name("marker").Equal(expression.Value(marker)), "clear an identity marker")
}

// MarkSync marks an identity for syncing again under a new marker, due
// after the grace a change's marker gets: a reconcile that could not bring
// it in line while its memberships kept changing leaves it to the sweep,
// though the marker it came for may be cleared already. It replaces the
// marker there is: the request that wrote it only leaves it to the sweep.
func (s *Store) MarkSync(ctx context.Context, sub, marker string, now time.Time) error {
	const what = "mark an identity for syncing"
	av, err := attributevalue.MarshalMap(syncItem{PK: syncPK(sub), SK: skSync, Type: typeSync, Sub: sub,
		DuePK: string(state.DueIdentity), DueSK: dueSK(now.Add(state.SyncGrace)), Marker: marker,
		TTL: epoch(now.Add(30 * 24 * time.Hour))})
	if err != nil {
		return errs.Wrap("store: "+what, err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: av})
	return dbError(err, what)
}

// deleteIf deletes an item on a condition; a failed condition is no error
// (the item is gone, or has changed, and that state stands).
func (s *Store) deleteIf(ctx context.Context, pk, sk string, c expression.ConditionBuilder, what string) error {
	e, err := expression.NewBuilder().WithCondition(c).Build()
	if err != nil {
		return errs.Wrap("store: "+what, err)
	}
	_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table, Key: itemKey(pk, sk),
		ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	})
	if err != nil && !isConditionFailed(err) {
		return dbError(err, what)
	}
	return nil
}

// pendingItem records that an accept is about to create the identity of an
// e-mail, or to give a stray one (with no membership) its password: it is
// written before Cognito is touched and removed in the transaction that
// links the identity to its membership. One left behind (a crash, a failed
// commit whose clean-up failed too) becomes due in the due index, and the
// sweep deletes the identity if it has no membership by then.
type pendingItem struct {
	PK    string `dynamodbav:"pk"`
	SK    string `dynamodbav:"sk"`
	Type  string `dynamodbav:"type"`
	DuePK string `dynamodbav:"duePk"`
	DueSK string `dynamodbav:"dueSk"`
	TTL   int64  `dynamodbav:"ttl"`
}

// PendingIdentity writes the marker of an accept (its claim) that is about
// to create or set up the e-mail's identity; it is due at due.
func (s *Store) PendingIdentity(ctx context.Context, email, claim string, due time.Time) error {
	av, err := attributevalue.MarshalMap(pendingItem{
		PK: pendingPK(email), SK: claim, Type: typePending, DuePK: string(state.DuePending), DueSK: dueSK(due),
		TTL: epoch(due.Add(30 * 24 * time.Hour)),
	})
	if err != nil {
		return errs.Wrap("store: record a pending identity", err)
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: av}); err != nil {
		return dbError(err, "record a pending identity")
	}
	return nil
}

// PendingIdentities lists the pending-identity markers of an e-mail.
func (s *Store) PendingIdentities(ctx context.Context, email string) ([]state.PendingMarker, error) {
	kc := expression.Key(AttrPK).Equal(expression.Value(pendingPK(email)))
	var out []state.PendingMarker
	err := s.queryAll(ctx, kc, "read pending identities", func(item map[string]types.AttributeValue) error {
		var it pendingItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return errs.Wrap("store: decode a pending identity", err)
		}
		due, err := time.Parse(sortTime, it.DueSK)
		if err != nil {
			return errs.Wrap("store: decode a pending identity", err)
		}
		out = append(out, state.PendingMarker{Claim: it.SK, Due: due})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ClearPending removes one pending-identity marker.
func (s *Store) ClearPending(ctx context.Context, email, claim string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: itemKey(pendingPK(email), claim)})
	if err != nil {
		return dbError(err, "clear a pending identity")
	}
	return nil
}
