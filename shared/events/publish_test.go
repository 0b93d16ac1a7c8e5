package events

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
)

func sample(action string) domain.AuditEvent {
	email := "jane@acme.example"
	op := domain.Actor{ID: "usr_op", Email: "admin@example.com", Kind: domain.ActorOperator}
	return domain.NewEvent(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), op, action,
		domain.Target{Kind: "user", ID: "usr_1", Email: &email}, domain.CustomerScope("cus_acme"))
}

type busFunc func(ctx context.Context, evs []Event) (int, error)

func (f busFunc) Put(ctx context.Context, evs []Event) (int, error) { return f(ctx, evs) }

func image(t *testing.T, a domain.AuditEvent) map[string]types.AttributeValue {
	t.Helper()
	m, err := attributevalue.MarshalMap(struct {
		PK   string `dynamodbav:"pk"`
		SK   string `dynamodbav:"sk"`
		Type string `dynamodbav:"type"`
		domain.AuditEvent
	}{"A#C#cus_acme", "t#" + a.ID, "audit", a})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPublishOnlyNewAuditItemsInOrder(t *testing.T) {
	a1, a2, a3 := sample("user.invited"), sample("user.enabled"), sample("portal.created")
	member, _ := attributevalue.MarshalMap(map[string]string{"pk": "C#cus_acme", "sk": "U#x", "type": "member", "id": "usr_1"})
	var got []string
	p := &Publisher{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Bus: busFunc(func(_ context.Context, evs []Event) (int, error) {
		for _, e := range evs {
			got = append(got, e.ID)
		}
		return len(evs), nil
	})}
	failed, err := p.Publish(context.Background(), []Record{
		{Sequence: "1", Insert: true, NewImage: image(t, a1)},
		{Sequence: "2", Insert: true, NewImage: member},
		{Sequence: "3", Insert: false, NewImage: image(t, a2)}, // a MODIFY or REMOVE: not a new change
		{Sequence: "4", Insert: true, NewImage: image(t, a3)},
	})
	if err != nil || failed != "" {
		t.Fatalf("failed %q, %v", failed, err)
	}
	if !slices.Equal(got, []string{a1.ID, a3.ID}) {
		t.Fatalf("published %v, want %v", got, []string{a1.ID, a3.ID})
	}
}

// A bus that refuses the second event: the batch answers that record, and
// nothing after it is published ahead of it.
func TestPublishStopsAtTheFirstFailure(t *testing.T) {
	var recs []Record
	var ids []string
	for i := range 13 {
		a := sample("user.updated")
		ids = append(ids, a.ID)
		recs = append(recs, Record{Sequence: string(rune('a' + i)), Insert: true, NewImage: image(t, a)})
	}
	var got []string
	calls := 0
	p := &Publisher{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Bus: busFunc(func(_ context.Context, evs []Event) (int, error) {
		calls++
		if len(evs) > maxPut {
			t.Fatalf("%d events in one call", len(evs))
		}
		if calls == 2 {
			got = append(got, evs[0].ID)
			return 1, errors.New("throttled")
		}
		for _, e := range evs {
			got = append(got, e.ID)
		}
		return len(evs), nil
	})}
	failed, err := p.Publish(context.Background(), recs)
	if err == nil || failed != "l" {
		t.Fatalf("failed %q, %v; want record l", failed, err)
	}
	if !slices.Equal(got, ids[:11]) {
		t.Fatalf("published %d events, want the first 11", len(got))
	}
}
