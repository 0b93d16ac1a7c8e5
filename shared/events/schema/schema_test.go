package schema

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/events"
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
	case "customer", "address", "service_agreement", "role", "subscription":
		t.Name = &name
	}
	return domain.NewEvent(at, op, action, t, sc)
}

func TestEveryActionValidates(t *testing.T) {
	if len(events.Types()) < 30 {
		t.Fatalf("only %d types", len(events.Types()))
	}
	for _, ty := range events.Types() {
		body := events.FromAudit(sample(ty)).Marshal()
		if err := Validate(body); err != nil {
			t.Errorf("%s: %v\n%s", ty, err, body)
		}
	}
	// On the provider's trail (customerId null) too.
	for _, ty := range []string{domain.ActionCustomerCreated, domain.ActionCustomerUpdated, domain.ActionCustomerOffboarded} {
		a := sample(ty)
		a.CustomerID = ""
		if err := Validate(events.FromAudit(a).Marshal()); err != nil {
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
	if err := json.Unmarshal(V1(), &s); err != nil {
		t.Fatal(err)
	}
	got, want := slices.Sorted(slices.Values(s.Properties.Type.Enum)), slices.Sorted(slices.Values(events.Types()))
	if !slices.Equal(got, want) {
		t.Fatalf("schema types %v\nproduct types %v", got, want)
	}
}

func TestSchemaRefuses(t *testing.T) {
	good := events.FromAudit(sample("user.invited"))
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
