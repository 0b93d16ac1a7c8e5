package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/portalaccess/portalaccess/infra/local/faults"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// The organization profile, a customer's life time and the provider's
// trail, over HTTP against the emulators.

type address struct {
	ID         string   `json:"id"`
	Kind       string   `json:"kind"`
	Label      *string  `json:"label"`
	Lines      []string `json:"lines"`
	PostalCode string   `json:"postalCode"`
	City       string   `json:"city"`
	Region     *string  `json:"region"`
	Country    string   `json:"country"`
	Version    int      `json:"version"`
}

type agreement struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Reference string `json:"reference"`
	StartsOn  string `json:"startsOn"`
	EndsOn    string `json:"endsOn"`
	Status    string `json:"status"`
	Version   int    `json:"version"`
}

type job struct {
	ID      string `json:"id"`
	State   string `json:"state"`
	Step    string `json:"step"`
	Removed struct {
		Members, Invitations, Portals, Records int
	} `json:"removed"`
	CustomerName string  `json:"customerName"`
	FinishedAt   *string `json:"finishedAt"`
}

type auditEvent struct {
	ID     string `json:"id"`
	Action string `json:"action"`
	Target struct {
		Kind string  `json:"kind"`
		ID   string  `json:"id"`
		Name *string `json:"name"`
	} `json:"target"`
	CustomerID *string `json:"customerId"`
}

func (c *client) addresses(customerID string) []address {
	c.t.Helper()
	var l struct{ Items []address }
	c.get("/v1/customers/"+customerID+"/addresses", 200).json(c.t, &l)
	return l.Items
}

func (c *client) agreements(customerID string) []agreement {
	c.t.Helper()
	var l struct{ Items []agreement }
	c.get("/v1/customers/"+customerID+"/service-agreements", 200).json(c.t, &l)
	return l.Items
}

func actionsOf(evs []auditEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Action)
	}
	return out
}

