package mfa_test

import (
	"errors"
	"testing"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/identity/memidentity"
)

// invited is an operator who accepted the invitation but set up no app.
func invited(t *testing.T, w *apptest.World, email string, role domain.OperatorRole) domain.Member {
	t.Helper()
	r := string(role)
	m, err := w.Members.Invite(w.Ctx(), w.Admin, w.Scope(domain.ProviderScope), membersInvitee(email, r), nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Accept(email)
	return m
}

func TestAnOperatorWithoutAnAppMayOnlyEnrol(t *testing.T) {
	w := apptest.New(t)
	invited(t, w, "tech@provider.example", domain.RoleTechnician)
	if _, err := w.Resolve("tech@provider.example"); !errors.Is(err, access.ErrMFARequired) {
		t.Fatalf("before enrolling: %v, want mfa_required", err)
	}
	c, err := w.Enrolling("tech@provider.example")
	if err != nil || !c.MFARequired() {
		t.Fatalf("GET /v1/me's caller: %+v %v", c, err)
	}
	// No app set up in Cognito: 409, and still required.
	before := w.Audit(domain.ProviderScope)
	if _, err := w.MFA.Enrol(w.Ctx(), c); !errors.Is(err, identity.ErrMFANotSetUp) {
		t.Fatalf("enrol without an app: %v", err)
	}
	if got := w.Audit(domain.ProviderScope); got != before {
		t.Fatalf("a refused enrolment wrote %d events", got-before)
	}
	if _, err := w.Resolve("tech@provider.example"); !errors.Is(err, access.ErrMFARequired) {
		t.Fatalf("after a refused enrolment: %v", err)
	}
	// With a verified app: enrolled, TOTP preferred, one event.
	w.Identities.SetUpTOTP("tech@provider.example", false)
	m, err := w.MFA.Enrol(w.Ctx(), c)
	if err != nil || m.MFAEnrolledAt == nil {
		t.Fatalf("enrol: %+v %v", m, err)
	}
	if id, _ := w.Identities.Get("tech@provider.example"); !id.TOTP {
		t.Fatal("the app is not the identity's factor")
	}
	if got := w.Audit(domain.ProviderScope); got != before+1 {
		t.Fatalf("enrolment wrote %d events, want 1", got-before)
	}
	if _, err := w.Resolve("tech@provider.example"); err != nil {
		t.Fatalf("after enrolling: %v", err)
	}
	// Again: no error, nothing written.
	if _, err := w.MFA.Enrol(w.Ctx(), w.SignIn("tech@provider.example")); err != nil || w.Audit(domain.ProviderScope) != before+1 {
		t.Fatalf("enrolling again: %v", err)
	}
}

func TestAnAppSwitchedOffIsNoticedByTheSweep(t *testing.T) {
	w := apptest.New(t)
	_, _ = w.Operator("tech@provider.example", domain.RoleTechnician)
	w.Identities.SwitchOffTOTP("tech@provider.example")
	rep := w.SweepNow()
	if rep.MFA.Lapsed != 1 {
		t.Fatalf("sweep: %+v", rep.MFA)
	}
	if _, err := w.Resolve("tech@provider.example"); !errors.Is(err, access.ErrMFARequired) {
		t.Fatalf("after the sweep: %v", err)
	}
	// The admin, whose app is on, keeps working.
	if _, err := w.Resolve("admin@provider.example"); err != nil {
		t.Fatal(err)
	}
	if rep := w.SweepNow(); rep.MFA.Lapsed != 0 {
		t.Fatalf("a second sweep: %+v", rep.MFA)
	}
}

func TestAnAdminResetsAnOperatorsApp(t *testing.T) {
	w := apptest.New(t)
	tech, techC := w.Operator("tech@provider.example", domain.RoleTechnician)
	admin2, _ := w.Operator("admin2@provider.example", domain.RoleAdmin)
	// A technician may not reset anyone's, an admin's least of all.
	if _, err := w.MFA.Reset(w.Ctx(), techC, admin2.ID); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("technician resets: %v", err)
	}
	if _, err := w.Resolve("admin2@provider.example"); err != nil {
		t.Fatalf("after a refused reset: %v", err)
	}
	before := w.Audit(domain.ProviderScope)
	m, err := w.MFA.Reset(w.Ctx(), w.Admin, tech.ID)
	if err != nil || m.MFAEnrolledAt != nil || m.MFAResetPending {
		t.Fatalf("reset: %+v %v", m, err)
	}
	if id, _ := w.Identities.Get("tech@provider.example"); id.TOTP || id.SignedOut == 0 {
		t.Fatalf("the identity after a reset: %+v", id)
	}
	if got := w.Audit(domain.ProviderScope); got != before+1 {
		t.Fatalf("reset wrote %d events", got-before)
	}
	if _, err := w.Resolve("tech@provider.example"); !errors.Is(err, access.ErrMFARequired) {
		t.Fatalf("after the reset: %v", err)
	}
	// Reset again with nothing to reset: no event, nobody signed out again.
	signedOut, _ := w.Identities.Get("tech@provider.example")
	if _, err := w.MFA.Reset(w.Ctx(), w.Admin, tech.ID); err != nil {
		t.Fatal(err)
	}
	if id, _ := w.Identities.Get("tech@provider.example"); id.SignedOut != signedOut.SignedOut || w.Audit(domain.ProviderScope) != before+1 {
		t.Fatalf("a reset of nothing signed them out (%d → %d) or was audited", signedOut.SignedOut, id.SignedOut)
	}
	// A new app: enrolled again.
	w.Enrol("tech@provider.example")
	if _, err := w.Resolve("tech@provider.example"); err != nil {
		t.Fatal(err)
	}
}

