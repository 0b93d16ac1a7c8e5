package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/errs"
)

// An identity about to be deleted from the sign-in system has an item
// beside its marker (SYNC#<sub>, RETIRE): the leases of the reconciles
// making sure that no membership holds it before they delete it (holders,
// a string set, and leaseUntil, the newest lease's end). A change that
// would link a membership to the identity is refused while a holder is
// there and the lease runs (see ChangeMember), so that none comes to hold
// an identity being deleted.

// RetireIdentity adds holder to the leases on deleting an identity, all
// of them running until until. Reconciles do not exclude each other: each
// gives back only its own lease.
func (s *Store) RetireIdentity(ctx context.Context, sub, holder string, until time.Time) error {
	const what = "retire an identity"
	u := expression.Add(expression.Name("holders"), expression.Value(stringSet(holder))).
		Set(expression.Name("type"), expression.Value(typeRetire)).
		Set(expression.Name("leaseUntil"), at(until)).
		Set(expression.Name("ttl"), expression.Value(epoch(until.Add(24*time.Hour))))
	e, err := expression.NewBuilder().WithUpdate(u).Build()
	if err != nil {
		return errs.Wrap("store: "+what, err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: itemKey(syncPK(sub), skRetire), UpdateExpression: e.Update(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	})
	return dbError(err, what)
}

// ReleaseIdentity gives the holder's lease back when a membership holds the
// identity after all; the others' stay. With none left the identity may be
// linked again at once.
func (s *Store) ReleaseIdentity(ctx context.Context, sub, holder string) error {
	u := expression.Delete(expression.Name("holders"), expression.Value(stringSet(holder)))
	_, err := s.updateIf(ctx, syncPK(sub), skRetire, u, expression.AttributeExists(expression.Name(AttrPK)), "release an identity")
	if err == errConditionFailed {
		return nil // no lease at all: nothing to give back
	}
	return err
}

// linkable is the condition on an identity's lease item that a change
// linking a membership to it at now needs: no holder, or leases that have
// lapsed.
func linkable(now time.Time) expression.ConditionBuilder {
	return expression.AttributeNotExists(expression.Name("holders")).
		Or(expression.Name("leaseUntil").LessThan(at(now)))
}

// stringSet is a DynamoDB string set of one member.
func stringSet(v string) *types.AttributeValueMemberSS {
	return &types.AttributeValueMemberSS{Value: []string{v}}
}
