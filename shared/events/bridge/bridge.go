// Package bridge is the stack's EventBridge bus on AWS, the events.Bus
// that publish-events puts to. It is a package of its own so that only
// what imports it links (and initialises at every cold start) the
// EventBridge client: the functions that import package events for its
// types (deliver-webhooks, and through the API package every API
// function) do not.
package bridge

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/portalaccess/portalaccess/shared/events"
)

// PutEventsAPI is the EventBridge call the bus makes.
type PutEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Bus is the stack's bus on AWS.
type Bus struct {
	API     PutEventsAPI
	BusName string
}

// Put sends the events in one PutEvents call (at most 10). EventBridge
// takes no id of ours: the event's id is in its detail, and a receiver
// dedupes on it.
func (b Bus) Put(ctx context.Context, evs []events.Event) (int, error) {
	in := &eventbridge.PutEventsInput{}
	for _, e := range evs {
		in.Entries = append(in.Entries, ebtypes.PutEventsRequestEntry{
			EventBusName: aws.String(b.BusName), Source: aws.String(events.Source),
			DetailType: aws.String(e.Type), Detail: aws.String(string(e.Marshal())), Time: aws.Time(e.Timestamp),
		})
	}
	out, err := b.API.PutEvents(ctx, in)
	if err != nil {
		return 0, fmt.Errorf("events: PutEvents: %w", err)
	}
	if out.FailedEntryCount == 0 {
		return len(evs), nil
	}
	// Entries answer in the order asked; the first failed one is where the
	// batch goes on from.
	for i, r := range out.Entries {
		if r.ErrorCode != nil {
			return i, fmt.Errorf("events: PutEvents refused %s: %s %s", evs[i].ID, aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage))
		}
	}
	return 0, fmt.Errorf("events: PutEvents failed %d entries", out.FailedEntryCount)
}

var _ events.Bus = Bus{}
