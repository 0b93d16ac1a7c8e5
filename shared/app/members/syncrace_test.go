package members_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/identitysync"
	"github.com/portalaccess/portalaccess/shared/app/invitations"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/identity/memidentity"
	"github.com/portalaccess/portalaccess/shared/state"
)

var errUnavailable = errors.New("the sign-in system is unavailable")

// lateReader is the table as a slow reconcile reads it: after each of its
// first n reads of the memberships, and before it acts on what it read,
// meanwhile(i) runs (another request, whole). The other request's own
// reads, when they come through here, pass.
type lateReader struct {
	identitysync.Store
	n, made   int
	inside    bool
	meanwhile func(i int)
}

func (l *lateReader) Memberships(ctx context.Context, sub string) ([]domain.Member, error) {
	ms, err := l.Store.Memberships(ctx, sub)
	if err != nil || l.inside || l.made >= l.n {
		return ms, err
	}
	l.made++
	l.inside = true
	defer func() { l.inside = false }()
	l.meanwhile(l.made)
	return ms, err
}

// readLate makes the syncer read late: see lateReader. The syncer goes
// back to the table when the test ends.
func readLate(t *testing.T, s *identitysync.Syncer, n int, meanwhile func(i int)) *lateReader {
	t.Helper()
	l := &lateReader{Store: s.Store, n: n, meanwhile: meanwhile}
	s.Store = l
	t.Cleanup(func() { s.Store = l.Store })
	return l
}

// inLine checks what the person notices after the requests and a sweep:
// the identity is enabled exactly when the table says a membership is,
// signs in or is refused accordingly, a disabled one was signed out after
// it was last enabled, and no marker is left for a later sweep; nothing
// else was written (audit events, e-mails).
func inLine(t *testing.T, w *apptest.World, email string, wantEnabled bool, events map[domain.Scope]int, mails int) {
	t.Helper()
	id, found := w.Identities.Get(email)
	if !found {
		t.Fatalf("the identity of %s is gone", email)
	}
	ms, err := w.Store.Memberships(w.Ctx(), id.Sub)
	if err != nil {
		t.Fatal(err)
	}
	tableEnabled := false
	for _, m := range ms {
		tableEnabled = tableEnabled || m.Status == domain.StatusEnabled
	}
	if tableEnabled != wantEnabled {
		t.Fatalf("the table says enabled=%v, want %v: %+v", tableEnabled, wantEnabled, ms)
	}
	if id.Enabled != tableEnabled {
		t.Fatalf("the table says enabled=%v, the sign-in system enabled=%v (calls %v)", tableEnabled, id.Enabled, w.Identities.Calls)
	}
	_, err = w.Resolve(email)
	if wantEnabled && err != nil {
		t.Fatalf("an enabled member cannot sign in: %v", err)
	}
	if !wantEnabled {
		if err == nil {
			t.Fatal("a disabled member signs in")
		}
		if last := lastCall(w, id.Sub); last != "Disable "+id.Sub {
			t.Fatalf("a disabled member's identity was last %q, not disabled and signed out (calls %v)", last, w.Identities.Calls)
		}
	}
	due, err := w.Store.DueBy(w.Ctx(), state.DueIdentity, w.Clock.Now().Add(24*time.Hour), 100, nil)
	if err != nil || len(due.Items) != 0 {
		t.Fatalf("identity markers left: %+v %v", due.Items, err)
	}
	for sc, n := range events {
		if got := w.Audit(sc); got != n {
			t.Fatalf("%d audit events in %s, want %d", got, sc, n)
		}
	}
	if w.Mailbox.Count() != mails {
		t.Fatalf("%d e-mails, want %d", w.Mailbox.Count(), mails)
	}
}

// lastCall is the last call to the sign-in system about the sub.
func lastCall(w *apptest.World, sub string) string {
	last := ""
	for _, c := range w.Identities.Calls {
		if strings.HasSuffix(c, " "+sub) {
			last = c
		}
	}
	return last
}

