package store

import (
	"context"
	"strings"
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

// An identity about to be deleted from the sign-in system has an item
// beside its marker (SYNC#<sub>, RETIRE): the leases of the reconciles
// making sure that no membership holds it before they delete it. holders
// is a string set of "<until>#<holder>", leaseUntil the latest until of
// those there (a change's condition cannot read the set), rev a counter of
// the item's writes. A change that would link a membership to the identity
// is refused while leaseUntil has not passed (see ChangeMember), so that
// none comes to hold an identity being deleted.

// retireItem is the leases item as read.
type retireItem struct {
	Holders []string `dynamodbav:"holders,stringset,omitempty"`
	Rev     int      `dynamodbav:"rev"`
}

// RetireIdentity adds holder's lease, until until, to the leases on
// deleting an identity. Reconciles do not exclude each other: each gives
// back only its own. leaseUntil only moves later here: a holder whose clock
// is behind does not shorten another's lease.
func (s *Store) RetireIdentity(ctx context.Context, sub, holder string, until time.Time) error {
	const what = "retire an identity"
	// add is made anew for each use: an UpdateBuilder's copies share
	// what is added to any of them.
	add := func() expression.UpdateBuilder {
		return expression.Add(expression.Name("holders"), expression.Value(stringSet(leaseOf(holder, until)))).
			Add(expression.Name("rev"), expression.Value(1)).
			Set(expression.Name("type"), expression.Value(typeRetire))
	}
	later := expression.AttributeNotExists(expression.Name("leaseUntil")).Or(expression.Name("leaseUntil").LessThan(at(until)))
	u := add().Set(expression.Name("leaseUntil"), at(until)).Set(expression.Name("ttl"), expression.Value(epoch(until.Add(24*time.Hour))))
	_, err := s.updateIf(ctx, syncPK(sub), skRetire, u, later, what)
	if err != errConditionFailed {
		return err
	}
	// A later lease runs already: only join it.
	_, err = s.updateIf(ctx, syncPK(sub), skRetire, add(), expression.AttributeExists(expression.Name(AttrPK)), what)
	if err == errConditionFailed {
		return state.ErrConcurrent // the item went meanwhile (its TTL): the marker stays for the sweep
	}
	return err
}

// releaseAttempts is how often ReleaseIdentity reads and writes again when
// another lease was added or given back between its read and its write.
const releaseAttempts = 4

// ReleaseIdentity gives the holder's lease back when a membership holds the
// identity after all; the others' stay, and leaseUntil becomes the latest
// of theirs that has not passed by now (none: the attribute goes), so that
// the identity may be linked again as soon as no other lease runs. Leases
// that have passed go from the set.
func (s *Store) ReleaseIdentity(ctx context.Context, sub, holder string, now time.Time) error {
	const what = "release an identity"
	for range releaseAttempts {
		var it retireItem
		found, err := s.get(ctx, syncPK(sub), skRetire, true, &it)
		if err != nil || !found {
			return err
		}
		var drop []string
		var latest time.Time
		for _, h := range it.Holders {
			who, until := parseLease(h)
			if who == holder || until.Before(now) {
				drop = append(drop, h)
			} else if until.After(latest) {
				latest = until
			}
		}
		if len(drop) == 0 {
			return nil // not held by holder, and nothing lapsed
		}
		u := expression.Delete(expression.Name("holders"), expression.Value(stringSet(drop...))).
			Add(expression.Name("rev"), expression.Value(1))
		if latest.IsZero() {
			u = u.Remove(expression.Name("leaseUntil"))
		} else {
			u = u.Set(expression.Name("leaseUntil"), at(latest))
		}
		_, err = s.updateIf(ctx, syncPK(sub), skRetire, u, expression.Name("rev").Equal(expression.Value(it.Rev)), what)
		if err != errConditionFailed {
			return err
		}
	}
	return state.ErrConcurrent // the lease lapses
}

// linkable is the condition on an identity's leases item that a change
// linking a membership to it at now needs: no lease running.
func linkable(now time.Time) expression.ConditionBuilder {
	return expression.AttributeNotExists(expression.Name("leaseUntil")).
		Or(expression.Name("leaseUntil").LessThan(at(now)))
}

// leaseOf is a lease as the holders set keeps it.
func leaseOf(holder string, until time.Time) string { return dueSK(until) + "#" + holder }

// parseLease splits a lease of the holders set; one that cannot be read
// counts as long passed.
func parseLease(h string) (string, time.Time) {
	at, who, _ := strings.Cut(h, "#")
	t, err := time.Parse(sortTime, at)
	if err != nil {
		return who, time.Time{}
	}
	return who, t
}

// stringSet is a DynamoDB string set of vs, for ADD and DELETE.
func stringSet(vs ...string) *types.AttributeValueMemberSS {
	return &types.AttributeValueMemberSS{Value: vs}
}
