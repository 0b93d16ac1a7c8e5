package imports_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/customers"
	"github.com/portalaccess/portalaccess/shared/app/imports"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// queue keeps the messages sent, in order: the in-memory stand-in of SQS's
// side that the service sees (send), worked by the test as the consumer.
type queue struct {
	mu   sync.Mutex
	msgs []string
	fail error
}

func (q *queue) Send(_ context.Context, bodies []string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	q.msgs = append(q.msgs, bodies...)
	return nil
}

func (q *queue) take() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := q.msgs
	q.msgs = nil
	return m
}

func newService(w *apptest.World, q *queue) *imports.Service {
	w.Env.Queue = q
	w.Env.Config.ImportSendRate = 0 // no pacing in the fast tier
	s := w.Env.Imports()
	s.Pacer = nil
	return s
}

// acme is a world with one customer, Acme, whose imports go to q.
func acme(t *testing.T, q *queue) (*apptest.World, *queue, *imports.Service, domain.Customer) {
	t.Helper()
	w := apptest.New(t)
	s := newService(w, q)
	return w, q, s, w.NewCustomer("Acme", "en")
}

// work delivers every message until the queue is empty; a message whose
// working fails is delivered again (as SQS does after its visibility
// timeout), at most tries times.
func work(t *testing.T, s *imports.Service, q *queue, tries int) {
	t.Helper()
	pending := q.take()
	for try := 0; len(pending) > 0; try++ {
		if try == tries {
			t.Fatalf("%d messages still fail after %d tries", len(pending), tries)
		}
		var again []string
		for _, b := range pending {
			var m imports.Message
			if err := json.Unmarshal([]byte(b), &m); err != nil {
				t.Fatal(err)
			}
			if err := s.Work(context.Background(), m); err != nil {
				again = append(again, b)
			}
		}
		pending = append(again, q.take()...)
	}
}

func csvOf(header string, rows ...string) []byte {
	return []byte(header + "\r\n" + strings.Join(rows, "\r\n") + "\r\n")
}

