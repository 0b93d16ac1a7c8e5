package model

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Each customer the run acts in has a role catalogue, made at setup; the
// members' roles come from it (by name, without case, or "all"), and a name
// that is not in it is refused.

// createRole is POST /v1/customers/{cid}/roles by an operator admin, at setup.
func (w *world) createRole(who *person, cu *customer, name string) {
	s := &step{op: "create-role", who: who, calls: []string{callQuery, callGet, callTx}, quiet: true,
		req: request{method: "POST", path: "/v1/customers/" + cu.ID + "/roles", body: jsonBody(map[string]any{"name": name})}}
	s.tolerate = w.tolerateNothing
	s.pred = ok(201, func(o *observation) error {
		var v struct{ ID, Name string }
		if err := json.Unmarshal(o.res.body, &v); err != nil || v.ID == "" || v.Name != name {
			return fmt.Errorf("no role %q in the answer %s", name, clip(o.res.body))
		}
		cu.roles = append(cu.roles, catalogueRole{ID: v.ID, Name: v.Name})
		slices.SortFunc(cu.roles, func(a, b catalogueRole) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
		w.event(cu.ID)
		return nil
	})
	w.exec(s, nil)
}