// The seed's "Change the service information on the portal": the
// customer's portal admin adds, modifies and deletes the organization's
// addresses (actual, legal, shipping; two of one kind), and reads the
// service agreements ("Maintenance") that the provider keeps.
func TestTheOrganizationProfile(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	_, admin := portalUser(t, op, cu.ID, true)
	_, user := portalUser(t, op, cu.ID, false)
	base := "/v1/customers/" + cu.ID

	var legal, ship1, ship2 address
	admin.post(base+"/addresses", map[string]any{"kind": "legal", "lines": []string{"Coolsingel 1"}, "postalCode": "3011ad",
		"city": "Rotterdam", "region": "Zuid-Holland", "country": "nl"}, 201).json(t, &legal)
	res := admin.post(base+"/addresses", map[string]any{"kind": "shipping", "label": "Warehouse", "lines": []string{"Havenstraat 12", "Dock 3"},
		"postalCode": "3011 AB", "city": "Rotterdam", "country": "NL"}, 201, "Idempotency-Key", "ship-1")
	res.json(t, &ship1)
	if res.Header.Get("ETag") != `"1"` || res.Header.Get("Location") != base+"/addresses/"+ship1.ID {
		t.Fatalf("headers: %v", res.Header)
	}
	var retried address
	admin.post(base+"/addresses", map[string]any{"kind": "shipping", "label": "Warehouse", "lines": []string{"Havenstraat 12", "Dock 3"},
		"postalCode": "3011 AB", "city": "Rotterdam", "country": "NL"}, 201, "Idempotency-Key", "ship-1").json(t, &retried)
	admin.post(base+"/addresses", map[string]any{"kind": "shipping", "label": "Depot", "lines": []string{"Kanaalweg 7"},
		"postalCode": "2628 EB", "city": "Delft", "country": "NL"}, 201).json(t, &ship2)
	if retried.ID != ship1.ID || legal.PostalCode != "3011AD" || legal.Country != "NL" || *legal.Region != "Zuid-Holland" || ship2.Region != nil {
		t.Fatalf("as stored: %+v %+v %+v", legal, ship1, retried)
	}
	if got := op.addresses(cu.ID); len(got) != 3 || got[0].ID != legal.ID || got[1].ID != ship1.ID || got[2].ID != ship2.ID {
		t.Fatalf("the operator reads: %+v", got)
	}

	// Modify, with If-Match; the label removed; a stale version refused.
	var moved address
	admin.expect(admin.call("PATCH", base+"/addresses/"+ship2.ID, map[string]any{"city": "Schiedam", "postalCode": "3115 HH", "label": ""},
		"If-Match", `"1"`), 200).json(t, &moved)
	if moved.City != "Schiedam" || moved.Label != nil || moved.Version != 2 || moved.Lines[0] != "Kanaalweg 7" {
		t.Fatalf("moved: %+v", moved)
	}
	admin.expect(admin.call("PATCH", base+"/addresses/"+ship2.ID, map[string]any{"city": "Delft"}, "If-Match", `"1"`), 412)
	admin.expect(admin.call("DELETE", base+"/addresses/"+ship2.ID, nil, "If-Match", `"1"`), 412)
	// Bad input names each field and changes nothing.
	p := admin.expect(admin.call("POST", base+"/addresses", map[string]any{"kind": "billing", "lines": []string{}, "postalCode": "30#1",
		"city": "Rotterdam", "country": "UK"}), 400).problem(t)
	var got []string
	for _, e := range p.Errors {
		got = append(got, e.Field+":"+e.Code)
	}
	if !slices.Equal(got, []string{"kind:invalid_kind", "lines:required", "postalCode:invalid_postal_code", "country:invalid_country"}) {
		t.Fatalf("the problems: %v", got)
	}
	admin.expect(admin.call("PATCH", base+"/addresses/"+ship1.ID, map[string]any{"city": "X", "color": "red"}), 400)
	admin.expect(admin.call("PATCH", base+"/addresses/"+ship1.ID, map[string]any{}), 400)
	if got := op.addresses(cu.ID); len(got) != 3 || got[1].City != "Rotterdam" || got[1].Version != 1 || got[2].City != "Schiedam" {
		t.Fatalf("after the refusals: %+v", got)
	}
	admin.expect(admin.call("DELETE", base+"/addresses/"+legal.ID, nil), 204)
	admin.expect(admin.call("DELETE", base+"/addresses/"+legal.ID, nil), 404)
	// A plain portal user, another customer's admin: refused.
	user.expect(user.call("GET", base+"/addresses", nil), 403)
	user.expect(user.call("POST", base+"/addresses", map[string]any{"kind": "actual", "lines": []string{"x"}, "postalCode": "1", "city": "c", "country": "NL"}), 403)
	other := op.newCustomer("en")
	_, stranger := portalUser(t, op, other.ID, true)
	stranger.expect(stranger.call("GET", base+"/addresses", nil), 404)
	stranger.expect(stranger.call("DELETE", base+"/addresses/"+ship1.ID, nil), 404)
	if len(op.addresses(cu.ID)) != 2 {
		t.Fatal("a refused delete deleted")
	}

	// The provider keeps the service agreements; the portal admin reads them.
	today := now().UTC()
	day := func(d int) string { return today.AddDate(0, 0, d).Format("2006-01-02") }
	var running, next agreement
	op.post(base+"/service-agreements", map[string]any{"name": "Maintenance", "reference": "SLA-1", "startsOn": day(-30), "endsOn": day(30)}, 201).json(t, &running)
	op.post(base+"/service-agreements", map[string]any{"name": "Maintenance 2", "reference": "SLA-2", "startsOn": day(31), "endsOn": day(400)}, 201).json(t, &next)
	admin.expect(admin.call("POST", base+"/service-agreements", map[string]any{"name": "Mine", "reference": "X", "startsOn": day(0), "endsOn": day(1)}), 403)
	admin.expect(admin.call("PATCH", base+"/service-agreements/"+running.ID, map[string]any{"name": "Mine"}), 403)
	admin.expect(admin.call("DELETE", base+"/service-agreements/"+running.ID, nil), 403)
	list := admin.agreements(cu.ID)
	if len(list) != 2 || list[0].Status != "active" || list[1].Status != "upcoming" || list[0].Name != "Maintenance" {
		t.Fatalf("what the portal admin reads: %+v", list)
	}
	p = op.expect(op.call("PATCH", base+"/service-agreements/"+running.ID, map[string]any{"endsOn": day(-31)}), 400).problem(t)
	if len(p.Errors) != 1 || p.Errors[0].Field != "endsOn" || p.Errors[0].Code != "before_start" {
		t.Fatalf("an end before the start: %+v", p)
	}
	op.expect(op.call("PATCH", base+"/service-agreements/"+running.ID, map[string]any{"endsOn": day(-1)}, "If-Match", `"1"`), 200)
	if list := admin.agreements(cu.ID); list[0].Status != "expired" || list[0].Version != 2 {
		t.Fatalf("after it ended yesterday: %+v", list[0])
	}
	// Tomorrow, as the business clock sees it, the next one is still
	// upcoming for a month.
	op.expect(op.call("DELETE", base+"/service-agreements/"+next.ID, nil, "If-Match", `"1"`), 204)
	if list := op.agreements(cu.ID); len(list) != 1 {
		t.Fatalf("after the delete: %+v", list)
	}

	// Every change is on the customer's trail, and nothing refused is.
	var trail page[auditEvent]
	admin.get(base+"/audit-events?limit=20", 200).json(t, &trail)
	want := []string{"service_agreement.deleted", "service_agreement.updated", "service_agreement.created", "service_agreement.created",
		"address.deleted", "address.updated", "address.created", "address.created", "address.created"}
	if acts := actionsOf(trail.Items); !slices.Equal(acts[:len(want)], want) {
		t.Fatalf("the trail: %v", acts)
	}
}

