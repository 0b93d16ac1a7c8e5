package model

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
)

// Portal setups are relying parties of the user pool: each has its own app
// client in Cognito. A setup is committed first; its app client is made
// (and given the managed login's style) after, recorded on the setup by a
// second, system change, and the setup's marker (PSYNC#) is cleared. A
// deleted setup loses its app client and its members' links to it. What a
// fault leaves, the sweep finishes.

type portal struct {
	ID, Name, URL string
	// ClientID is its app client, once the setup records it.
	ClientID             string
	Version              int
	CreatedAt, UpdatedAt time.Time
}

func (p *portal) origin() string { return domain.OriginOf(p.URL) }

// portalMarker is a setup whose app client the sweep has yet to bring in
// line, or (gone set) a deleted setup it has yet to retire.
type portalMarker struct {
	cid  string
	due  time.Time
	gone *portal
}

const (
	callCreateClient = "Cognito Identity Provider.CreateUserPoolClient"
	callBranding     = "Cognito Identity Provider.CreateManagedLoginBranding"
	callListClients  = "Cognito Identity Provider.ListUserPoolClients"
	callUpdateClient = "Cognito Identity Provider.UpdateUserPoolClient"
	callDeleteClient = "Cognito Identity Provider.DeleteUserPoolClient"
)

var (
	callsCreatePortal = []string{callQuery, callGet, callTx, callCreateClient, callBranding, callDelete}
	callsDeletePortal = []string{callQuery, callGet, callTx, callDeleteClient, callDelete}
)

// maxPortals bounds a customer's setups, so that a step's cost stays flat.
const maxPortals = 5

func clientName(pid string) string { return "portal-" + pid }