// Two admins change one member at once: one reconcile reads the
// memberships, the other request runs whole (commit, sign-in system, its
// marker cleared), and only then does the first act on what it read. In
// either order, and between two customers' memberships of one person, the
// identity ends as the table says once a sweep has run.
func TestConcurrentStatusChangesLeaveTheIdentityInLine(t *testing.T) {
	type setup struct {
		w                *apptest.World
		acme, other      domain.Customer
		jane, janeOther  domain.Member
		portalAdmin      *access.Caller
		target, otherTgt members.Target
	}
	do := func(t *testing.T, what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	cases := []struct {
		name        string
		twoCustomer bool           // jane is a member of Other too
		before      func(s *setup) // the state both requests start from
		first       func(s *setup) error
		meanwhile   func(s *setup) error
		wantEnabled bool
	}{{
		name:        "a disable read before an enable lands after it",
		first:       func(s *setup) error { _, err := s.w.Members.Disable(s.w.Ctx(), s.w.Admin, s.target); return err },
		meanwhile:   func(s *setup) error { _, err := s.w.Members.Enable(s.w.Ctx(), s.portalAdmin, s.target); return err },
		wantEnabled: true,
	}, {
		name: "an enable read before a disable lands after it",
		before: func(s *setup) {
			_, err := s.w.Members.Disable(s.w.Ctx(), s.w.Admin, s.target)
			do(t, "disable first", err)
		},
		first:     func(s *setup) error { _, err := s.w.Members.Enable(s.w.Ctx(), s.w.Admin, s.target); return err },
		meanwhile: func(s *setup) error { _, err := s.w.Members.Disable(s.w.Ctx(), s.portalAdmin, s.target); return err },
	}, {
		name:        "a disable in one customer read before a disable in another",
		twoCustomer: true,
		// The first reads the other customer's membership still enabled,
		// and enables the identity after the second disabled it.
		first:     func(s *setup) error { _, err := s.w.Members.Disable(s.w.Ctx(), s.portalAdmin, s.target); return err },
		meanwhile: func(s *setup) error { _, err := s.w.Members.Disable(s.w.Ctx(), s.w.Admin, s.otherTgt); return err },
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := apptest.New(t)
			s := &setup{w: w, acme: w.NewCustomer("Acme", "en"), other: w.NewCustomer("Other", "en")}
			_, s.portalAdmin = w.User(s.acme.ID, "pa@acme.example", true)
			s.jane, _ = w.User(s.acme.ID, "jane@acme.example", false)
			s.janeOther, _ = w.User(s.other.ID, "jane@acme.example", false)
			s.target, s.otherTgt = members.User(s.acme.ID, s.jane.ID), members.User(s.other.ID, s.janeOther.ID)
			if !tc.twoCustomer {
				do(t, "delete the other membership", w.Members.Delete(w.Ctx(), w.Admin, s.otherTgt))
			}
			if tc.before != nil {
				tc.before(s)
			}
			events := map[domain.Scope]int{s.acme.Scope(): w.Audit(s.acme.Scope()) + 2, s.other.Scope(): w.Audit(s.other.Scope())}
			if tc.twoCustomer {
				events[s.acme.Scope()]--
				events[s.other.Scope()]++
			}
			mails := w.Mailbox.Count()
			l := readLate(t, w.Members.Sync, 1, func(int) { do(t, "the request meanwhile", tc.meanwhile(s)) })
			do(t, "the first request", tc.first(s))
			if l.made != 1 {
				t.Fatalf("the request meanwhile ran %d times", l.made)
			}
			w.Sweep()
			inLine(t, w, s.jane.Email, tc.wantEnabled, events, mails)
		})
	}
}

// The sweep's run of a due marker races a request the same way: it reads,
// the request runs whole, then the sweep acts on what it read.
func TestTheSweepAndARequestAtOnceLeaveTheIdentityInLine(t *testing.T) {
	for _, enable := range []bool{true, false} {
		name := "the sweep disables late"
		if !enable {
			name = "the sweep enables late"
		}
		t.Run(name, func(t *testing.T) {
			w := apptest.New(t)
			cu := w.NewCustomer("Acme", "en")
			jane, _ := w.User(cu.ID, "jane@acme.example", false)
			target := members.User(cu.ID, jane.ID)
			first, meanwhile, failing := w.Members.Disable, w.Members.Enable, "Disable"
			if !enable {
				if _, err := w.Members.Disable(w.Ctx(), w.Admin, target); err != nil {
					t.Fatal(err)
				}
				first, meanwhile, failing = w.Members.Enable, w.Members.Disable, "Enable"
			}
			// The first change's call to the sign-in system fails: its
			// marker is left for the sweep.
			w.Identities.Fail = memidentity.FailOn(failing, errUnavailable)
			if _, err := first(w.Ctx(), w.Admin, target); err != nil {
				t.Fatal(err)
			}
			w.Identities.Fail = nil
			events, mails := map[domain.Scope]int{cu.Scope(): w.Audit(cu.Scope()) + 1}, w.Mailbox.Count()
			l := readLate(t, w.Sweeper.Sync, 1, func(int) {
				if _, err := meanwhile(w.Ctx(), w.Admin, target); err != nil {
					t.Errorf("the request meanwhile: %v", err)
				}
			})
			if rep := w.Sweep(); rep.Failed != 0 || l.made != 1 {
				t.Fatalf("the sweep: %+v; the request meanwhile ran %d times", rep, l.made)
			}
			w.Sweep()
			inLine(t, w, jane.Email, enable, events, mails)
		})
	}
}

