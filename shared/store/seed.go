package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
)

// batchWriter is the client's batch write, which only seeding uses.
type batchWriter interface {
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// Seed writes members, their e-mail records and the token records of
// pending invitations in batches, for tests and benchmarks that need a large
// table quickly. It writes the same items as the product, but without
// transactions, audit events or conditions: it is not how the product writes.
func (s *Store) Seed(ctx context.Context, ms []domain.Member) error {
	db, ok := s.db.(batchWriter)
	if !ok {
		return fmt.Errorf("seeding needs a client that writes batches")
	}
	var reqs []types.WriteRequest
	for _, m := range ms {
		items := []any{newMemberItem(m), emailItem{PK: scopeKey(m.Scope()), SK: emailSK(m.Email), Type: typeEmail, MemberID: m.ID}}
		if m.Invitation != nil && m.Invitation.State == domain.InvitationPending {
			items = append(items, newInvitationItem(m))
		}
		for _, item := range items {
			av, err := attributevalue.MarshalMap(item)
			if err != nil {
				return err
			}
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
		}
	}
	for len(reqs) > 0 {
		n := min(25, len(reqs))
		batch := reqs[:n]
		reqs = reqs[n:]
		for len(batch) > 0 {
			out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{s.table: batch}})
			if err != nil {
				return err
			}
			batch = out.UnprocessedItems[s.table]
		}
	}
	return nil
}
