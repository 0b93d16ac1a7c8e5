package invitations_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/invitations"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/identity/memidentity"
	"github.com/portalaccess/portalaccess/shared/state"
	"github.com/portalaccess/portalaccess/shared/store/memstore"
)

func req(token string) invitations.Request {
	return invitations.Request{Token: &token, SourceIP: "192.0.2.1"}
}

func accept(w *apptest.World, token, password string) (invitations.Accepted, error) {
	return w.Invitations.Accept(w.Ctx(), invitations.Acceptance{Request: req(token), Password: &password})
}

func TestInspectThenAcceptWithANewPassword(t *testing.T) {
	w, cu, tok := janeInvited(t, "nl")
	in, err := w.Invitations.Inspect(w.Ctx(), req(tok))
	if err != nil || in.Email != "jane@acme.example" || in.CustomerName == nil || *in.CustomerName != "Acme" || in.ExistingAccount {
		t.Fatalf("%+v %v", in, err)
	}
	// A weak password is refused naming the field, and the token stays good.
	if _, err := accept(w, tok, "short"); !errors.Is(err, identity.ErrWeakPassword) {
		t.Fatalf("weak: %v", err)
	}
	if _, found := w.Identities.Get("jane@acme.example"); found {
		t.Fatal("a refused accept made an identity")
	}
	out, err := accept(w, tok, apptest.Password)
	if err != nil || out.SignIn != invitations.PasswordSet {
		t.Fatalf("%+v %v", out, err)
	}
	c := w.SignIn("jane@acme.example")
	if c.Member(cu.ID) == nil || c.Member(cu.ID).Status != domain.StatusEnabled {
		t.Fatalf("%+v", c)
	}
	// The token works once.
	if _, err := accept(w, tok, apptest.Password); !errors.Is(err, invitations.ErrInvalid) {
		t.Fatalf("reuse: %v", err)
	}
	if _, err := w.Invitations.Inspect(w.Ctx(), req(tok)); !errors.Is(err, invitations.ErrInvalid) {
		t.Fatalf("inspect after use: %v", err)
	}
	// No marker of the accept is left for the sweep.
	if ms, _ := w.Store.PendingIdentities(w.Ctx(), "jane@acme.example"); len(ms) != 0 {
		t.Fatalf("pending markers left: %v", ms)
	}
}

func TestAnExistingAccountIsLinkedWithItsPasswordUntouched(t *testing.T) {
	w := apptest.New(t)
	acme, other := w.NewCustomer("Acme", "en"), w.NewCustomer("Other", "en")
	w.User(acme.ID, "jane@acme.example", false)
	w.Invite(w.Admin, other.ID, "jane@acme.example", false)
	tok := w.Token("jane@acme.example")
	in, _ := w.Invitations.Inspect(w.Ctx(), req(tok))
	if !in.ExistingAccount {
		t.Fatal("the existing account is not seen")
	}
	out, err := w.Invitations.Accept(w.Ctx(), invitations.Acceptance{Request: req(tok)})
	if err != nil || out.SignIn != invitations.ExistingAccount {
		t.Fatalf("%+v %v", out, err)
	}
	if c := w.SignIn("jane@acme.example"); c.Member(other.ID) == nil || c.Member(acme.ID) == nil {
		t.Fatalf("memberships %v", c.Memberships)
	}
}

// An existing account accepting while another of its memberships is
// disabled (whose bringing in line read the memberships before this one
// was there, and so disabled the identity) ends able to sign in: the accept
// brings the identity it did not make in line after its commit.
func TestAnExistingAccountAcceptingWhileAnotherMembershipIsDisabledSignsIn(t *testing.T) {
	w := apptest.New(t)
	acme, other := w.NewCustomer("Acme", "en"), w.NewCustomer("Other", "en")
	jane, _ := w.User(acme.ID, "jane@acme.example", false)
	w.Invite(w.Admin, other.ID, "jane@acme.example", false)
	tok := w.Token("jane@acme.example")
	w.Meanwhile("ChangeMember", 1, func(int32) error {
		_, err := w.Members.Disable(w.Ctx(), w.Admin, members.User(acme.ID, jane.ID))
		return err
	})
	if _, err := w.Invitations.Accept(w.Ctx(), invitations.Acceptance{Request: req(tok)}); err != nil {
		t.Fatal(err)
	}
	if id, _ := w.Identities.Get("jane@acme.example"); !id.Enabled || !w.Identities.SignIn("jane@acme.example", apptest.Password) {
		t.Fatalf("the identity after the accept: %+v", id)
	}
	if c := w.SignIn("jane@acme.example"); c.Member(other.ID) == nil || c.Member(acme.ID) != nil {
		t.Fatalf("memberships %v", c.Memberships)
	}
	w.Sweep()
	if id, _ := w.Identities.Get("jane@acme.example"); !id.Enabled {
		t.Fatal("the sweep disabled it")
	}
}