// An operator admin renames a customer and changes its language; its
// members and its portals see it at once; the provider's trail, which only
// operator admins read, says so.
func TestRenamingACustomer(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	desk := op.newPortal(cu.ID)
	_, linked := linkedUser(t, op, cu.ID, desk.ID)
	pc := portalClient(t, desk, linked)
	_, tech := operator(t, op, "technician")
	_, admin := portalUser(t, op, cu.ID, true)
	path := "/v1/customers/" + cu.ID
	name := unique("Acme Nederland ")

	res := op.get(path, 200)
	if res.Header.Get("ETag") != `"1"` {
		t.Fatalf("ETag %q", res.Header.Get("ETag"))
	}
	tech.expect(tech.call("PATCH", path, map[string]any{"name": "T"}), 403)
	admin.expect(admin.call("PATCH", path, map[string]any{"name": "T"}), 403)
	op.expect(op.call("PATCH", path, map[string]any{"name": "https://evil.example", "locale": "fr"}), 400)
	op.expect(op.call("PATCH", path, map[string]any{"name": "X"}, "If-Match", `"7"`), 412)
	var renamed customer
	res = op.expect(op.call("PATCH", path, map[string]any{"name": name, "locale": "nl"}, "If-Match", `"1"`), 200)
	res.json(t, &renamed)
	if renamed.Name != name || renamed.Locale != "nl" || res.Header.Get("ETag") != `"2"` {
		t.Fatalf("renamed: %+v %s", renamed, res.Header.Get("ETag"))
	}
	var seen customer
	admin.get(path, 200).json(t, &seen)
	var pa portalAccess
	pc.get("/v1/portal-access", 200).json(t, &pa)
	if seen.Name != name || pa.Customer.Name != name || pa.Customer.Locale != "nl" {
		t.Fatalf("what they see: %+v %+v", seen, pa.Customer)
	}
	// The next invitation is in Dutch, with the new name.
	e := uniqueEmail("nl")
	op.invite(cu.ID, map[string]any{"email": e})
	if mails := emailsTo(t, e); len(mails) != 1 || !strings.Contains(mails[0].Subject, "uitgenodigd") || !strings.Contains(mails[0].Subject, name) {
		t.Fatalf("the invitation: %+v", mails)
	}
	// The provider's trail: operator admins only.
	tech.expect(tech.call("GET", "/v1/audit-events", nil), 403)
	admin.expect(admin.call("GET", "/v1/audit-events", nil), 403)
	var trail page[auditEvent]
	op.get("/v1/audit-events?limit=50", 200).json(t, &trail)
	var about []string
	for _, e := range trail.Items {
		if e.Target.ID == cu.ID {
			about = append(about, e.Action+" "+*e.Target.Name)
		}
	}
	if !slices.Equal(about, []string{"customer.updated " + name, "customer.created " + cu.Name}) {
		t.Fatalf("the provider's trail about the customer: %v", about)
	}
	// It pages with the same cursors as a customer's trail.
	var first page[auditEvent]
	op.get("/v1/audit-events?limit=1", 200).json(t, &first)
	if first.NextCursor == nil || len(first.Items) != 1 {
		t.Fatalf("a page of one: %+v", first)
	}
	var second page[auditEvent]
	op.get("/v1/audit-events?limit=1&cursor="+*first.NextCursor, 200).json(t, &second)
	if len(second.Items) != 1 || second.Items[0].ID == first.Items[0].ID {
		t.Fatalf("the second page: %+v", second)
	}
	op.expect(op.call("GET", "/v1/customers/"+cu.ID+"/audit-events?cursor="+*first.NextCursor, nil), 400)
}