func (w *world) portalByID(cu *customer, id string) *portal {
	for _, p := range cu.portals {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// portalStep is POST /v1/customers/{cid}/portals: operator admins only;
// others who can see the customer get 403, the rest 404.
func (w *world) portalStep(who *person, cu *customer, name, key string) *step {
	url := "https://" + strings.ToLower(name) + ".portal.example"
	s := &step{op: "create-portal", who: who, calls: callsCreatePortal, idemOp: "create-portal",
		req: request{method: "POST", path: "/v1/customers/" + cu.ID + "/portals", key: key,
			body: jsonBody(map[string]any{"name": name, "url": url})}}
	s.tolerate = w.tolerateNothing
	c := w.callerOf(who)
	switch {
	case c == nil:
		s.pred = unauthenticated()
	case c.isOperatorAdmin():
		s.pred = ok(201, func(o *observation) error { return w.portalMade(o, cu, name, url) })
	case c.isOperator() || c.members[cu.ID] != nil:
		s.pred = refuse(403, "forbidden")
	default:
		s.pred = refuse(404, "not_found")
	}
	return s
}

func (w *world) createPortal(who *person, cu *customer, name string) {
	s := w.portalStep(who, cu, name, "")
	s.quiet = true
	w.exec(s, nil)
}

// portalMade follows a 201 of create-portal: the setup, its audit event,
// and, unless a fault struck in between, its app client recorded by the
// system (a second event) and its marker cleared.
func (w *world) portalMade(o *observation, cu *customer, name, url string) error {
	m := w.m
	var v struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
		SignIn  struct {
			ClientID *string `json:"clientId"`
		} `json:"signIn"`
	}
	if err := json.Unmarshal(o.res.body, &v); err != nil || v.ID == "" {
		return fmt.Errorf("no portal in the answer %s", clip(o.res.body))
	}
	p := &portal{ID: v.ID, Name: name, URL: url, Version: 1, CreatedAt: m.now, UpdatedAt: m.now}
	cu.portals = append(cu.portals, p)
	w.event(cu.ID)
	if v.SignIn.ClientID != nil {
		p.ClientID, p.Version = *v.SignIn.ClientID, 2
		w.event(cu.ID) // registered, by the system
	} else if !o.sc.struck {
		return fmt.Errorf("the new portal setup has no app client, and no fault explains it")
	}
	if v.Version != p.Version {
		return fmt.Errorf("the new portal setup is version %d; the model says %d", v.Version, p.Version)
	}
	if _, left := o.after.items[itemKey("PSYNC#"+p.ID, "PSYNC#"+cu.ID)]; left || p.ClientID == "" {
		if !o.sc.struck {
			return fmt.Errorf("the new portal setup's marker is left, and no fault explains it")
		}
		m.portalMarkers[p.ID] = &portalMarker{cid: cu.ID, due: m.now.Add(syncGrace)}
	}
	return nil
}

// deletePortalStep is DELETE /v1/customers/{cid}/portals/{pid}.
func (w *world) deletePortalStep(who *person, cu *customer, id string) *step {
	p := w.portalByID(cu, id)
	s := &step{op: "delete-portal", who: who, calls: callsDeletePortal,
		req: request{method: "DELETE", path: "/v1/customers/" + cu.ID + "/portals/" + id}}
	s.tolerate = w.tolerateNothing
	c := w.callerOf(who)
	switch {
	case c == nil:
		s.pred = unauthenticated()
	case !c.isOperatorAdmin() && (c.isOperator() || c.members[cu.ID] != nil):
		s.pred = refuse(403, "forbidden")
	case !c.isOperatorAdmin():
		s.pred = refuse(404, "not_found")
	case p == nil:
		s.pred = refuse(404, "not_found")
	default:
		s.pred = &expect{status: 204, effect: func(o *observation) error { return w.portalDeleted(o, cu, p) }}
	}
	return s
}

// linkedTo are the members of the customer linked to the portal, in the
// order the product unlinks them (by e-mail).
func (w *world) linkedTo(cid, pid string) []*member {
	return w.m.sorted(func(x *member) bool { return x.Scope == cid && slices.Contains(x.Portals, pid) })
}

// unlink takes the portal off a member's links: a change by the system.
func (w *world) unlink(x *member, pid string) {
	x.Portals = slices.DeleteFunc(slices.Clone(x.Portals), func(id string) bool { return id == pid })
	x.Version++
	x.UpdatedAt = w.m.now
	w.event(x.Scope)
}

// portalDeleted follows a 204 of delete-portal: the setup goes at once;
// its app client and its members' links go after, all of them unless a
// fault struck (then what the table shows, and the marker for the sweep).
func (w *world) portalDeleted(o *observation, cu *customer, p *portal) error {
	m := w.m
	cu.portals = slices.DeleteFunc(cu.portals, func(q *portal) bool { return q == p })
	w.event(cu.ID)
	delete(m.portalMarkers, p.ID) // the delete writes the marker anew
	for _, x := range w.linkedTo(cu.ID, p.ID) {
		if o.sc.struck && stillLinked(o.after, x, p.ID) {
			continue
		}
		w.unlink(x, p.ID)
	}
	if _, left := o.after.items[itemKey("PSYNC#"+p.ID, "PSYNC#"+cu.ID)]; left {
		if !o.sc.struck {
			return fmt.Errorf("the deleted portal setup's marker is left, and no fault explains it")
		}
		m.portalMarkers[p.ID] = &portalMarker{cid: cu.ID, due: m.now.Add(syncGrace), gone: p}
	}
	return nil
}

// stillLinked reads from a snapshot whether a member still names the portal.
func stillLinked(s *snapshot, x *member, pid string) bool {
	it, found := s.items[itemKey(scopeKey(x.Scope), "U#"+x.ID)]
	if !found {
		return false
	}
	d, err := decodeMember(it)
	return err == nil && slices.Contains(d.PortalIDs, pid)
}

func (w *world) genPortal(faulty bool) *step {
	cu := w.m.customer(w.pickCustomerScope())
	who := w.principal(cu.ID)
	if len(cu.portals) >= maxPortals && w.chance(0.8) {
		return w.genDeletePortal(faulty)
	}
	key := ""
	if faulty {
		key = w.newKey()
	}
	w.portalsMade++
	return w.portalStep(who, cu, fmt.Sprintf("P%d", w.portalsMade), key)
}

func (w *world) genDeletePortal(bool) *step {
	cu := w.m.customer(w.pickCustomerScope())
	who := w.principal(cu.ID)
	id := "ptl_" + w.fakeID()
	switch r := w.rng.Float64(); {
	case r < 0.8 && len(cu.portals) > 1:
		// Never the last: the run's invitations name one. Often one whose
		// app client the sweep has yet to finish: where a delete may leave
		// something behind.
		var unfinished []*portal
		for _, p := range cu.portals {
			if _, marked := w.m.portalMarkers[p.ID]; marked {
				unfinished = append(unfinished, p)
			}
		}
		id = pickOne(w, cu.portals).ID
		if len(unfinished) > 0 && w.chance(0.6) {
			id = pickOne(w, unfinished).ID
		}
	case r < 0.9:
		for _, o := range w.m.customers {
			if o != cu && !o.static && len(o.portals) > 0 {
				id = o.portals[0].ID
			}
		}
	}
	return w.deletePortalStep(who, cu, id)
}

// sweepPortal is the sweep's plan for one portal marker, and what it did.
func (w *world) sweepPortal(o *observation, pid string) (outcome string, err error) {
	m := w.m
	pm := m.portalMarkers[pid]
	cu := m.customer(pm.cid)
	_, left := o.after.items[itemKey("PSYNC#"+pid, "PSYNC#"+pm.cid)]
	if pm.gone != nil {
		// Retired: its app client and its members' links go, then its marker.
		for _, x := range w.linkedTo(pm.cid, pid) {
			if o.sc.struck && stillLinked(o.after, x, pid) {
				continue
			}
			w.unlink(x, pid)
		}
		if left {
			if !o.sc.struck {
				return "", fmt.Errorf("the sweep left the marker of the deleted portal %s", pid)
			}
			return "failed", nil
		}
		delete(m.portalMarkers, pid)
		return "done", nil
	}
	p := w.portalByID(cu, pid)
	if p.ClientID == "" {
		it, found := o.after.items[itemKey("C#"+pm.cid, "CP#"+pid)]
		var d domain.Portal
		if found {
			_ = attributevalue.UnmarshalMap(it, &d)
		}
		switch {
		case d.ClientID != "":
			p.ClientID, p.Version, p.UpdatedAt = d.ClientID, p.Version+1, m.now
			w.event(pm.cid) // registered, by the system
		case !o.sc.struck:
			return "", fmt.Errorf("the sweep did not register the app client of %s", p.Name)
		}
	}
	if left {
		if !o.sc.struck {
			return "", fmt.Errorf("the sweep left the marker of %s", p.Name)
		}
		return "failed", nil
	}
	delete(m.portalMarkers, pid)
	return "done", nil
}

// verifyPortals compares the portal setups, their app clients, markers,
// origins and links with the model.
func (w *world) verifyPortals(s *snapshot, bad func(string, ...any)) {
	m := w.m
	byName := map[string][]string{} // app clients by name
	for id, name := range s.clients {
		byName[name] = append(byName[name], id)
	}
	accounted := map[string]bool{}
	for _, cu := range m.customers {
		if cu.static {
			continue
		}
		table := map[string]domain.Portal{}
		for k, it := range s.items {
			if strings.HasPrefix(k, "C#"+cu.ID+"|CP#") {
				var d domain.Portal
				if err := attributevalue.UnmarshalMap(it, &d); err != nil {
					bad("decode %s: %v", k, err)
				}
				table[d.ID] = d
			}
		}
		for _, p := range cu.portals {
			d, found := table[p.ID]
			delete(table, p.ID)
			switch {
			case !found:
				bad("the portal setup %s is missing from the table", p.Name)
				continue
			case d.Name != p.Name || d.URL != p.URL || d.ClientID != p.ClientID || d.Version != p.Version ||
				!d.CreatedAt.Equal(p.CreatedAt) || !slices.Equal(d.RedirectURIs, []string{domain.DefaultRedirectURI(p.URL)}):
				bad("the portal setup %s is %+v; the model says %+v", p.Name, d, *p)
			}
			_, marked := m.portalMarkers[p.ID]
			if p.ClientID != "" {
				accounted[p.ClientID] = true
				switch {
				case s.clients[p.ClientID] != clientName(p.ID):
					bad("the app client %s of %s is not in the user pool (it has %q)", p.ClientID, p.Name, s.clients[p.ClientID])
				case !s.branded[p.ClientID]:
					bad("the app client of %s has no managed login style: its users get no sign-in page", p.Name)
				}
				if it, found := s.items[itemKey("CLIENT#"+p.ClientID, "CLIENT")]; !found {
					bad("%s cannot be found by its app client: no CLIENT# record", p.Name)
				} else if str(it, "id") != p.ID {
					bad("the CLIENT# record of %s names %s", p.Name, str(it, "id"))
				}
			} else if !marked {
				bad("%s has no app client, and no marker leaves it to the sweep", p.Name)
			}
			if it, found := s.items[itemKey("ORIGIN#"+p.origin(), "ORIGIN")]; !found || !slices.Contains(stringSet(it, "portals"), p.ID) {
				bad("the origin %s does not name %s: its browser calls would be refused", p.origin(), p.Name)
			}
			w.verifyLinks(s, cu.ID, p.ID, p.Name, bad)
		}
		for id, d := range table {
			bad("the table holds a portal setup the model does not know: %s %s", id, d.Name)
		}
	}
	// Markers: exactly the model's, due when it says.
	for k, it := range s.items {
		pk, _, _ := strings.Cut(k, "|")
		if !strings.HasPrefix(pk, "PSYNC#") {
			continue
		}
		pid := strings.TrimPrefix(pk, "PSYNC#")
		pm := m.portalMarkers[pid]
		switch {
		case pm == nil:
			bad("a portal marker is left for %s", w.pretty(pid))
		case str(it, "dueSk") != pm.due.UTC().Format(auditTime):
			bad("the portal marker of %s is due %s; the model says %s", w.pretty(pid), str(it, "dueSk"), tstr(&pm.due))
		}
	}
	for pid, pm := range m.portalMarkers {
		if _, found := s.items[itemKey("PSYNC#"+pid, "PSYNC#"+pm.cid)]; !found {
			bad("the marker of the portal setup %s is gone; the model keeps it", w.pretty(pid))
		}
		if pm.gone != nil {
			w.verifyLinks(s, pm.cid, pid, pm.gone.Name, bad)
			if it, found := s.items[itemKey("ORIGIN#"+pm.gone.origin(), "ORIGIN")]; found && slices.Contains(stringSet(it, "portals"), pid) {
				bad("the origin %s still names the deleted %s", pm.gone.origin(), pm.gone.Name)
			}
		}
	}
	// App clients: one per setup; one not (yet) recorded only for a setup
	// the sweep has yet to finish; none for a setup that is gone.
	for name, ids := range byName {
		pid := strings.TrimPrefix(name, "portal-")
		var extra []string
		for _, id := range ids {
			if !accounted[id] {
				extra = append(extra, id)
			}
		}
		if len(extra) == 0 {
			continue
		}
		if _, marked := m.portalMarkers[pid]; marked && len(extra) == 1 {
			continue
		}
		bad("%d app clients of %s that no setup names (%v): they are never removed", len(extra), w.pretty(pid), extra)
	}
	for _, id := range s.goneClients {
		if _, found := s.items[itemKey("CLIENT#"+id, "CLIENT")]; found && !accounted[id] {
			bad("a CLIENT# record outlives its portal setup: %s", id)
		}
	}
}

// verifyLinks: the portal's links (PL#) are exactly its members'.
func (w *world) verifyLinks(s *snapshot, cid, pid, name string, bad func(string, ...any)) {
	want := map[string]bool{}
	for _, x := range w.linkedTo(cid, pid) {
		want[x.Email+"#"+x.ID] = true
	}
	for k := range s.items {
		pk, sk, _ := strings.Cut(k, "|")
		if pk != "PL#"+pid {
			continue
		}
		if !want[sk] {
			bad("a link to %s that no member has: %s", name, w.pretty(sk))
		}
		delete(want, sk)
	}
	for sk := range want {
		bad("a member linked to %s has no link record: %s", name, w.pretty(sk))
	}
}

func stringSet(it map[string]types.AttributeValue, name string) []string {
	if v, ok := it[name].(*types.AttributeValueMemberSS); ok {
		return v.Value
	}
	return nil
}
