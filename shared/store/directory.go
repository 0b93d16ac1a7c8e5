package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Directory reads customers and portal setups by id, with as few
// BatchGetItem calls as DynamoDB allows (100 keys each). portals maps a
// customer id to the portal ids wanted from it. Missing ones are left out.
// The reads are strongly consistent: an answer decides whether a customer
// is offboarded or a setup deleted, which is so for every call at once.
func (s *Store) Directory(ctx context.Context, customers []string, portals map[string][]string) (map[string]domain.Customer, map[string]domain.Portal, error) {
	var keys []map[string]types.AttributeValue
	for _, id := range customers {
		keys = append(keys, itemKey(customerPK(id), skCustomer))
	}
	for cid, ids := range portals {
		for _, id := range ids {
			keys = append(keys, itemKey(customerPK(cid), portalSK(id)))
		}
	}
	cs := map[string]domain.Customer{}
	ps := map[string]domain.Portal{}
	err := s.batchGet(ctx, keys, true, "read customers and portals", func(item map[string]types.AttributeValue) error {
		kind, _ := stringAttr(item, "type")
		switch kind {
		case typeCustomer:
			var it customerItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return err
			}
			cs[it.ID] = it.customer()
		case typePortal:
			var it portalItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return err
			}
			ps[it.ID] = it.Portal
		}
		return nil
	})
	return cs, ps, err
}

// members reads members of a scope by id, strongly consistently; missing
// ones are left out.
func (s *Store) members(ctx context.Context, sc domain.Scope, ids []string) (map[string]domain.Member, error) {
	keys := make([]map[string]types.AttributeValue, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, itemKey(scopeKey(sc), memberSK(id)))
	}
	out := map[string]domain.Member{}
	err := s.batchGet(ctx, keys, true, "read members", func(item map[string]types.AttributeValue) error {
		var it memberItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return err
		}
		out[it.ID] = it.member()
		return nil
	})
	return out, err
}

// batchGet reads items by key, 100 a call, asking again (after a pause)
// for what DynamoDB left unprocessed.
func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue, consistent bool, what string, each func(map[string]types.AttributeValue) error) error {
	for len(keys) > 0 {
		n := min(len(keys), 100)
		batch := keys[:n]
		keys = keys[n:]
		for attempt := 0; len(batch) > 0; attempt++ {
			if attempt > 5 {
				return state.ErrUnavailable.In("store: "+what, nil)
			}
			if attempt > 0 {
				backoff(ctx, attempt) // unprocessed keys: DynamoDB asks for a pause
			}
			res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
				RequestItems:           map[string]types.KeysAndAttributes{s.table: {Keys: batch, ConsistentRead: &consistent}},
				ReturnConsumedCapacity: s.capacityMode(),
			})
			if err != nil {
				return dbError(err, what)
			}
			for _, cc := range res.ConsumedCapacity {
				s.consumed("BatchGetItem", &cc)
			}
			for _, item := range res.Responses[s.table] {
				if err := each(item); err != nil {
					return errs.Wrap("store: "+what, err)
				}
			}
			batch = res.UnprocessedKeys[s.table].Keys
		}
	}
	return nil
}