// An existing account accepting while its only other membership is deleted
// (whose bringing in line deletes the account, since no membership holds it
// yet) is refused with nothing changed: the link still works, now for a new
// account, which signs in. Were the accept let through, the member would be
// enabled on an account that no longer exists, unable to sign in, and
// nothing would repair it.
func TestAnExistingAccountAcceptingWhileItIsDeletedIsRefusedAndTheLinkStillWorks(t *testing.T) {
	w := apptest.New(t)
	acme, other := w.NewCustomer("Acme", "en"), w.NewCustomer("Other", "en")
	jane, _ := w.User(acme.ID, "jane@acme.example", false)
	invited := w.Invite(w.Admin, other.ID, "jane@acme.example", false)
	tok := w.Token("jane@acme.example")
	if in, err := w.Invitations.Inspect(w.Ctx(), req(tok)); err != nil || !in.ExistingAccount {
		t.Fatalf("the existing account is not seen: %+v %v", in, err)
	}
	mails, events := w.Mailbox.Count(), w.Audit(other.Scope())
	made := w.Meanwhile("ChangeMember", 1, func(int32) error {
		return w.Members.Delete(w.Ctx(), w.Admin, members.User(acme.ID, jane.ID))
	})
	_, err := w.Invitations.Accept(w.Ctx(), invitations.Acceptance{Request: req(tok)})
	if made.Load() != 1 {
		t.Fatalf("the delete meanwhile ran %d times", made.Load())
	}
	if !errors.Is(err, state.ErrConcurrent) {
		t.Fatalf("the accept: %v, want concurrent_change", err)
	}
	if _, found := w.Identities.Get("jane@acme.example"); found {
		t.Fatal("the account of no membership was not deleted")
	}
	if m, _ := w.Member(invited); m.Status != domain.StatusUnconfirmed || m.Version != invited.Version || m.Sub != "" ||
		m.Invitation == nil || m.Invitation.State != domain.InvitationPending {
		t.Fatalf("the refused accept changed the member: %+v", m)
	}
	if w.Audit(other.Scope()) != events || w.Mailbox.Count() != mails {
		t.Fatal("the refused accept was audited or mailed")
	}
	in, err := w.Invitations.Inspect(w.Ctx(), req(tok))
	if err != nil || in.ExistingAccount {
		t.Fatalf("the link after the refusal: %+v %v", in, err)
	}
	if out, err := accept(w, tok, apptest.Password); err != nil || out.SignIn != invitations.PasswordSet {
		t.Fatalf("accepting again: %+v %v", out, err)
	}
	if c := w.SignIn("jane@acme.example"); c.Member(other.ID) == nil || c.Member(acme.ID) != nil {
		t.Fatalf("memberships %v", c.Memberships)
	}
	w.Sweep()
	if id, found := w.Identities.Get("jane@acme.example"); !found || !id.Enabled || !w.Identities.SignIn("jane@acme.example", apptest.Password) {
		t.Fatalf("the new account after a sweep: %+v %v", id, found)
	}
}

// Two customers invited one e-mail, and both invitations are accepted at
// once: the first makes the account, the second finds it (no membership
// holds it yet), sets its password and links it, and then the first's
// commit is refused. The first's clean-up must not delete the account the
// second linked: it reads the memberships under a lease first, and keeps it.
func TestAFailedAcceptKeepsTheAccountAnotherAcceptLinkedMeanwhile(t *testing.T) {
	w := apptest.New(t)
	acme, other := w.NewCustomer("Acme", "en"), w.NewCustomer("Other", "en")
	atAcme := w.Invite(w.Admin, acme.ID, "jane@acme.example", false)
	tokAcme := w.Token("jane@acme.example")
	w.Invite(w.Admin, other.ID, "jane@acme.example", false)
	tokOther := w.Token("jane@acme.example")
	var inside, second bool
	w.Store.BeforeCommit = func(op string) error {
		if op != "ChangeMember" || inside || second {
			return nil
		}
		inside, second = true, true
		defer func() { inside = false }()
		if out, err := accept(w, tokOther, apptest.Password); err != nil || out.SignIn != invitations.PasswordSet {
			t.Errorf("the second accept: %+v %v", out, err)
		}
		return state.ErrConcurrent // the first's commit lost
	}
	t.Cleanup(func() { w.Store.BeforeCommit = nil })
	if _, err := accept(w, tokAcme, apptest.Password); !errors.Is(err, state.ErrConcurrent) {
		t.Fatalf("the first accept: %v, want concurrent_change", err)
	}
	w.Store.BeforeCommit = nil
	if id, found := w.Identities.Get("jane@acme.example"); !found || !id.Enabled || !w.Identities.SignIn("jane@acme.example", apptest.Password) {
		t.Fatalf("the account the second accept linked: %+v %v", id, found)
	}
	if c := w.SignIn("jane@acme.example"); c.Member(other.ID) == nil || c.Member(acme.ID) != nil {
		t.Fatalf("memberships %v", c.Memberships)
	}
	if m, _ := w.Member(atAcme); m.Status != domain.StatusUnconfirmed {
		t.Fatalf("the refused accept changed its member: %+v", m)
	}
	// The first link still works, now for the account there is.
	if out, err := w.Invitations.Accept(w.Ctx(), invitations.Acceptance{Request: req(tokAcme)}); err != nil || out.SignIn != invitations.ExistingAccount {
		t.Fatalf("the first link again: %+v %v", out, err)
	}
	w.Sweep()
	if c := w.SignIn("jane@acme.example"); c.Member(other.ID) == nil || c.Member(acme.ID) == nil {
		t.Fatalf("memberships after a sweep %v", c.Memberships)
	}
}

