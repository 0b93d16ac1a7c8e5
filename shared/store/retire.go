package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/portalaccess/portalaccess/shared/state"
)

// An identity about to be deleted from the sign-in system has an item
// beside its marker (SYNC#<sub>, RETIRE): the lease of the one reconcile
// that makes sure no membership holds it, then deletes it. A change that
// would link a membership to the identity is refused while the lease runs
// (see ChangeMember), so that none comes to hold an identity being deleted.

// RetireIdentity takes the lease on deleting an identity until until, for
// the holder token (which may take it again); it is refused with
// state.ErrConcurrent while another holder's lease runs.
func (s *Store) RetireIdentity(ctx context.Context, sub, token string, now, until time.Time) error {
	free := expression.AttributeNotExists(expression.Name("leaseUntil")).
		Or(expression.Name("leaseUntil").LessThan(at(now))).
		Or(expression.Name("leaseHolder").Equal(expression.Value(token)))
	u := expression.Set(expression.Name("type"), expression.Value(typeRetire)).
		Set(expression.Name("leaseHolder"), expression.Value(token)).
		Set(expression.Name("leaseUntil"), at(until)).
		Set(expression.Name("ttl"), expression.Value(epoch(until.Add(24*time.Hour))))
	_, err := s.updateIf(ctx, syncPK(sub), skRetire, u, free, "retire an identity")
	if err == errConditionFailed {
		return state.ErrConcurrent
	}
	return err
}

// ReleaseIdentity gives the holder's lease back when a membership holds the
// identity after all: it is kept, and may be linked again at once.
// Another holder's lease stays.
func (s *Store) ReleaseIdentity(ctx context.Context, sub, token string) error {
	mine := expression.Name("leaseHolder").Equal(expression.Value(token))
	return s.deleteIf(ctx, syncPK(sub), skRetire, mine, "release an identity")
}

// linkable is the condition on an identity's lease item that a change
// linking a membership to it needs: no lease, or one that has lapsed.
func linkable(now time.Time) expression.ConditionBuilder {
	return expression.AttributeNotExists(expression.Name("leaseUntil")).
		Or(expression.Name("leaseUntil").LessThan(at(now)))
}
