package publish

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	pevents "github.com/portalaccess/portalaccess/shared/events"
	"github.com/portalaccess/portalaccess/shared/events/schema"
)

type busFunc func(ctx context.Context, evs []pevents.Event) (int, error)

func (f busFunc) Put(ctx context.Context, evs []pevents.Event) (int, error) { return f(ctx, evs) }

// The sample stream batch (events/publish-events.json, Lambda's own shape):
// its audit item becomes one event that follows the schema; the member's
// change is no event.
func TestPublishEventsSample(t *testing.T) {
	raw, err := os.ReadFile("../../../events/publish-events.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	var got []pevents.Event
	p := &pevents.Publisher{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Bus: busFunc(func(_ context.Context, evs []pevents.Event) (int, error) {
		got = append(got, evs...)
		return len(evs), nil
	})}
	if res := PublishEvents(context.Background(), p, ev); len(res.BatchItemFailures) != 0 {
		t.Fatalf("failures %v", res.BatchItemFailures)
	}
	if len(got) != 1 || got[0].ID != "evt_example1" || got[0].Type != "user.invited" || got[0].Customer() != "cus_example" {
		t.Fatalf("published %+v", got)
	}
	if got[0].Data.Target.Email == nil || *got[0].Data.Target.Email != "jane@acme.example" || got[0].Data.Actor.Email != "admin@example.com" {
		t.Fatalf("event data %+v", got[0].Data)
	}
	if err := schema.Validate(got[0].Marshal()); err != nil {
		t.Fatal(err)
	}

	// A bus that fails: the batch names the audit record, from which
	// Lambda retries.
	p.Bus = busFunc(func(context.Context, []pevents.Event) (int, error) { return 0, errors.New("throttled") })
	res := PublishEvents(context.Background(), p, ev)
	if len(res.BatchItemFailures) != 1 || res.BatchItemFailures[0].ItemIdentifier != "111" {
		t.Fatalf("failures %v, want record 111", res.BatchItemFailures)
	}
}