// Every token that cannot be used gets the one answer: made-up, malformed,
// rotated, revoked, expired.
func TestDeadLinksAllGetTheSameAnswer(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	tokens := map[string]string{"made up": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "malformed": "short"}
	u := w.Invite(w.Admin, cu.ID, "rotated@acme.example", false)
	tokens["rotated"] = w.Token("rotated@acme.example")
	w.Clock.Advance(61 * time.Second)
	if _, err := w.Members.Reinvite(w.Ctx(), w.Admin, members.User(cu.ID, u.ID)); err != nil {
		t.Fatal(err)
	}
	d := w.Invite(w.Admin, cu.ID, "deleted@acme.example", false)
	tokens["revoked"] = w.Token("deleted@acme.example")
	if err := w.Members.Delete(w.Ctx(), w.Admin, members.User(cu.ID, d.ID)); err != nil {
		t.Fatal(err)
	}
	w.Invite(w.Admin, cu.ID, "late@acme.example", false)
	tokens["expired"] = w.Token("late@acme.example")
	w.Clock.Advance(8 * 24 * time.Hour)
	for name, tok := range tokens {
		if _, err := w.Invitations.Inspect(w.Ctx(), req(tok)); !errors.Is(err, invitations.ErrInvalid) {
			t.Errorf("inspect %s: %v", name, err)
		}
		if _, err := accept(w, tok, apptest.Password); !errors.Is(err, invitations.ErrInvalid) {
			t.Errorf("accept %s: %v", name, err)
		}
	}
	if _, err := w.Invitations.Inspect(w.Ctx(), invitations.Request{}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("no token: %v", err)
	}
}

func TestConcurrentAcceptsOfOneTokenHaveOneWinner(t *testing.T) {
	w, _, tok := janeInvited(t, "en")
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := accept(w, tok, apptest.Password); err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			} else if !errors.Is(err, invitations.ErrInvalid) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || len(w.Identities.All()) != 2 { // the first admin's and Jane's
		t.Fatalf("%d winners, %d identities", won, len(w.Identities.All()))
	}
}

// An accept whose final transaction fails deletes the identity it made;
// when that clean-up fails too, the marker it wrote before touching the
// sign-in system lets the sweep delete it, once no accept can still run.
func TestAnIdentityNoMembershipHoldsIsDeleted(t *testing.T) {
	w, _, tok := janeInvited(t, "en")
	w.Store.BeforeCommit = func(op string) error {
		if op == "ChangeMember" {
			return state.ErrUnavailable
		}
		return nil
	}
	w.Identities.Fail = memidentity.FailOn("Delete", errors.New("cognito is down"))
	if _, err := accept(w, tok, apptest.Password); !errors.Is(err, state.ErrUnavailable) {
		t.Fatalf("%v", err)
	}
	w.Store.BeforeCommit, w.Identities.Fail = nil, nil
	if _, found := w.Identities.Get("jane@acme.example"); !found {
		t.Fatal("the test needs the clean-up to have failed")
	}
	w.SweepNow() // too early: the accept's claim may still run
	if _, found := w.Identities.Get("jane@acme.example"); !found {
		t.Fatal("deleted while its accept could still be running")
	}
	w.Clock.Advance(invitations.ClaimLease + invitations.PendingGrace)
	w.Sweep()
	if _, found := w.Identities.Get("jane@acme.example"); found {
		t.Fatal("the identity no membership holds is still there")
	}
	// The link still works, and a retry makes a fresh identity.
	if out, err := accept(w, tok, apptest.Password); err != nil || out.SignIn != invitations.PasswordSet {
		t.Fatalf("%+v %v", out, err)
	}
	w.SignIn("jane@acme.example")
}