// A dry run answers each row and changes nothing; the job then does what
// it said, each row once, with one e-mail per invited row.
func TestDryRunThenImport(t *testing.T) {
	w, q, s, cu := acme(t, &queue{})
	portal := w.NewPortal(cu.ID, "Shop", "https://shop.acme.example/")
	w.Invite(w.Admin, cu.ID, "old@acme.example", false)
	w.NewRoles(cu.ID, "Buyer", "Viewer") // a row's roles are names of the catalogue
	rows := []string{
		"new@acme.example,New One,yes,Buyer;Viewer," + portal.ID + ",",
		"OLD@acme.example,,,,,",
		"not an e-mail,,,,,",
		"new@acme.example,Again,,,,",
		"later@acme.example,,,,,false",
		"bad@acme.example,,maybe,,,",
		"ghost@acme.example,,,,prt_00000000000000000000000000,",
	}
	for i := 0; i < 60; i++ {
		rows = append(rows, fmt.Sprintf("p%02d@acme.example,Person %d,,,,", i, i))
	}
	body := csvOf("Email,Name,Admin,Roles,PortalIds,SendInvitation", rows...)
	mails, events := w.Mailbox.Count(), w.Audit(cu.Scope())
	sc := w.Scope(cu.Scope())
	rep, err := s.DryRun(w.Ctx(), w.Admin, sc, body)
	if err != nil {
		t.Fatal(err)
	}
	want := imports.DryCounts{Invite: 62, AlreadyMember: 1, Invalid: 4}
	if rep.Counts != want || rep.Total != 67 {
		t.Fatalf("dry run: %+v, want %+v", rep, want)
	}
	reasons := []string{"", "", "invalid_email", "duplicate_row", "", "admin_invalid", "portalIds_unknown_portal"}
	for i, r := range reasons {
		if rep.Rows[i].Reason != r {
			t.Errorf("row %d: %s %q, want %q", i+1, rep.Rows[i].Outcome, rep.Rows[i].Reason, r)
		}
	}
	if w.Mailbox.Count() != mails || w.Audit(cu.Scope()) != events || len(q.msgs) != 0 {
		t.Fatal("a dry run changed something")
	}

	imp, err := s.Start(w.Ctx(), w.Admin, sc, body)
	if err != nil {
		t.Fatal(err)
	}
	if imp.Total != 67 || imp.Chunks != 2 || imp.Counts.Invalid != 4 || !imp.Queued || len(q.msgs) != 2 {
		t.Fatalf("started: %+v, %d messages", imp, len(q.msgs))
	}
	if _, _, err := s.Outcomes(w.Ctx(), w.Admin, cu.ID, imp.ID); !errors.Is(err, imports.ErrNotFinished) {
		t.Fatalf("outcomes before the end: %v", err)
	}
	work(t, s, q, 1)
	got, err := s.Get(w.Ctx(), w.Admin, cu.ID, imp.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The duplicate is refused at upload; the dry run's "already a member"
	// is the job's too.
	if got.Counts != (domain.ImportCounts{Invited: 62, AlreadyMember: 1, Invalid: 4}) || !got.Done() || got.FinishedAt == nil {
		t.Fatalf("finished: %+v", got)
	}
	if sent := w.Mailbox.Count() - mails; sent != 61 { // "later" is added, not invited yet
		t.Fatalf("%d e-mails for 61 rows to send now", sent)
	}
	_, out, err := s.Outcomes(w.Ctx(), w.Admin, cu.ID, imp.ID)
	if err != nil || len(out) != 67 {
		t.Fatalf("outcomes: %d %v", len(out), err)
	}
	for i, r := range out {
		if r.N != i+1 || r.Outcome == "" || (r.Outcome == domain.OutcomeInvited) != (r.UserID != "") {
			t.Fatalf("row %d: %+v", i+1, r)
		}
	}
	m, err := w.Store.Member(w.Ctx(), cu.Scope(), out[0].UserID)
	if err != nil || m.Name != "New One" || !m.Admin || len(m.RoleIDs) != 2 || len(m.PortalIDs) != 1 {
		t.Fatalf("the first row's member: %+v %v", m, err)
	}
	later, err := w.Store.Member(w.Ctx(), cu.Scope(), out[4].UserID)
	if err != nil || later.Invitation.State != domain.InvitationNotSent {
		t.Fatalf("the row to invite later: %+v %v", later, err)
	}
}

// A consumer that dies in the middle of a chunk, and messages delivered
// twice, invite nobody twice: the chunk worked again recognises the
// members its rows made, and its outcomes are counted once.
func TestInterruptedAndRedelivered(t *testing.T) {
	w, q, s, cu := acme(t, &queue{})
	var rows []string
	for i := 0; i < 120; i++ {
		rows = append(rows, fmt.Sprintf("p%03d@acme.example", i))
	}
	imp, err := s.Start(w.Ctx(), w.Admin, w.Scope(cu.Scope()), csvOf("email", rows...))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	asked := 0
	s.Interrupt = func() bool { // dies once at rows 30 and 80
		mu.Lock()
		defer mu.Unlock()
		asked++
		return asked == 30 || asked == 80
	}
	msgs := q.take()
	q.msgs = append(append(q.msgs, msgs...), msgs...) // each delivered twice
	work(t, s, q, 3)
	got, err := s.Get(w.Ctx(), w.Admin, cu.ID, imp.ID)
	if err != nil || got.Counts != (domain.ImportCounts{Invited: 120}) {
		t.Fatalf("%+v %v", got, err)
	}
	for _, r := range rows {
		if n := len(w.Mailbox.To(r)); n != 1 {
			t.Fatalf("%s got %d e-mails", r, n)
		}
	}
}

// The customer's seat limit and allowed domains apply row by row; a
// requester disabled since has the rest of their rows refused.
func TestPolicyAndRequester(t *testing.T) {
	w, q, s, cu := acme(t, &queue{})
	three := 3
	if _, err := w.Customers.Update(w.Ctx(), w.Admin, cu.ID, customers.Change{Policy: &customers.PolicyInput{SeatLimit: &three, AllowedDomains: []string{"acme.example"}}}, 0); err != nil {
		t.Fatal(err)
	}
	_, bossCaller := w.User(cu.ID, "boss@acme.example", true)
	body := csvOf("email", "a@acme.example", "b@acme.example", "c@acme.example", "eve@evil.example")
	sc := w.Scope(cu.Scope())
	rep, err := s.DryRun(w.Ctx(), bossCaller, sc, body)
	if err != nil || rep.Counts != (imports.DryCounts{Invite: 2, Invalid: 2}) {
		t.Fatalf("dry run: %+v %v", rep.Counts, err)
	}
	imp, err := s.Start(w.Ctx(), bossCaller, sc, body)
	if err != nil {
		t.Fatal(err)
	}
	work(t, s, q, 1)
	got, _ := s.Get(w.Ctx(), w.Admin, cu.ID, imp.ID)
	_, out, _ := s.Outcomes(w.Ctx(), bossCaller, cu.ID, imp.ID)
	// Rows are worked a few at a time: which of the three gets the last
	// seat is a race, that one of them does not is not.
	full := 0
	for _, r := range out[:3] {
		if r.Reason == "seat_limit" {
			full++
		}
	}
	if got.Counts != (domain.ImportCounts{Invited: 2, Invalid: 2}) || full != 1 || out[3].Reason != "domain_not_allowed" {
		t.Fatalf("%+v %+v", got.Counts, out)
	}

	// The boss asks, then is disabled before the chunk is worked.
	other := w.NewCustomer("Other", "en")
	_, otherBoss := w.User(other.ID, "boss@other.example", true)
	imp2, err := s.Start(w.Ctx(), otherBoss, w.Scope(other.Scope()), csvOf("email", "x@other.example"))
	if err != nil {
		t.Fatal(err)
	}
	bossM, _ := w.Store.MemberByEmail(w.Ctx(), other.Scope(), "boss@other.example")
	if _, err := w.Members.Disable(w.Ctx(), w.Admin, members.User(other.ID, bossM.ID)); err != nil {
		t.Fatal(err)
	}
	work(t, s, q, 1)
	_, out2, err := s.Outcomes(w.Ctx(), w.Admin, other.ID, imp2.ID)
	if err != nil || out2[0].Reason != "not_allowed" || len(w.Mailbox.To("x@other.example")) != 0 {
		t.Fatalf("%+v %v", out2, err)
	}

	// A technician asks, then their authenticator app is reset before the
	// chunk is worked: they act in nothing until they set a new one up.
	tech, techC := w.Operator("tech@provider.example", domain.RoleTechnician)
	imp3, err := s.Start(w.Ctx(), techC, w.Scope(other.Scope()), csvOf("email", "y@other.example"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.MFA.Reset(w.Ctx(), w.Admin, tech.ID); err != nil {
		t.Fatal(err)
	}
	work(t, s, q, 1)
	_, out3, err := s.Outcomes(w.Ctx(), w.Admin, other.ID, imp3.ID)
	if err != nil || out3[0].Reason != "not_allowed" || len(w.Mailbox.To("y@other.example")) != 0 {
		t.Fatalf("%+v %v", out3, err)
	}

	// Who may: the customer's portal admin, not another customer's, not a plain user.
	if _, err := s.Get(w.Ctx(), otherBoss, cu.ID, imp.ID); !errors.Is(err, state.ErrNotFound) && err == nil {
		t.Fatalf("another customer's admin read the import: %v", err)
	}
	_, plain := w.User(other.ID, "plain@other.example", false)
	if _, err := s.DryRun(w.Ctx(), plain, w.Scope(other.Scope()), body); err == nil {
		t.Fatal("a plain user ran a dry run")
	}
}

// A file that is not one answers which problem it has, and nothing is made.
func TestBadFiles(t *testing.T) {
	w, q, s, cu := acme(t, &queue{})
	sc := w.Scope(cu.Scope())
	many := make([]string, domain.MaxImportRows+1)
	for i := range many {
		many[i] = fmt.Sprintf("p%d@acme.example", i)
	}
	for name, body := range map[string][]byte{
		"empty":       nil,
		"header only": []byte("email\n"),
		"no email":    []byte("name\nJane\n"),
		"unknown":     []byte("email,colour\na@acme.example,red\n"),
		"twice":       []byte("email,Email\na@acme.example,b@acme.example\n"),
		"quote":       []byte("email\n\"a@acme.example\n"),
		"not utf-8":   []byte("email\n\xff@acme.example\n"),
		"10,001 rows": csvOf("email", many...),
	} {
		if _, err := s.Start(w.Ctx(), w.Admin, sc, body); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if len(q.msgs) != 0 {
		t.Fatal("a refused file queued work")
	}
	if _, err := s.Start(w.Ctx(), w.Admin, sc, csvOf("email", many[:domain.MaxImportRows]...)); err != nil {
		t.Fatalf("10,000 rows: %v", err)
	}
}

// An import whose chunks could not be queued after the commit is queued
// by the sweep a minute later, and is worked once.
func TestRequeue(t *testing.T) {
	w, q, s, cu := acme(t, &queue{fail: errors.New("queue down")})
	imp, err := s.Start(w.Ctx(), w.Admin, w.Scope(cu.Scope()), csvOf("email", "a@acme.example"))
	if err != nil || imp.Queued {
		t.Fatalf("%+v %v", imp, err)
	}
	q.fail = nil
	sweeper := w.Env.Sweeper()
	if rep, err := sweeper.Run(w.Ctx(), time.Minute); err != nil || rep.Imports != 0 || len(q.msgs) != 0 {
		t.Fatalf("queued before its grace: %+v %v", rep, err)
	}
	w.Clock.Advance(2 * time.Minute)
	if rep, err := sweeper.Run(w.Ctx(), time.Minute); err != nil || rep.Imports != 1 || len(q.msgs) != 1 {
		t.Fatalf("the sweep: %+v %v", rep, err)
	}
	if rep, _ := sweeper.Run(w.Ctx(), time.Minute); rep.Imports != 0 {
		t.Fatalf("queued twice: %+v", rep)
	}
	work(t, s, q, 1)
	got, _ := s.Get(w.Ctx(), w.Admin, cu.ID, imp.ID)
	if !got.Queued || got.Counts.Invited != 1 || len(w.Mailbox.To("a@acme.example")) != 1 {
		t.Fatalf("%+v", got)
	}
}

// Rows with the most and longest roles a file may carry, valid e-mails or
// not, still make an import whose chunks fit a DynamoDB item (the memstore
// refuses items over 400 KB as the table does); a refused row keeps no raw
// roles and a short prefix of its raw e-mail.
func TestLargeRowsFit(t *testing.T) {
	w, q, s, cu := acme(t, &queue{})
	role := strings.Repeat("<", 4*domain.MaxRoleLength)
	roles := strings.TrimSuffix(strings.Repeat(role+";", domain.MaxRoles), ";")
	var rows []string
	for i := 0; i < 200; i++ {
		email := fmt.Sprintf("bad%d%s", i, strings.Repeat("<", 300))
		if i%2 == 1 {
			email = fmt.Sprintf("p%03d@acme.example", i)
		}
		rows = append(rows, email+","+roles)
	}
	imp, err := s.Start(w.Ctx(), w.Admin, w.Scope(cu.Scope()), csvOf("email,roles", rows...))
	if err != nil {
		t.Fatal(err)
	}
	work(t, s, q, 3)
	_, out, err := s.Outcomes(w.Ctx(), w.Admin, cu.ID, imp.ID)
	if err != nil || len(out) != 200 {
		t.Fatalf("%d %v", len(out), err)
	}
	for _, r := range out {
		if r.Outcome != domain.OutcomeInvalid || len(r.Roles) != 0 || len(r.Email) > imports.MaxEchoedEmail && r.N%2 == 1 {
			t.Fatalf("%+v", r)
		}
	}
}

// A technician's file that holds their own e-mail has that row refused,
// in the dry run and in the job: nobody imports themselves into a customer.
func TestNobodyImportsTheirOwnEmail(t *testing.T) {
	w, q, s, cu := acme(t, &queue{})
	_, tech := w.Operator("tech@provider.example", domain.RoleTechnician)
	theirs := len(w.Mailbox.To("tech@provider.example")) // their own invitation as staff
	body := csvOf("email,admin", "Tech@Provider.example,true", "a@acme.example,false")
	sc := w.Scope(cu.Scope())
	rep, err := s.DryRun(w.Ctx(), tech, sc, body)
	if err != nil || rep.Counts != (imports.DryCounts{Invite: 1, Invalid: 1}) {
		t.Fatalf("dry run: %+v %v", rep.Counts, err)
	}
	imp, err := s.Start(w.Ctx(), tech, sc, body)
	if err != nil {
		t.Fatal(err)
	}
	work(t, s, q, 1)
	_, out, err := s.Outcomes(w.Ctx(), w.Admin, cu.ID, imp.ID)
	if err != nil || len(out) != 2 || out[0].Reason != "self_invite" || out[1].Outcome != domain.OutcomeInvited {
		t.Fatalf("%+v %v", out, err)
	}
	if _, err := w.Store.MemberByEmail(w.Ctx(), cu.Scope(), "tech@provider.example"); !errors.Is(err, state.ErrNotFound) {
		t.Fatal("the technician was imported")
	}
	if len(w.Mailbox.To("tech@provider.example")) != theirs || len(w.Mailbox.To("a@acme.example")) != 1 {
		t.Fatal("the mail does not match the outcomes")
	}
}

// An import whose sender lost the right while the request ran (a portal
// admin demoted meanwhile) is refused with nothing written: no import to
// read, nothing queued, nobody invited. Their right is checked again in
// the import's own write, as every change does.
func TestAnImportOfASenderDemotedMeanwhileIsRefused(t *testing.T) {
	w, q, s, cu := acme(t, &queue{})
	pa, stale := w.User(cu.ID, "pa@acme.example", true)
	w.User(cu.ID, "pa2@acme.example", true)
	no := false
	if _, err := w.Members.UpdateUser(w.Ctx(), w.Admin, members.User(cu.ID, pa.ID), members.Profile{Admin: &no}, 0); err != nil {
		t.Fatal(err)
	}
	mails, events := w.Mailbox.Count(), w.Audit(cu.Scope())
	imp, err := s.Start(w.Ctx(), stale, w.Scope(cu.Scope()), csvOf("email", "a@acme.example"))
	if !errors.Is(err, state.ErrActorNotAdmin) || imp.ID != "" {
		t.Fatalf("%+v %v", imp, err)
	}
	if msgs := q.take(); len(msgs) != 0 {
		t.Fatalf("queued %v", msgs)
	}
	w.Sweep()
	work(t, s, q, 3)
	if _, err := w.Store.MemberByEmail(w.Ctx(), cu.Scope(), "a@acme.example"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("someone was invited: %v", err)
	}
	if w.Mailbox.Count() != mails || w.Audit(cu.Scope()) != events {
		t.Fatal("the refused import sent mail or left an event")
	}
	// The admin who still is one imports.
	if _, err := s.Start(w.Ctx(), w.Admin, w.Scope(cu.Scope()), csvOf("email", "a@acme.example")); err != nil {
		t.Fatal(err)
	}
}