// offboardingFixture is a customer with people in every state, a portal
// with a member signed in through it, a profile, and a person who also
// belongs to another customer.
type offboardingFixture struct {
	cu, other                 customer
	desk                      portalSetup
	enabled, invited, shared  []string
	pendingToken              string
	deskClient, adminC, userC *client
}

func newOffboardingFixture(t *testing.T, op *client, invited, enabled int) offboardingFixture {
	t.Helper()
	f := offboardingFixture{cu: op.newCustomer("en"), other: op.newCustomer("en")}
	users := "/v1/customers/" + f.cu.ID + "/users"
	f.desk = op.newPortal(f.cu.ID)
	for range invited {
		f.invited = append(f.invited, uniqueEmail("off"))
	}
	op.post(users+"/bulk", map[string]any{"emails": f.invited}, 200)
	f.pendingToken = latestToken(t, f.invited[0])
	for range enabled {
		u, addr := linkedUser(t, op, f.cu.ID, f.desk.ID)
		_ = u
		f.enabled = append(f.enabled, addr)
	}
	f.deskClient = portalClient(t, f.desk, f.enabled[0])
	_, f.adminC = portalUser(t, op, f.cu.ID, true)
	// One person of both customers.
	both := uniqueEmail("both")
	op.invite(f.cu.ID, map[string]any{"email": both})
	accept(t, both)
	op.invite(f.other.ID, map[string]any{"email": both})
	accept(t, both)
	f.shared = []string{both}
	token, _ := signIn(t, both, password)
	f.userC = &client{t: t, token: token}
	f.adminC.post("/v1/customers/"+f.cu.ID+"/addresses", map[string]any{"kind": "legal", "lines": []string{"Coolsingel 1"},
		"postalCode": "3011 AD", "city": "Rotterdam", "country": "NL"}, 201)
	op.post("/v1/customers/"+f.cu.ID+"/service-agreements", map[string]any{"name": "Maintenance", "reference": "SLA-1",
		"startsOn": "2026-01-01", "endsOn": "2027-12-31"}, 201)
	return f
}

// sweepUntilDone runs the sweep, as the schedule does, until the job is
// done, and says how many runs it took.
func sweepUntilDone(t *testing.T, op *client, jobID string) (job, int) {
	t.Helper()
	for runs := 1; runs <= 50; runs++ {
		if _, err := st.Sweep(context.Background(), time.Minute); err != nil {
			t.Fatal(err)
		}
		var j job
		op.get("/v1/jobs/"+jobID, 200).json(t, &j)
		if j.State == "done" {
			return j, runs
		}
	}
	t.Fatal("the offboarding never finished")
	return job{}, 0
}

