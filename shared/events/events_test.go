package events

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
)

// sample is the audit event that the product writes for the action: its
// target and scope as the use cases make them.
func sample(action string) domain.AuditEvent {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	email, name := "jane@acme.example", "Acme"
	op := domain.Actor{ID: "usr_op", Email: "admin@example.com", Kind: domain.ActorOperator}
	kind, _, _ := strings.Cut(action, ".")
	sc := domain.CustomerScope("cus_acme")
	t := domain.Target{Kind: kind, ID: "x_1"}
	switch kind {
	case "user":
		t.Email = &email
	case "operator":
		t.Email, sc = &email, domain.ProviderScope
	case "customer", "address", "service_agreement", "subscription":
		t.Name = &name
	}
	return domain.NewEvent(at, op, action, t, sc)
}

func TestEveryActionValidates(t *testing.T) {
	if len(Types()) < 30 {
		t.Fatalf("only %d types", len(Types()))
	}
	for _, ty := range Types() {
		body := FromAudit(sample(ty)).Marshal()
		if err := Validate(body); err != nil {
			t.Errorf("%s: %v\n%s", ty, err, body)
		}
	}
	// On the provider's trail (customerId null) too.
	for _, ty := range []string{domain.ActionCustomerCreated, domain.ActionCustomerUpdated, domain.ActionCustomerOffboarded} {
		a := sample(ty)
		a.CustomerID = ""
		if err := Validate(FromAudit(a).Marshal()); err != nil {
			t.Errorf("%s on the provider's trail: %v", ty, err)
		}
	}
}

// The schema lists exactly the types the product emits.
func TestSchemaListsEveryType(t *testing.T) {
	var s struct {
		Properties struct {
			Type struct {
				Enum []string `json:"enum"`
			} `json:"type"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(SchemaV1(), &s); err != nil {
		t.Fatal(err)
	}
	got, want := slices.Sorted(slices.Values(s.Properties.Type.Enum)), slices.Sorted(slices.Values(Types()))
	if !slices.Equal(got, want) {
		t.Fatalf("schema types %v\nproduct types %v", got, want)
	}
}

func TestSchemaRefuses(t *testing.T) {
	good := FromAudit(sample("user.invited"))
	for name, mutate := range map[string]func(m map[string]any){
		"unknown type":        func(m map[string]any) { m["type"] = "user.exploded" },
		"version 2":           func(m map[string]any) { m["version"] = 2 },
		"no id":               func(m map[string]any) { delete(m, "id") },
		"extra field":         func(m map[string]any) { m["secret"] = "x" },
		"user without e-mail": func(m map[string]any) { m["data"].(map[string]any)["target"].(map[string]any)["email"] = nil },
		"user on provider":    func(m map[string]any) { m["data"].(map[string]any)["customerId"] = nil },
		"bad timestamp":       func(m map[string]any) { m["timestamp"] = "yesterday" },
	} {
		var m map[string]any
		_ = json.Unmarshal(good.Marshal(), &m)
		mutate(m)
		b, _ := json.Marshal(m)
		if Validate(b) == nil {
			t.Errorf("%s: validated\n%s", name, b)
		}
	}
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
