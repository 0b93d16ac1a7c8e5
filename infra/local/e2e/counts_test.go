package e2e

import (
	"context"
	"testing"
	"time"
)

// counts is the list answer's counts by category.
type counts struct {
	Enabled     int `json:"enabled"`
	Disabled    int `json:"disabled"`
	Unconfirmed int `json:"unconfirmed"`
}

type countedPage struct {
	Items  []user  `json:"items"`
	Counts *counts `json:"counts"`
}

func (c *client) counts(path string) counts {
	c.t.Helper()
	var p countedPage
	c.get(path, 200).json(c.t, &p)
	if p.Counts == nil {
		c.t.Fatalf("GET %s carries no counts", path)
	}
	return *p.Counts
}

// Seed 003, "View the list of enabled, disabled, and unconfirmed users": the
// list answer says how many users are in each category, whatever page or
// category is asked for, and follows every invite, accept, disable, enable
// and delete at once; a refused change moves nothing; the portal admin sees
// the same numbers; another customer's users are not counted.
func TestTheListCarriesExactCountsPerCategory(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	users := "/v1/customers/" + cu.ID + "/users"
	if got := op.counts(users); got != (counts{}) {
		t.Fatalf("a new customer counts %+v", got)
	}
	admin, pa := portalUser(t, op, cu.ID, true)
	jane, _ := portalUser(t, op, cu.ID, false)
	op.invite(cu.ID, map[string]any{"email": uniqueEmail("wait")})
	op.post(users+"/bulk", map[string]any{"emails": []string{uniqueEmail("b1"), uniqueEmail("b2")}}, 200)
	want := counts{Enabled: 2, Unconfirmed: 3}
	for _, q := range []string{"", "?status=enabled", "?status=disabled", "?status=unconfirmed&limit=1", "?search=nobody"} {
		if got := op.counts(users + q); got != want {
			t.Fatalf("GET users%s counts %+v, want %+v", q, got, want)
		}
	}
	if got := pa.counts(users); got != want {
		t.Fatalf("the portal admin sees %+v, want %+v", got, want)
	}

	op.post(users+"/"+jane.ID+"/disable", nil, 200)
	want = counts{Enabled: 1, Disabled: 1, Unconfirmed: 3}
	if got := pa.counts(users + "?status=disabled"); got != want {
		t.Fatalf("after a disable: %+v, want %+v", got, want)
	}
	// The last admin cannot disable themself: nothing moves.
	pa.post(users+"/"+admin.ID+"/disable", nil, 409)
	if got := op.counts(users); got != want {
		t.Fatalf("after a refusal: %+v, want %+v", got, want)
	}
	op.post(users+"/"+jane.ID+"/enable", nil, 200)
	op.call("DELETE", users+"/"+jane.ID, nil)
	want = counts{Enabled: 1, Unconfirmed: 3}
	if got := op.counts(users); got != want {
		t.Fatalf("after an enable and a delete: %+v, want %+v", got, want)
	}
	if got := len(all[user](op, users+"?status=unconfirmed")); got != want.Unconfirmed {
		t.Fatalf("%d unconfirmed listed, %d counted", got, want.Unconfirmed)
	}
	other := op.newCustomer("en")
	op.invite(other.ID, map[string]any{"email": uniqueEmail("other")})
	if got := op.counts(users); got != want {
		t.Fatalf("another customer's invite moved the counts: %+v", got)
	}
}

// The operators' list carries the provider's counts too, once the sweep's
// one-time backfill has counted the operators made before the counts were
// kept; from then on they follow every change.
func TestTheOperatorsListCarriesCountsAfterTheBackfill(t *testing.T) {
	op := operatorAdmin(t)
	if _, err := st.Sweep(context.Background(), time.Minute); err != nil {
		t.Fatal(err)
	}
	before := op.counts("/v1/operators")
	if before.Enabled < 1 {
		t.Fatalf("the provider counts %+v: its admin is not among them", before)
	}
	tech, _ := operator(t, op, "technician")
	op.post("/v1/operators", map[string]any{"email": uniqueEmail("staff"), "role": "technician"}, 201)
	op.post("/v1/operators/"+tech.ID+"/disable", nil, 200)
	got := op.counts("/v1/operators?status=enabled")
	if want := (counts{Enabled: before.Enabled, Disabled: before.Disabled + 1, Unconfirmed: before.Unconfirmed + 1}); got != want {
		t.Fatalf("the provider counts %+v, want %+v", got, want)
	}
}
