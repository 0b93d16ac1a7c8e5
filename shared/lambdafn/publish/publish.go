// Package publish runs publish-events. It is a package of its own so that
// only that function links (and initialises) the EventBridge client.
package publish

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	pevents "github.com/portalaccess/portalaccess/shared/events"
	"github.com/portalaccess/portalaccess/shared/events/bridge"
	"github.com/portalaccess/portalaccess/shared/lambdafn/awsenv"
)

// Start runs the function that the table's stream invokes
// (an event source mapping with partial batch responses): each audit event
// item a change committed becomes one event on the stack's bus,
// EVENT_BUS_NAME. It reads nothing of the table but its stream.
func Start(name string) {
	log := lambdacontext.NewLogger()
	bus := os.Getenv("EVENT_BUS_NAME")
	cfg, err := awsenv.Config()
	if err == nil && bus == "" {
		err = errNoBus
	}
	if err != nil {
		// As lambdafn.CannotStart, whose package would link the Secrets
		// Manager client, which this function, reading no secret, does not use.
		log.Error("function cannot start", "function", name, "error", err.Error())
		os.Exit(1)
	}
	p := &pevents.Publisher{Log: log, Bus: bridge.Bus{BusName: bus,
		API: eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = awsenv.Endpoint("EventBridge") })}}
	lambda.Start(func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		return PublishEvents(ctx, p, ev), nil
	})
}

type startError string

func (e startError) Error() string { return string(e) }

const errNoBus = startError("EVENT_BUS_NAME must be set")

// PublishEvents publishes a batch of the stream's records and answers the
// first record not published as the batch's failure, from which Lambda
// retries (bisecting a batch that keeps failing, then handing what still
// fails to the on-failure destination).
func PublishEvents(ctx context.Context, p *pevents.Publisher, ev events.DynamoDBEvent) events.DynamoDBEventResponse {
	recs := make([]pevents.Record, 0, len(ev.Records))
	for _, r := range ev.Records {
		recs = append(recs, pevents.Record{
			Sequence: r.Change.SequenceNumber,
			Insert:   r.EventName == string(events.DynamoDBOperationTypeInsert),
			NewImage: itemOf(r.Change.NewImage),
		})
	}
	var out events.DynamoDBEventResponse
	if seq, err := p.Publish(ctx, recs); err != nil {
		out.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: seq}}
	}
	return out
}

// itemOf is a stream image as the SDK's attribute values.
func itemOf(m map[string]events.DynamoDBAttributeValue) map[string]types.AttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		out[k] = valueOf(v)
	}
	return out
}

func valueOf(v events.DynamoDBAttributeValue) types.AttributeValue {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}
	case events.DataTypeList:
		l := make([]types.AttributeValue, 0, len(v.List()))
		for _, e := range v.List() {
			l = append(l, valueOf(e))
		}
		return &types.AttributeValueMemberL{Value: l}
	case events.DataTypeMap:
		return &types.AttributeValueMemberM{Value: itemOf(v.Map())}
	}
	return &types.AttributeValueMemberNULL{Value: true}
}
