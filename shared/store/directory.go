package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
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
				return nil, nil, apperr.New(apperr.Unavailable, "unavailable", "The service is busy; try again.")
			}
			if attempt > 0 {
				time.Sleep(time.Duration(attempt*attempt) * 20 * time.Millisecond)
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
				switch item["type"].(*types.AttributeValueMemberS).Value {
				case typeCustomer:
					var it customerItem
					if err := attributevalue.UnmarshalMap(item, &it); err != nil {
						return nil, nil, apperr.Wrap(err, "")
					}
					cs[it.ID] = it.Customer
				case typePortal:
					var it portalItem
					if err := attributevalue.UnmarshalMap(item, &it); err != nil {
						return nil, nil, apperr.Wrap(err, "")
					}
					ps[it.ID] = it.Portal
				}
			}
			batch = res.UnprocessedKeys[s.table].Keys
		}
	}
	return cs, ps, nil
}
