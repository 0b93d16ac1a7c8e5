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
	for len(keys) > 0 {
		n := min(len(keys), 100)
		batch := keys[:n]
		keys = keys[n:]
		for attempt := 0; len(batch) > 0; attempt++ {
			if attempt > 5 {
				return nil, nil, state.ErrUnavailable.In("store: read customers and portals", nil)
			}
			if attempt > 0 {
				backoff(ctx, attempt) // unprocessed keys: DynamoDB asks for a pause
			}
			res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
				RequestItems:           map[string]types.KeysAndAttributes{s.table: {Keys: batch}},
				ReturnConsumedCapacity: s.capacityMode(),
			})
			if err != nil {
				return nil, nil, dbError(err, "read customers and portals")
			}
			for _, cc := range res.ConsumedCapacity {
				s.consumed("BatchGetItem", &cc)
			}
			for _, item := range res.Responses[s.table] {
				kind, _ := stringAttr(item, "type")
				switch kind {
				case typeCustomer:
					var it customerItem
					if err := attributevalue.UnmarshalMap(item, &it); err != nil {
						return nil, nil, errs.Wrap("store: decode a customer", err)
					}
					cs[it.ID] = it.Customer
				case typePortal:
					var it portalItem
					if err := attributevalue.UnmarshalMap(item, &it); err != nil {
						return nil, nil, errs.Wrap("store: decode a portal setup", err)
					}
					ps[it.ID] = it.Portal
				}
			}
			batch = res.UnprocessedKeys[s.table].Keys
		}
	}
	return cs, ps, nil
}
