package offboarding_test

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/invitations"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/app/profile"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

func ptr[T any](v T) *T { return &v }

// acme is a customer with many members: most invited and unconfirmed (a
// pending invitation each), some enabled (an identity each), a few of them
// also members of another customer (their identity must stay), one portal
// admin, two portal setups with app clients (members linked to one), and
// an organization profile.
type acme struct {
	cu, other           domain.Customer
	desk, shop          domain.Portal
	invited, enabled    []string
	shared              []string
	tokens              map[string]string // an invitee's e-mail: the token of its latest invitation
	admin               *access.Caller
	members, portalUser int
}

func newAcme(t *testing.T, w *apptest.World, invited, enabled, shared int) acme {
	t.Helper()
	a := acme{cu: w.NewCustomer("Acme", "en"), other: w.NewCustomer("Initech", "en"), tokens: map[string]string{}}
	a.desk = w.NewPortal(a.cu.ID, "Desk", "https://desk.acme.example")
	a.shop = w.NewPortal(a.cu.ID, "Shop", "https://shop.acme.example")
	sc := w.Scope(a.cu.Scope())
	var emails []string
	for i := range invited + enabled + shared {
		emails = append(emails, fmt.Sprintf("p%05d@acme.example", i))
	}
	for i := 0; i < len(emails); i += members.MaxBulk {
		batch := emails[i:min(i+members.MaxBulk, len(emails))]
		res, err := w.Members.BulkInvite(w.Ctx(), w.Admin, sc, batch, members.Profile{PortalIDs: []string{a.desk.ID}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Outcome != domain.OutcomeInvited {
				t.Fatalf("%s: %s", r.Email, r.Outcome)
			}
		}
	}
	a.invited = emails[:invited]
	for _, e := range a.invited {
		a.tokens[e] = w.Token(e)
	}
	a.enabled = emails[invited : invited+enabled]
	a.shared = emails[invited+enabled:]
	for _, e := range append(slices.Clone(a.enabled), a.shared...) {
		w.Accept(e)
	}
	// The shared people are also Initech's users: their identity stays.
	for _, e := range a.shared {
		w.Invite(w.Admin, a.other.ID, e, false)
		w.Accept(e)
	}
	_, a.admin = w.User(a.cu.ID, "admin@acme.example", true)
	a.members = len(emails) + 1
	for _, in := range []profile.AddressInput{
		{Kind: ptr("legal"), Lines: []string{"Coolsingel 1"}, PostalCode: ptr("3011 AD"), City: ptr("Rotterdam"), Country: ptr("NL")},
		{Kind: ptr("shipping"), Lines: []string{"Havenstraat 12"}, PostalCode: ptr("3011 AB"), City: ptr("Rotterdam"), Country: ptr("NL")},
	} {
		if _, err := w.Profile.CreateAddress(w.Ctx(), a.admin, a.cu.ID, in, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Profile.CreateAgreement(w.Ctx(), w.Admin, a.cu.ID, profile.AgreementInput{Name: ptr("Maintenance"),
		Reference: ptr("SLA-1"), StartsOn: ptr("2026-01-01"), EndsOn: ptr("2027-12-31")}, nil); err != nil {
		t.Fatal(err)
	}
	return a
}

// runUntilDone drives the job as the sweep does, run after run, each with
// a budget of steps on a clock that ticks once a step, and says how many
// runs it took.
func runUntilDone(t *testing.T, w *apptest.World, jobID string, stepsPerRun int) int {
	t.Helper()
	var tick atomic.Int64
	svc := *w.Offboarding
	svc.Clock = func() time.Time { return time.Unix(tick.Add(1), 0) }
	for runs := 1; runs <= 1000; runs++ {
		more, err := svc.Run(w.Ctx(), jobID, time.Unix(tick.Load()+int64(stepsPerRun), 0))
		if err != nil {
			t.Logf("run %d: %v (the next run goes on)", runs, err)
		}
		if j, _ := w.Store.Job(w.Ctx(), jobID); j.Done() {
			return runs
		}
		if !more && err == nil {
			t.Fatalf("run %d stopped with work left and no reason", runs)
		}
	}
	t.Fatal("the job never finished")
	return 0
}

// The seed's provider offboards a customer of thousands of people. From
// the moment the delete is accepted, the customer is gone for every call;
// then the work runs in bounded steps, a crash anywhere is resumed, and at
// the end nothing of the customer is left but one event on the provider's
// trail, while people who belong to another customer too keep signing in
// there.
func TestOffboardingACustomerOfManyMembers(t *testing.T) {
	w := apptest.New(t)
	a := newAcme(t, w, 1500, 480, 20)
	pending := a.tokens[a.invited[0]]
	// A member linked to the desk, signed in through it.
	deskUser := a.enabled[0]
	if _, err := w.PortalSignIn(deskUser, a.desk.ClientID); err != nil {
		t.Fatal(err)
	}

	job, err := w.Offboarding.Begin(w.Ctx(), w.Admin, a.cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	if job.Step != domain.JobMembers || job.CustomerName != "Acme" || job.Done() {
		t.Fatalf("the job: %+v", job)
	}

	// At once: refused everywhere.
	for _, e := range []string{"admin@provider.example", "admin@acme.example", deskUser} {
		if _, err := w.ResolveIn(e, a.cu.ID); !errors.Is(err, access.ErrNotFound) {
			t.Fatalf("%s inside the customer: %v", e, err)
		}
	}
	if _, err := w.PortalSignIn(deskUser, a.desk.ClientID); !errors.Is(err, access.ErrUnauthenticated) {
		t.Fatalf("the desk's token: %v", err)
	}
	if page, _ := w.Customers.List(w.Ctx(), w.Admin, 50, nil); len(page.Items) != 1 || page.Items[0].ID != a.other.ID {
		t.Fatalf("the listing: %+v", page.Items)
	}
	shared := w.SignIn(a.shared[0])
	if me, err := w.Customers.Me(w.Ctx(), shared); err != nil || len(me.Memberships) != 1 || me.Memberships[0].Member.CustomerID != a.other.ID {
		t.Fatalf("/me of a person of both: %+v %v", me.Memberships, err)
	}
	if _, err := w.Invitations.Inspect(w.Ctx(), invitations.Request{Token: &pending, SourceIP: "192.0.2.1"}); !errors.Is(err, invitations.ErrInvalid) {
		t.Fatalf("inspect a pending invitation: %v", err)
	}
	if _, err := w.Invitations.Accept(w.Ctx(), invitations.Acceptance{Request: invitations.Request{Token: &pending, SourceIP: "192.0.2.1"},
		Password: ptr(apptest.Password)}); !errors.Is(err, invitations.ErrInvalid) {
		t.Fatalf("accept a pending invitation: %v", err)
	}
	if _, ok := w.Identities.Get(a.invited[0]); ok {
		t.Fatal("the refused accept made an identity")
	}
	if _, err := w.Members.Invite(w.Ctx(), w.Admin, w.Scope(a.cu.Scope()), members.Invitee{Email: "late@acme.example"}, nil); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("an invite into it: %v", err)
	}
	if again, err := w.Offboarding.Begin(w.Ctx(), w.Admin, a.cu.ID); err != nil || again.ID != job.ID {
		t.Fatalf("a repeated delete: %+v %v", again, err)
	}
	_, tech := w.Operator("tech@provider.example", domain.RoleTechnician)
	if _, err := w.Offboarding.Begin(w.Ctx(), tech, a.other.ID); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("a technician offboards: %v", err)
	}

	// Crashes: one member's transaction fails, and two identities cannot
	// be deleted in Cognito after their member went (the sweep finishes).
	var commits atomic.Int64
	w.Store.BeforeCommit = func(op string) error {
		if op == "ChangeMember" && commits.Add(1) == 700 {
			return state.ErrUnavailable
		}
		return nil
	}
	var deletes atomic.Int64
	w.Identities.Fail = func(op string) error {
		if op == "Delete" {
			if n := deletes.Add(1); n == 100 || n == 101 {
				return errors.New("cognito is down")
			}
		}
		return nil
	}
	runs := runUntilDone(t, w, job.ID, 5)
	w.Store.BeforeCommit, w.Identities.Fail = nil, nil
	if runs < 3 {
		t.Fatalf("the job took %d runs: its steps are not bounded", runs)
	}
	w.Sweep() // the identity markers the failed deletes left fall due

	// Nothing of the customer is left.
	done, err := w.Offboarding.Job(w.Ctx(), w.Admin, job.ID)
	if err != nil || !done.Done() || done.FinishedAt == nil {
		t.Fatalf("the job: %+v %v", done, err)
	}
	if done.Removed.Members != a.members || done.Removed.Invitations != len(a.invited) || done.Removed.Portals != 2 || done.Removed.Records < 3 {
		t.Fatalf("what it removed: %+v (members %d, invited %d)", done.Removed, a.members, len(a.invited))
	}
	check(t, w, a, job.ID)
	if ms, _ := w.Store.ListMembers(w.Ctx(), a.cu.Scope(), "", "", 10, nil); len(ms.Items) != 0 {
		t.Fatalf("members left: %d", len(ms.Items))
	}
	if _, err := w.Store.Invitation(w.Ctx(), domain.HashToken(pending), w.Clock.Now()); !errors.Is(err, state.ErrTokenInvalid) {
		t.Fatalf("a token record left: %v", err)
	}
	// Identities: gone, but for the people of another customer too, who
	// keep that membership and no other.
	if _, ok := w.Identities.Get("admin@acme.example"); ok {
		t.Fatal("the identity of admin@acme.example is left")
	}
	for _, e := range a.shared {
		if c, _ := w.ResolveIn(e, a.other.ID); c.Member(a.other.ID) == nil || c.Member(a.cu.ID) != nil {
			t.Fatalf("%s at Initech: %+v", e, c)
		}
	}
	// One event is kept, on the provider's trail.
	var kept []string
	trail, _ := w.Customers.ProviderAudit(w.Ctx(), w.Admin, 200, nil)
	for _, e := range trail.Items {
		if e.Target.ID == a.cu.ID {
			kept = append(kept, e.Action)
		}
	}
	if !slices.Equal(kept, []string{"customer.offboarded", "customer.created"}) {
		t.Fatalf("the provider's trail about Acme: %v", kept)
	}
	// A former member can be invited elsewhere and starts afresh.
	w.Invite(w.Admin, a.other.ID, a.enabled[1], false)
	if out := w.Accept(a.enabled[1]); out.SignIn != invitations.PasswordSet {
		t.Fatalf("a former member's new account: %s", out.SignIn)
	}
}

// A run that dies anywhere leaves a state the next run finishes: the job
// is run with a store that fails its n-th write, for every n, then runs on
// without faults, and ends as a run without faults does (its counts may
// miss what the failed step removed before it could record it).
func TestAnOffboardingCrashedAtEveryWriteIsResumed(t *testing.T) {
	run := func(t *testing.T, fail int) int {
		w := apptest.New(t)
		a := newAcme(t, w, 6, 4, 2)
		job, err := w.Offboarding.Begin(w.Ctx(), w.Admin, a.cu.ID)
		if err != nil {
			t.Fatal(err)
		}
		var n atomic.Int64
		w.Store.BeforeCommit = func(op string) error {
			if int(n.Add(1)) == fail {
				return state.ErrUnavailable
			}
			return nil
		}
		_, _ = w.Offboarding.Run(w.Ctx(), job.ID, time.Now().Add(time.Minute)) // dies at the fault
		w.Store.BeforeCommit = nil
		runUntilDone(t, w, job.ID, 1000)
		w.Sweep()
		check(t, w, a, job.ID)
		if fail == 0 {
			if j, _ := w.Store.Job(w.Ctx(), job.ID); j.Removed != (domain.JobCounts{Members: a.members, Invitations: 6, Portals: 2, Records: j.Removed.Records}) {
				t.Fatalf("the counts without a fault: %+v", j.Removed)
			}
		}
		return int(n.Load())
	}
	total := run(t, 0)
	for fail := 1; fail <= total; fail++ {
		t.Run(fmt.Sprint("write ", fail), func(t *testing.T) { run(t, fail) })
	}
	t.Logf("%d writes, each failed once", total)
}

// check is what a finished offboarding leaves.
func check(t *testing.T, w *apptest.World, a acme, jobID string) {
	t.Helper()
	if j, _ := w.Store.Job(w.Ctx(), jobID); !j.Done() {
		t.Fatalf("the job: %+v", j)
	}
	if _, err := w.Store.Customer(w.Ctx(), a.cu.ID); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("the customer: %v", err)
	}
	if ms, _ := w.Store.CustomerMembers(w.Ctx(), a.cu.ID, 10); len(ms) != 0 {
		t.Fatalf("members left: %d", len(ms))
	}
	if n := w.Audit(a.cu.Scope()); n != 0 {
		t.Fatalf("%d events left", n)
	}
	if as, _ := w.Store.Addresses(w.Ctx(), a.cu.ID); len(as) != 0 {
		t.Fatal("addresses left")
	}
	if ags, _ := w.Store.Agreements(w.Ctx(), a.cu.ID); len(ags) != 0 {
		t.Fatal("agreements left")
	}
	for _, e := range a.enabled {
		if _, ok := w.Identities.Get(e); ok {
			t.Fatalf("the identity of %s is left", e)
		}
	}
	for _, e := range a.shared {
		if _, err := w.ResolveIn(e, a.other.ID); err != nil {
			t.Fatalf("%s at Initech: %v", e, err)
		}
	}
	for _, cid := range []string{a.desk.ClientID, a.shop.ClientID} {
		if slices.Contains(w.Identities.ClientIDs(), cid) {
			t.Fatalf("the app client %s is left", cid)
		}
	}
	for _, kind := range []state.DueKind{state.DueIdentity, state.DuePortal, state.DueJob} {
		if p, _ := w.Store.DueBy(w.Ctx(), kind, w.Clock.Now().Add(time.Hour), 10, nil); len(p.Items) != 0 {
			t.Fatalf("%s work left: %+v", kind, p.Items)
		}
	}
}
