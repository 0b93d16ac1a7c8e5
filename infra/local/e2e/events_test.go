package e2e

import (
	"testing"

	pevents "github.com/portalaccess/portalaccess/shared/events"
	"github.com/portalaccess/portalaccess/shared/events/schema"
)

// publishedFor are the events published about a customer, oldest first.
func publishedFor(customerID string) []pevents.Event {
	var out []pevents.Event
	for _, e := range st.Published() {
		if e.Customer() == customerID {
			out = append(out, e)
		}
	}
	return out
}

// Every committed change is on the bus once, as the schema says, from the
// table's stream: the audit trail and the events are the same list. A
// refused request publishes nothing.
func TestEveryCommittedChangeIsPublishedOnce(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	u := op.invite(cu.ID, map[string]any{"email": uniqueEmail("ev")})
	op.post("/v1/customers/"+cu.ID+"/users/"+u.ID+"/disable", nil, 409) // refused: nothing changed
	op.post("/v1/customers/"+cu.ID+"/addresses", map[string]any{"kind": "legal", "lines": []string{"Coolsingel 1"},
		"postalCode": "3011 AD", "city": "Rotterdam", "country": "NL"}, 201)
	op.call("DELETE", "/v1/customers/"+cu.ID+"/users/"+u.ID, nil)

	evs := publishedFor(cu.ID)
	var types []string
	ids := map[string]int{}
	for _, e := range evs {
		types = append(types, e.Type)
		ids[e.ID]++
		if err := schema.Validate(e.Marshal()); err != nil {
			t.Errorf("%s does not follow the schema: %v", e.Type, err)
		}
	}
	want := []string{"customer.created", "user.invited", "address.created", "user.deleted"}
	if len(types) != len(want) {
		t.Fatalf("published %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("published %v, want %v", types, want)
		}
	}
	// The trail holds the same events, by id.
	trail := all[struct {
		ID string `json:"id"`
	}](op, "/v1/customers/"+cu.ID+"/audit-events")
	if len(trail) != len(evs) {
		t.Fatalf("the trail has %d events, the bus %d", len(trail), len(evs))
	}
	for _, a := range trail {
		if ids[a.ID] != 1 {
			t.Errorf("audit event %s published %d times", a.ID, ids[a.ID])
		}
	}
	if e := evs[1]; e.Data.Target.ID != u.ID || e.Data.Target.Email == nil || *e.Data.Target.Email != u.Email || e.Data.Actor.Kind != "operator" {
		t.Errorf("the invitation's event: %+v", e.Data)
	}
}