// lostAnswer commits a member change, then answers as a call whose answer
// was lost does (a timeout near the function's limit).
type lostAnswer struct{ *memstore.Store }

func (l lostAnswer) ChangeMember(ctx context.Context, ch state.MemberChange) error {
	if err := l.Store.ChangeMember(ctx, ch); err != nil {
		return err
	}
	return state.ErrUnavailable.In("test", errors.New("answer lost after the commit"))
}

// An accept whose commit landed but whose answer was lost keeps the
// identity it made: the invitee signs in with the password they chose,
// and the sweeps that follow leave the identity where it is.
func TestAnAcceptWhoseAnswerWasLostKeepsTheIdentity(t *testing.T) {
	w, cu, tok := janeInvited(t, "en")
	svc := *w.Invitations
	svc.Store = lostAnswer{w.Store}
	pw := apptest.Password
	if _, err := svc.Accept(w.Ctx(), invitations.Acceptance{Request: req(tok), Password: &pw}); !errors.Is(err, state.ErrUnavailable) {
		t.Fatal(err)
	}
	w.Clock.Advance(invitations.ClaimLease + invitations.PendingGrace)
	w.Sweep()
	w.Sweep()
	m, err := w.Store.MemberByEmail(w.Ctx(), cu.Scope(), "jane@acme.example")
	if err != nil || m.Status != domain.StatusEnabled {
		t.Fatalf("%+v %v", m, err)
	}
	id, found := w.Identities.Get("jane@acme.example")
	if !found || id.Sub != m.Sub || !id.Enabled || !w.Identities.SignIn("jane@acme.example", apptest.Password) {
		t.Fatalf("the identity of the landed accept: %+v %v", id, found)
	}
	if _, err := w.Resolve("jane@acme.example"); err != nil {
		t.Fatal(err)
	}
}

func TestThePublicRoutesAreLimitedPerAddress(t *testing.T) {
	cfg := apptest.Config()
	cfg.PublicRateLimit = 2
	w := apptest.NewWith(t, cfg)
	tok := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	for range 2 {
		if _, err := w.Invitations.Inspect(w.Ctx(), invitations.Request{Token: &tok, SourceIP: "198.51.100.7"}); !errors.Is(err, invitations.ErrInvalid) {
			t.Fatal(err)
		}
	}
	_, err := w.Invitations.Inspect(w.Ctx(), invitations.Request{Token: &tok, SourceIP: "198.51.100.7"})
	if e := errs.As(err); !errors.Is(err, state.ErrRateLimited) || e.RetryAfter <= 0 {
		t.Fatalf("the third call: %v", err)
	}
	if _, err := w.Invitations.Inspect(w.Ctx(), invitations.Request{Token: &tok, SourceIP: "198.51.100.8"}); !errors.Is(err, invitations.ErrInvalid) {
		t.Fatalf("another address has its own limit: %v", err)
	}
}

// A refused accept gives its claim on the token back even when the first
// try to do so fails: the invitee's next try must not be refused while a
// claim that nobody holds lapses.
func TestARefusedAcceptLeavesTheTokenFreeWhenItsFirstReleaseFails(t *testing.T) {
	w, cu, tok := janeInvited(t, "en")
	failed := 0
	w.Store.BeforeCommit = func(op string) error {
		if op == "ReleaseClaim" && failed == 0 {
			failed++
			return state.ErrUnavailable.In("memstore: "+op, errors.New("injected"))
		}
		return nil
	}
	if _, err := accept(w, tok, "short"); !errors.Is(err, identity.ErrWeakPassword) {
		t.Fatalf("weak: %v", err)
	}
	w.Store.BeforeCommit = nil
	if failed != 1 {
		t.Fatalf("the release failed %d times, want 1", failed)
	}
	// At once, well within the claim's lease, the invitee tries again.
	if out, err := accept(w, tok, apptest.Password); err != nil || out.SignIn != invitations.PasswordSet {
		t.Fatalf("the next try: %+v %v", out, err)
	}
	if c := w.SignIn("jane@acme.example"); c.Member(cu.ID) == nil || c.Member(cu.ID).Status != domain.StatusEnabled {
		t.Fatalf("%+v", c)
	}
}

// janeInvited is a world in which jane@acme.example is invited to Acme, a
// customer of the locale given, and her invitation's token.
func janeInvited(t *testing.T, locale string) (*apptest.World, domain.Customer, string) {
	t.Helper()
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", locale)
	w.Invite(w.Admin, cu.ID, "jane@acme.example", false)
	return w, cu, w.Token("jane@acme.example")
}