func appClientExists(t *testing.T, clientID string) bool {
	t.Helper()
	_, err := cognito().DescribeUserPoolClient(context.Background(), &cip.DescribeUserPoolClientInput{
		UserPoolId: aws.String(st.Info.Cognito.UserPoolID), ClientId: aws.String(clientID)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// checkOffboarded is what an offboarding must leave: nothing of the
// customer in the table or in Cognito, but the provider's one event, and
// the person of both customers still signs in to the other.
func checkOffboarded(t *testing.T, op *client, f offboardingFixture) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.Store.Customer(ctx, f.cu.ID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("the customer is left: %v", err)
	}
	sc := domain.CustomerScope(f.cu.ID)
	if ms, _ := st.Store.ListMembers(ctx, sc, "", "", 10, nil); len(ms.Items) != 0 {
		t.Fatalf("members are left: %d", len(ms.Items))
	}
	if ms, _ := st.Store.CustomerMembers(ctx, f.cu.ID, 10); len(ms) != 0 {
		t.Fatalf("member items are left: %d", len(ms))
	}
	if evs, _ := st.Store.ListAudit(ctx, sc, 10, nil); len(evs.Items) != 0 {
		t.Fatalf("the customer's trail is left: %d", len(evs.Items))
	}
	if as, _ := st.Store.Addresses(ctx, f.cu.ID); len(as) != 0 {
		t.Fatal("addresses are left")
	}
	if _, err := st.Store.Invitation(ctx, domain.HashToken(f.pendingToken), now()); !errors.Is(err, state.ErrTokenInvalid) {
		t.Fatalf("a pending token record is left: %v", err)
	}
	for _, e := range f.enabled {
		if _, found := identity(t, e); found {
			t.Fatalf("the identity of %s is left in Cognito", e)
		}
	}
	if appClientExists(t, f.desk.ClientID()) {
		t.Fatal("the portal's app client is left in Cognito")
	}
	for _, e := range f.shared {
		if enabled, found := identity(t, e); !found || !enabled {
			t.Fatalf("the identity of %s, of both customers, went", e)
		}
		token, _ := signIn(t, e, password)
		var me struct {
			Memberships []struct{ CustomerID string } `json:"memberships"`
		}
		(&client{t: t, token: token}).get("/v1/me", 200).json(t, &me)
		if len(me.Memberships) != 1 || me.Memberships[0].CustomerID != f.other.ID {
			t.Fatalf("%s's memberships: %+v", e, me.Memberships)
		}
	}
	var trail page[auditEvent]
	op.get("/v1/audit-events?limit=200", 200).json(t, &trail)
	var kept []string
	for _, e := range trail.Items {
		if e.Target.ID == f.cu.ID {
			kept = append(kept, e.Action)
		}
	}
	if !slices.Equal(kept, []string{"customer.offboarded", "customer.created"}) {
		t.Fatalf("the provider's trail about it: %v", kept)
	}
}

// The provider offboards a customer: from the moment the delete is
// accepted every call about it is refused, its portal's tokens and its
// pending invitations included; the sweep then removes it in bounded
// steps, and nothing is left in the table or in Cognito.
func TestOffboardingACustomer(t *testing.T) {
	op := operatorAdmin(t)
	f := newOffboardingFixture(t, op, 40, 12)
	_, tech := operator(t, op, "technician")
	path := "/v1/customers/" + f.cu.ID
	tech.expect(tech.call("DELETE", path, nil), 403)
	f.adminC.expect(f.adminC.call("DELETE", path, nil), 403)

	res := op.expect(op.call("DELETE", path, nil), 202)
	var accepted struct{ Job job }
	res.json(t, &accepted)
	j := accepted.Job
	if j.State != "running" || j.Step != "members" || j.CustomerName != f.cu.Name || res.Header.Get("Location") != "/v1/jobs/"+j.ID {
		t.Fatalf("accepted: %+v %v", j, res.Header)
	}
	// Refused at once, everywhere.
	for _, c := range []*client{op, tech, f.adminC} {
		c.expect(c.call("GET", path, nil), 404)
		c.expect(c.call("GET", path+"/users", nil), 404)
		c.expect(c.call("GET", path+"/addresses", nil), 404)
	}
	op.expect(op.call("POST", path+"/users", map[string]any{"email": uniqueEmail("late")}), 404)
	// Its plain portal user too: 404, not 403, as for every caller.
	f.userC.expect(f.userC.call("GET", path, nil), 404)
	f.userC.expect(f.userC.call("POST", path+"/users", map[string]any{"email": uniqueEmail("late")}), 404)
	f.userC.expect(f.userC.call("GET", path+"/addresses", nil), 404)
	op.expect(op.call("PATCH", path, map[string]any{"name": "Back"}), 404)
	op.expect(op.call("POST", path+"/portals", map[string]any{"name": "P", "url": "https://p.example"}), 404)
	f.deskClient.expect(f.deskClient.call("GET", "/v1/portal-access", nil), 401)
	anonymous(t).expect(anonymous(t).call("POST", "/v1/invitations/inspect", map[string]any{"token": f.pendingToken}), 410)
	anonymous(t).expect(anonymous(t).call("POST", "/v1/invitations/accept", map[string]any{"token": f.pendingToken, "password": password}), 410)
	if _, found := identity(t, f.invited[0]); found {
		t.Fatal("a refused accept made an identity")
	}
	for _, c := range all[customer](op, "/v1/customers?limit=200") {
		if c.ID == f.cu.ID {
			t.Fatal("the customer is still listed")
		}
	}
	var again struct{ Job job }
	op.expect(op.call("DELETE", path, nil), 202).json(t, &again)
	if again.Job.ID != j.ID {
		t.Fatalf("a repeated delete started another job: %s", again.Job.ID)
	}
	tech.expect(tech.call("GET", "/v1/jobs/"+j.ID, nil), 403)

	done, runs := sweepUntilDone(t, op, j.ID)
	members := len(f.invited) + len(f.enabled) + 2
	if done.Removed.Members != members || done.Removed.Invitations != len(f.invited) || done.Removed.Portals != 1 || done.FinishedAt == nil {
		t.Fatalf("after %d sweeps: %+v", runs, done)
	}
	settle(t)
	checkOffboarded(t, op, f)
}

// The offboarding dies mid-way at an AWS call, in each of its steps, and
// the next sweeps resume it: the end is the same, nothing orphaned.
func TestAnOffboardingKilledMidwayIsResumed(t *testing.T) {
	op := operatorAdmin(t)
	for _, fault := range []faults.Fault{
		{Call: "DynamoDB.TransactWriteItems", Nth: 5, Kind: faults.Error},                 // a member's removal
		{Call: "Cognito Identity Provider.AdminDeleteUser", Nth: 2, Kind: faults.Timeout}, // an identity, after its member went
		{Call: "Cognito Identity Provider.DeleteUserPoolClient", Nth: 1, Kind: faults.Error},
		{Call: "DynamoDB.UpdateItem", Nth: 3, Kind: faults.Throttle}, // the job's progress
	} {
		t.Run(fmt.Sprint(fault), func(t *testing.T) {
			op := op.with(t)
			f := newOffboardingFixture(t, op, 6, 3)
			settle(t) // what else is due goes first, so that the fault strikes the job
			var accepted struct{ Job job }
			op.expect(op.call("DELETE", "/v1/customers/"+f.cu.ID, nil), 202).json(t, &accepted)
			injector.Arm(fault)
			_, _ = st.Sweep(context.Background(), time.Minute) // dies at the fault, or steps over it
			if !injector.Disarm() {
				t.Fatalf("the fault %s never struck", fault)
			}
			sweepUntilDone(t, op, accepted.Job.ID)
			settle(t)
			checkOffboarded(t, op, f)
		})
	}
}