func TestAResetCognitoMissedIsFinished(t *testing.T) {
	w := apptest.New(t)
	tech, _ := w.Operator("tech@provider.example", domain.RoleTechnician)
	w.Identities.Fail = memidentity.FailOn("ResetTOTP", identity.ErrUnavailable)
	m, err := w.MFA.Reset(w.Ctx(), w.Admin, tech.ID)
	if err != nil || !m.MFAResetPending || m.MFAEnrolledAt != nil {
		t.Fatalf("reset with Cognito down: %+v %v", m, err)
	}
	// The old app is still on in Cognito, but enrolling with it is refused:
	// the reset is finished first.
	w.Identities.Fail = nil
	c, _ := w.Enrolling("tech@provider.example")
	if _, err := w.MFA.Enrol(w.Ctx(), c); !errors.Is(err, identity.ErrMFANotSetUp) {
		t.Fatalf("enrol with the old app: %v", err)
	}
	if id, _ := w.Identities.Get("tech@provider.example"); id.TOTP {
		t.Fatal("the old app is still on")
	}
	got, _ := w.Member(tech)
	if got.MFAResetPending {
		t.Fatal("the reset is still pending")
	}
	w.Enrol("tech@provider.example")
}

func TestTheSweepFinishesAPendingReset(t *testing.T) {
	w := apptest.New(t)
	tech, _ := w.Operator("tech@provider.example", domain.RoleTechnician)
	w.Identities.Fail = memidentity.FailOn("ResetTOTP", identity.ErrUnavailable)
	if _, err := w.MFA.Reset(w.Ctx(), w.Admin, tech.ID); err != nil {
		t.Fatal(err)
	}
	w.Identities.Fail = nil
	if rep := w.SweepNow(); rep.MFA.Reset != 1 {
		t.Fatalf("sweep: %+v", rep.MFA)
	}
	if id, _ := w.Identities.Get("tech@provider.example"); id.TOTP {
		t.Fatal("the old app is still on")
	}
}

func TestPortalUsersAreNeverAsked(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	_, c := w.User(cu.ID, "jane@acme.example", true)
	if c.MFARequired() {
		t.Fatal("a portal user must set up an app")
	}
	if _, err := w.MFA.Enrol(w.Ctx(), c); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("a portal user enrols: %v", err)
	}
}

func membersInvitee(email, role string) members.Invitee {
	return members.Invitee{Email: email, Role: &role}
}

// An operator disabled between being let in and the enrolment landing is
// refused, not answered as enrolled (the API would have had no time to
// show), and nothing is recorded.
func TestAnOperatorDisabledMeanwhileIsNotEnrolled(t *testing.T) {
	w := apptest.New(t)
	m := invited(t, w, "tech@provider.example", domain.RoleTechnician)
	c, err := w.Enrolling("tech@provider.example")
	if err != nil {
		t.Fatal(err)
	}
	w.Identities.SetUpTOTP("tech@provider.example", false)
	if _, err := w.Members.Disable(w.Ctx(), w.Admin, members.Operator(m.ID)); err != nil {
		t.Fatal(err)
	}
	before := w.Audit(domain.ProviderScope)
	got, err := w.MFA.Enrol(w.Ctx(), c)
	if !errors.Is(err, access.ErrForbidden) || got.MFAEnrolledAt != nil {
		t.Fatalf("enrol of a disabled operator: %+v %v", got, err)
	}
	if n := w.Audit(domain.ProviderScope); n != before {
		t.Fatalf("a refused enrolment wrote %d events", n-before)
	}
	if after, _ := w.Store.Member(w.Ctx(), domain.ProviderScope, m.ID); after.MFAEnrolledAt != nil || after.Status != domain.StatusDisabled {
		t.Fatalf("the operator after: %+v", after)
	}
}
