package store

import (
	"context"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// A webhook subscription's delivery log, in its customer's partition beside
// it, kept domain.WebhookDeliveryTTL (the table's TTL removes it; an offboarding
// takes it with the partition):
//
//	C#<customer>   WD#<subscription>#<at>#<event>#<attempt>   one attempt
const skDeliveryPre = "WD#"

const typeDelivery = "webhook_delivery"

type deliveryItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Type string `dynamodbav:"type"`
	TTL  int64  `dynamodbav:"ttl"`
	domain.WebhookDelivery
}

func deliverySK(d domain.WebhookDelivery) string {
	return skDeliveryPre + d.SubscriptionID + "#" + d.At.UTC().Format(sortTime) + "#" + d.EventID + "#" + strconv.Itoa(d.Attempt)
}

// RecordWebhookDelivery writes an attempt to the subscription's delivery log and,
// in the same transaction, its run of failures on the subscription: a
// success ends it, a failure adds one (and starts it). It does not change
// the subscription's version: the run is the deliveries', not a person's
// change. A subscription that is gone is ErrNotFound, and nothing is
// written.
func (s *Store) RecordWebhookDelivery(ctx context.Context, d domain.WebhookDelivery) error {
	t := s.newTx()
	t.putNew(deliveryItem{PK: customerPK(d.CustomerID), SK: deliverySK(d), Type: typeDelivery,
		TTL: epoch(d.At.Add(domain.WebhookDeliveryTTL)), WebhookDelivery: d}, nil)
	u := expression.Set(expression.Name("failures"), expression.Value(0)).Remove(expression.Name("failingSince"))
	if !d.OK {
		u = expression.Add(expression.Name("failures"), expression.Value(1)).
			Set(expression.Name("failingSince"), expression.IfNotExists(expression.Name("failingSince"), expression.Value(d.At.UTC())))
	}
	exists := expression.AttributeExists(expression.Name(AttrPK))
	t.update(customerPK(d.CustomerID), skSubscriptionPre+d.SubscriptionID, u, &exists, state.ErrNotFound)
	return errs.Wrap("store: record a delivery", t.commit(ctx))
}

// WebhookDeliveries pages through a subscription's delivery log, newest first.
func (s *Store) WebhookDeliveries(ctx context.Context, customerID, subscriptionID string, limit int32, start state.PageKey) (state.Page[domain.WebhookDelivery], error) {
	kc := expression.Key(AttrPK).Equal(expression.Value(customerPK(customerID))).
		And(expression.Key(AttrSK).BeginsWith(skDeliveryPre + subscriptionID + "#"))
	return newestFirst(ctx, s, kc, limit, start, "read a delivery log", func(it deliveryItem) domain.WebhookDelivery { return it.WebhookDelivery })
}