// While the memberships keep changing under a reconcile, it gives up after
// a few rounds; the marker it came for is gone by then (each request
// meanwhile cleared its own), so it marks the identity again and the sweep
// finishes.
func TestAReconcileThatKeepsLosingLeavesAMarkerForTheSweep(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	_, pa := w.User(cu.ID, "pa@acme.example", true)
	jane, _ := w.User(cu.ID, "jane@acme.example", false)
	target := members.User(cu.ID, jane.ID)
	events, mails := map[domain.Scope]int{cu.Scope(): w.Audit(cu.Scope()) + 1 + identitysync.Rounds}, w.Mailbox.Count()
	l := readLate(t, w.Members.Sync, identitysync.Rounds, func(i int) {
		change := w.Members.Enable
		if i%2 == 0 {
			change = w.Members.Disable
		}
		if _, err := change(w.Ctx(), pa, target); err != nil {
			t.Errorf("change %d meanwhile: %v", i, err)
		}
	})
	if _, err := w.Members.Disable(w.Ctx(), w.Admin, target); err != nil {
		t.Fatal(err)
	}
	if l.made != identitysync.Rounds {
		t.Fatalf("%d changes meanwhile", l.made)
	}
	// The last change meanwhile disabled jane; the reconcile's act on the
	// read before it enabled the identity again.
	if id, _ := w.Identities.Get(jane.Email); !id.Enabled {
		t.Fatalf("the test's premise: the reconcile's last act was not the late enable (calls %v)", w.Identities.Calls)
	}
	due, err := w.Store.DueBy(w.Ctx(), state.DueIdentity, w.Clock.Now().Add(state.SyncGrace+time.Second), 100, nil)
	if err != nil || len(due.Items) != 1 {
		t.Fatalf("markers %+v %v, want one for the sweep", due.Items, err)
	}
	if rep := w.Sweep(); rep.Synced != 1 || rep.Failed != 0 {
		t.Fatalf("the sweep: %+v", rep)
	}
	inLine(t, w, jane.Email, false, events, mails)
}

// A delete's reconcile reads no membership of the identity, and before it
// acts the person accepts another customer's invitation (the account, which
// no membership holds now, is given the password chosen and linked): the
// reconcile's second read, under the lease on deleting it, finds the new
// membership, keeps the account and gives the lease back. The person signs
// in to the new customer, and a later invitation links the same account
// again.
func TestADeleteThatReadsBeforeAnAcceptLinksTheAccountKeepsIt(t *testing.T) {
	w := apptest.New(t)
	acme, other, third := w.NewCustomer("Acme", "en"), w.NewCustomer("Other", "en"), w.NewCustomer("Third", "en")
	jane, _ := w.User(acme.ID, "jane@acme.example", false)
	w.Invite(w.Admin, other.ID, "jane@acme.example", false)
	tok := w.Token("jane@acme.example")
	l := readLate(t, w.Members.Sync, 1, func(int) {
		if _, err := w.Invitations.Accept(w.Ctx(), invitations.Acceptance{Request: invitations.Request{Token: &tok, SourceIP: "192.0.2.1"}, Password: ptr(apptest.Password)}); err != nil {
			t.Errorf("the accept meanwhile: %v", err)
		}
	})
	if err := w.Members.Delete(w.Ctx(), w.Admin, members.User(acme.ID, jane.ID)); err != nil {
		t.Fatal(err)
	}
	if l.made != 1 {
		t.Fatalf("the accept meanwhile ran %d times", l.made)
	}
	if c := w.SignIn("jane@acme.example"); c.Member(other.ID) == nil || c.Member(acme.ID) != nil {
		t.Fatalf("memberships %v", c.Memberships)
	}
	if !w.Identities.SignIn("jane@acme.example", apptest.Password) {
		t.Fatal("the account was deleted, or does not sign in")
	}
	// The lease was given back: the account can be linked again at once
	// (the clock has not moved).
	w.Invite(w.Admin, third.ID, "jane@acme.example", false)
	if out, err := w.Invitations.Accept(w.Ctx(), invitations.Acceptance{Request: invitations.Request{Token: ptr(w.Token("jane@acme.example")), SourceIP: "192.0.2.1"}}); err != nil || out.SignIn != invitations.ExistingAccount {
		t.Fatalf("a later invitation: %+v %v", out, err)
	}
	if c := w.SignIn("jane@acme.example"); c.Member(third.ID) == nil || c.Member(other.ID) == nil {
		t.Fatalf("memberships %v", c.Memberships)
	}
	w.Sweep()
	inLine(t, w, jane.Email, true, nil, w.Mailbox.Count())
}
