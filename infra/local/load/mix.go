package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// operation is one kind of request in the mix: the route it measures (a
// function of routes.Table), how often a provider's day brings it, and
// how to make one (answering the measured request's latency).
type operation struct {
	name   string
	route  string
	weight int
	do     func(i int64) (time.Duration, error)
}

// operations is the mix, by weight: what a provider's day looks like.
// Mostly reads by the operators and the customers' portal admins, portal
// users asking for their access at every page; then the changes, each as
// often as such a day makes it. Every route of the API is here.
func (w *world) operations() []operation {
	l := w.l
	get := func(path string) func(int64) (time.Duration, error) {
		return func(int64) (time.Duration, error) { _, _, t, err := l.do("GET", path, nil, 200); return t, err }
	}
	inCustomer := func(method, suffix string, body func(int64) any, want ...int) func(int64) (time.Duration, error) {
		return func(i int64) (time.Duration, error) {
			var b any
			if body != nil {
				b = body(i)
			}
			_, _, t, err := l.do(method, "/v1/customers/"+w.pick().id+suffix, b, want...)
			return t, err
		}
	}
	// taken runs f on something from p, put back afterwards unless f
	// says it is gone.
	type keep bool
	taken := func(p *pool[string], f func(id string) (time.Duration, keep, error)) (time.Duration, error) {
		id, ok := p.take()
		if !ok {
			return 0, errSkipped
		}
		t, k, err := f(id)
		if k {
			p.put(id)
		}
		return t, err
	}
	customer := func(c *cust) string { return "/v1/customers/" + c.id }
	ops := []operation{
		// The people of a customer, read.
		{"list users by category", "list-users", 20, func(int64) (time.Duration, error) {
			s := []string{"enabled", "disabled", "unconfirmed"}[rand.IntN(3)]
			_, _, t, err := l.do("GET", customer(w.pick())+"/users?status="+s+"&limit=50", nil, 200)
			return t, err
		}},
		{"list users (portal admin)", "list-users", 4, func(int64) (time.Duration, error) {
			c := w.pick()
			_, _, t, err := c.admin.do("GET", customer(c)+"/users?limit=50", nil, 200)
			return t, err
		}},
		{"search users", "list-users", 6, inCustomer("GET", "/users?search=seed&limit=20", nil, 200)},
		{"get user", "get-user", 9, func(int64) (time.Duration, error) {
			c := w.pick()
			_, _, t, err := l.do("GET", customer(c)+"/users/"+c.users[rand.IntN(len(c.users))], nil, 200)
			return t, err
		}},
		{"me", "me", 7, get("/v1/me")},
		{"health", "health", 1, func(int64) (time.Duration, error) {
			_, _, t, err := w.anon.do("GET", "/v1/health", nil, 200)
			return t, err
		}},
		// The portals' own calls: who may enter, at every page.
		{"portal access", "portal-access", 8, func(int64) (time.Duration, error) {
			_, _, t, err := w.portalUsers[rand.IntN(len(w.portalUsers))].do("GET", "/v1/portal-access", nil, 200)
			return t, err
		}},
		{"portal preflight (CORS)", "portal-preflight", 2, func(int64) (time.Duration, error) {
			_, _, t, err := w.anon.send(call{method: "OPTIONS", path: "/v1/portal-access", want: []int{204},
				header: []string{"Origin", w.pick().desk.origin, "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization"}})
			return t, err
		}},
		// Invitations.
		{"invite", "invite-user", 5, func(int64) (time.Duration, error) { _, _, t, err := w.invite(l, w.pick(), nil); return t, err }},
		{"invite (portal admin)", "invite-user", 2, func(int64) (time.Duration, error) {
			c := w.pick()
			_, _, t, err := w.invite(c.admin, c, nil)
			return t, err
		}},
		{"bulk invite (5)", "bulk-invite-users", 2, func(int64) (time.Duration, error) {
			_, _, t, err := l.do("POST", customer(w.pick())+"/users/bulk", map[string]any{"emails": []string{w.uniq("b"), w.uniq("b"), w.uniq("b"), w.uniq("b"), w.uniq("b")}}, 200)
			return t, err
		}},
		{"inspect invitation", "inspect-invitation", 2, func(int64) (time.Duration, error) {
			_, addr, _, err := w.invite(l, w.pick(), nil)
			if err != nil {
				return 0, err
			}
			tok, err := w.tokenFor(addr)
			if err != nil {
				return 0, err
			}
			w.mark()
			_, _, t, err := w.anon.do("POST", "/v1/invitations/inspect", map[string]any{"token": tok}, 200)
			return t, err
		}},
		{"accept", "accept-invitation", 3, func(int64) (time.Duration, error) {
			c := w.pick()
			id, _, t, err := w.acceptNew(c, nil)
			if err == nil {
				c.enabled.put(id)
			}
			return t, err
		}},
		{"re-invite", "reinvite-user", 3, func(int64) (time.Duration, error) {
			c := w.pick()
			return taken(c.invited, func(id string) (time.Duration, keep, error) {
				_, _, t, err := l.do("POST", customer(c)+"/users/"+id+"/reinvite", nil, 200, 429)
				return t, true, err
			})
		}},
		{"import (3 rows)", "create-import", 1, func(int64) (time.Duration, error) {
			c := w.pick()
			_, body, t, err := l.send(call{method: "POST", path: customer(c) + "/imports", raw: w.importCSV(), ctype: "text/csv", want: []int{202}})
			if err == nil {
				c.imports.put(idOf(body))
			}
			return t, err
		}},
		{"get import", "get-import", 1, func(int64) (time.Duration, error) {
			c := w.pick()
			return taken(c.imports, func(id string) (time.Duration, keep, error) {
				_, _, t, err := l.do("GET", customer(c)+"/imports/"+id, nil, 200)
				return t, true, err
			})
		}},
		{"import outcomes", "get-import-outcomes", 1, func(int64) (time.Duration, error) {
			c := w.pick()
			return taken(c.imports, func(id string) (time.Duration, keep, error) {
				path := customer(c) + "/imports/" + id
				_, body, _, err := l.do("GET", path, nil, 200)
				if err != nil {
					return 0, true, err
				}
				var imp struct{ State string }
				_ = json.Unmarshal(body, &imp)
				if imp.State != "done" {
					return 0, true, errSkipped
				}
				w.mark()
				_, _, t, err := l.do("GET", path+"/outcomes", nil, 200)
				return t, true, err
			})
		}},
		// The people of a customer, changed.
		{"update user", "update-user", 5, func(i int64) (time.Duration, error) {
			c := w.pick()
			return taken(c.invited, func(id string) (time.Duration, keep, error) {
				_, _, t, err := l.do("PATCH", customer(c)+"/users/"+id, map[string]any{"roles": []string{fmt.Sprint("R", i%5)}}, 200)
				return t, true, err
			})
		}},
		{"disable", "disable-user", 3, func(int64) (time.Duration, error) {
			c := w.pick()
			return moved(c.enabled, c.disabled, func(id string) (time.Duration, error) {
				_, _, t, err := l.do("POST", customer(c)+"/users/"+id+"/disable", nil, 200)
				return t, err
			})
		}},
		{"enable", "enable-user", 3, func(int64) (time.Duration, error) {
			c := w.pick()
			return moved(c.disabled, c.enabled, func(id string) (time.Duration, error) {
				_, _, t, err := l.do("POST", customer(c)+"/users/"+id+"/enable", nil, 200)
				return t, err
			})
		}},
		{"act on 2 users (disable or enable)", "act-on-users", 1, func(int64) (time.Duration, error) {
			c := w.pick()
			from, to, action := c.enabled, c.disabled, "disable"
			if c.disabled.size() >= 2 {
				from, to, action = c.disabled, c.enabled, "enable"
			}
			var ids []string
			for range 2 {
				if id, ok := from.take(); ok {
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 {
				return 0, errSkipped
			}
			_, _, t, err := l.do("POST", customer(c)+"/users/actions", map[string]any{"action": action, "userIds": ids}, 200)
			for _, id := range ids {
				to.put(id)
			}
			return t, err
		}},
		{"delete user", "delete-user", 2, func(int64) (time.Duration, error) {
			c := w.pick()
			id, _, _, err := w.invite(l, c, nil)
			if err != nil {
				return 0, err
			}
			w.mark()
			_, _, t, err := l.do("DELETE", customer(c)+"/users/"+id, nil, 204)
			return t, err
		}},
		// Trails.
		{"audit trail", "list-audit-events", 4, inCustomer("GET", "/audit-events?limit=20", nil, 200)},
		{"provider audit trail", "list-provider-audit-events", 1, get("/v1/audit-events")},
		// Customers and their organization profile.
		{"list customers", "list-customers", 3, get("/v1/customers")},
		{"get customer", "get-customer", 2, inCustomer("GET", "", nil, 200)},
		{"create customer", "create-customer", 1, func(int64) (time.Duration, error) {
			_, _, t, err := l.do("POST", "/v1/customers", map[string]any{"name": fmt.Sprint("Onboarded ", w.seq.Add(1))}, 201)
			return t, err
		}},
		{"update customer", "update-customer", 1, func(i int64) (time.Duration, error) {
			return moved(w.renamable, w.renamable, func(c *cust) (time.Duration, error) {
				_, _, t, err := l.do("PATCH", customer(c), map[string]any{"name": fmt.Sprint("Load renamed ", i)}, 200)
				return t, err
			})
		}},
		{"offboard customer", "delete-customer", 1, func(int64) (time.Duration, error) {
			_, body, _, err := l.do("POST", "/v1/customers", map[string]any{"name": fmt.Sprint("Leaving ", w.seq.Add(1))}, 201)
			if err != nil {
				return 0, err
			}
			w.mark()
			_, body, t, err := l.do("DELETE", "/v1/customers/"+idOf(body), nil, 202)
			var j struct{ Job struct{ ID string } }
			if json.Unmarshal(body, &j) == nil && j.Job.ID != "" {
				w.jobs.put(j.Job.ID)
			}
			return t, err
		}},
		{"get job", "get-job", 1, func(int64) (time.Duration, error) {
			return taken(w.jobs, func(id string) (time.Duration, keep, error) {
				_, _, t, err := l.do("GET", "/v1/jobs/"+id, nil, 200)
				return t, true, err
			})
		}},
		{"list addresses", "list-addresses", 3, inCustomer("GET", "/addresses", nil, 200)},
		{"list service agreements", "list-service-agreements", 2, inCustomer("GET", "/service-agreements", nil, 200)},
		// The role catalogue.
		{"list roles", "list-roles", 2, inCustomer("GET", "/roles", nil, 200)},
		// Portal setups (each an app client in the user pool).
		{"list portals", "list-portals", 2, inCustomer("GET", "/portals", nil, 200)},
		{"portal's users", "list-portal-users", 2, func(int64) (time.Duration, error) {
			c := w.pick()
			_, _, t, err := l.do("GET", customer(c)+"/portals/"+c.desk.id+"/users", nil, 200)
			return t, err
		}},
		// Webhook subscriptions: the first seeded one delivers every event
		// to the sample receiver and is only read; the others take an
		// event the load never makes.
		{"list webhooks", "list-webhooks", 1, inCustomer("GET", "/webhooks", nil, 200)},
		{"get webhook", "get-webhook", 1, func(int64) (time.Duration, error) {
			c := w.pick()
			_, _, t, err := l.do("GET", customer(c)+"/webhooks/"+c.hook, nil, 200)
			return t, err
		}},
		{"webhook deliveries", "list-webhook-deliveries", 1, func(int64) (time.Duration, error) {
			c := w.pick()
			_, _, t, err := l.do("GET", customer(c)+"/webhooks/"+c.hook+"/deliveries", nil, 200)
			return t, err
		}},
		{"create webhook", "create-webhook", 1, func(int64) (time.Duration, error) {
			c := w.pick()
			if c.hookSlots.Add(1) > 8 { // 10 a customer, the seeded one among them
				c.hookSlots.Add(-1)
				return 0, errSkipped
			}
			_, body, t, err := l.do("POST", customer(c)+"/webhooks", map[string]any{"url": w.st.Info.Webhooks.Receiver + "/spare",
				"eventTypes": []string{"customer.offboarded"}}, 201)
			if err != nil {
				c.hookSlots.Add(-1)
				return t, err
			}
			c.hooks.put(idOf(body))
			return t, nil
		}},
		{"update webhook", "update-webhook", 1, func(i int64) (time.Duration, error) {
			c := w.pick()
			return taken(c.hooks, func(id string) (time.Duration, keep, error) {
				_, _, t, err := l.do("PATCH", customer(c)+"/webhooks/"+id, map[string]any{"description": fmt.Sprint("Spare ", i)}, 200)
				return t, true, err
			})
		}},
		{"rotate webhook secret", "rotate-webhook-secret", 1, func(int64) (time.Duration, error) {
			c := w.pick()
			return taken(c.hooks, func(id string) (time.Duration, keep, error) {
				_, _, t, err := l.do("POST", customer(c)+"/webhooks/"+id+"/rotate-secret", nil, 200)
				return t, true, err
			})
		}},
		{"delete webhook", "delete-webhook", 1, func(int64) (time.Duration, error) {
			c := w.pick()
			if c.hooks.size() < 2 { // one stays, to change
				return 0, errSkipped
			}
			return taken(c.hooks, func(id string) (time.Duration, keep, error) {
				_, _, t, err := l.do("DELETE", customer(c)+"/webhooks/"+id, nil, 204)
				if err == nil {
					c.hookSlots.Add(-1)
				}
				return t, err != nil, err
			})
		}},
		// The provider's own staff.
		{"list operators", "list-operators", 1, get("/v1/operators")},
		{"get operator", "get-operator", 1, func(int64) (time.Duration, error) {
			_, _, t, err := l.do("GET", "/v1/operators/"+w.opNamed[rand.IntN(len(w.opNamed))], nil, 200)
			return t, err
		}},
		{"rename operator", "update-operator", 1, func(i int64) (time.Duration, error) {
			return moved(w.opEnabled, w.opEnabled, func(s staff) (time.Duration, error) {
				_, _, t, err := l.do("PATCH", "/v1/operators/"+s.id, map[string]any{"name": fmt.Sprint("Tech ", i)}, 200)
				return t, err
			})
		}},
		{"invite operator", "invite-operator", 1, func(int64) (time.Duration, error) {
			_, body, t, err := l.do("POST", "/v1/operators", map[string]any{"email": w.uniq("staff"), "role": "technician"}, 201)
			if err == nil {
				w.opInvited.put(idOf(body))
			}
			return t, err
		}},
		{"re-invite operator", "reinvite-operator", 1, func(int64) (time.Duration, error) {
			return taken(w.opInvited, func(id string) (time.Duration, keep, error) {
				_, _, t, err := l.do("POST", "/v1/operators/"+id+"/reinvite", nil, 200)
				return t, true, err
			})
		}},
		{"delete operator", "delete-operator", 1, func(int64) (time.Duration, error) {
			if w.opInvited.size() < 2 { // keep one to re-invite
				return 0, errSkipped
			}
			return taken(w.opInvited, func(id string) (time.Duration, keep, error) {
				_, _, t, err := l.do("DELETE", "/v1/operators/"+id, nil, 204)
				return t, false, err
			})
		}},
		{"disable operator", "disable-operator", 1, func(int64) (time.Duration, error) {
			return moved(w.opEnabled, w.opDisabled, func(s staff) (time.Duration, error) {
				_, _, t, err := l.do("POST", "/v1/operators/"+s.id+"/disable", nil, 200)
				return t, err
			})
		}},
		{"enable operator", "enable-operator", 1, func(int64) (time.Duration, error) {
			return moved(w.opDisabled, w.opEnabled, func(s staff) (time.Duration, error) {
				_, _, t, err := l.do("POST", "/v1/operators/"+s.id+"/enable", nil, 200)
				return t, err
			})
		}},
		{"reset operator's app", "reset-operator-mfa", 1, func(int64) (time.Duration, error) {
			s, ok := w.opEnabled.take()
			if !ok {
				return 0, errSkipped
			}
			_, _, t, err := l.do("DELETE", "/v1/operators/"+s.id+"/mfa", nil, 200)
			if err != nil {
				w.opEnabled.put(s)
				return t, err
			}
			w.opReset.put(s)
			return t, nil
		}},
		{"enrol an app (after a reset)", "enrol-mfa", 1, func(int64) (time.Duration, error) {
			s, ok := w.opReset.take()
			if !ok {
				return 0, errSkipped
			}
			t, err := w.enrol(s)
			if err != nil {
				w.opReset.put(s)
				return t, err
			}
			w.opEnabled.put(s)
			return t, nil
		}},
	}
	// The collections a customer's profile, catalogue and setups keep,
	// each made, changed and deleted one item at a time.
	for _, k := range []collection{
		{"address", "/addresses", "update", [3]string{"create-address", "update-address", "delete-address"},
			func(c *cust) *pool[string] { return c.addresses }, 0, 45,
			func(int64) any {
				return map[string]any{"kind": "legal", "lines": []string{"Coolsingel 1"}, "postalCode": "3011 AD", "city": "Rotterdam", "country": "NL"}
			},
			func(int64) any { return map[string]any{"city": "Delft"} }},
		{"service agreement", "/service-agreements", "update", [3]string{"create-service-agreement", "update-service-agreement", "delete-service-agreement"},
			func(c *cust) *pool[string] { return c.agreements }, 1, 90, // the seeded one stays
			func(i int64) any {
				return map[string]any{"name": "Maintenance", "reference": fmt.Sprint("SLA-", i, "-", rand.Int64()), "startsOn": "2026-01-01", "endsOn": "2026-12-31"}
			},
			func(int64) any { return map[string]any{"endsOn": "2027-12-31"} }},
		{"role", "/roles", "rename", [3]string{"create-role", "update-role", "delete-role"},
			func(c *cust) *pool[string] { return c.roles }, 0, 80,
			func(int64) any { return map[string]any{"name": fmt.Sprint("Team ", w.seq.Add(1))} },
			func(int64) any { return map[string]any{"name": fmt.Sprint("Team ", w.seq.Add(1))} }},
		{"portal", "/portals", "rename", [3]string{"create-portal", "update-portal", "delete-portal"},
			func(c *cust) *pool[string] { return c.portals }, 1, 40, // one stays, to rename
			func(int64) any {
				n := w.seq.Add(1)
				return map[string]any{"name": fmt.Sprint("Kiosk ", n), "url": fmt.Sprintf("https://kiosk%d.load.example/", n)}
			},
			func(i int64) any { return map[string]any{"name": fmt.Sprint("Kiosk ", i)} }},
	} {
		ops = append(ops, w.lifecycle(k)...)
	}
	return ops
}

// collection is one of a customer's collections the mix makes, changes
// and deletes: at most max items, the first keep of them never deleted.
type collection struct {
	noun, path, change string
	routes             [3]string // create, change, delete
	items              func(*cust) *pool[string]
	keep, max          int
	created, changed   func(i int64) any // the bodies
}

// lifecycle is a collection's three operations.
func (w *world) lifecycle(k collection) []operation {
	l := w.l
	base := func(c *cust) string { return "/v1/customers/" + c.id + k.path }
	return []operation{
		{"create " + k.noun, k.routes[0], 1, func(i int64) (time.Duration, error) {
			c := w.pick()
			items := k.items(c)
			if items.size() >= k.max {
				return 0, errSkipped
			}
			_, body, t, err := l.do("POST", base(c), k.created(i), 201)
			if err == nil {
				items.put(idOf(body))
			}
			return t, err
		}},
		{k.change + " " + k.noun, k.routes[1], 1, func(i int64) (time.Duration, error) {
			c := w.pick()
			return moved(k.items(c), k.items(c), func(id string) (time.Duration, error) {
				_, _, t, err := l.do("PATCH", base(c)+"/"+id, k.changed(i), 200)
				return t, err
			})
		}},
		{"delete " + k.noun, k.routes[2], 1, func(int64) (time.Duration, error) {
			c := w.pick()
			items := k.items(c)
			if items.size() <= k.keep {
				return 0, errSkipped
			}
			id, ok := items.take()
			if !ok {
				return 0, errSkipped
			}
			_, _, t, err := l.do("DELETE", base(c)+"/"+id, nil, 204)
			return t, err
		}},
	}
}

// enrol signs an operator whose app was reset in and sets up a new one
// (the POST /v1/me/mfa is what is measured).
func (w *world) enrol(s staff) (time.Duration, error) {
	tok, err := w.signIn(w.st.Info.Cognito.ClientID, s.email)
	if err != nil {
		return 0, err
	}
	if _, err := w.st.SetUpTOTP(w.ctx, tok); err != nil {
		return 0, err
	}
	w.mark()
	_, _, t, err := w.l.as(tok).do("POST", "/v1/me/mfa", nil, 200)
	return t, err
}

// settle brings every operator the mix disabled or reset back to enabled
// and enrolled, so that the pass after the run finds each operator
// operation something to act on, whatever state the mix left them in.
func (w *world) settle() error {
	for {
		s, ok := w.opDisabled.take()
		if !ok {
			break
		}
		if _, _, _, err := w.l.do("POST", "/v1/operators/"+s.id+"/enable", nil, 200); err != nil {
			return err
		}
		w.opEnabled.put(s)
	}
	for {
		s, ok := w.opReset.take()
		if !ok {
			return nil
		}
		if _, err := w.enrol(s); err != nil {
			return err
		}
		w.opEnabled.put(s)
	}
}
