package members_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/customers"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

func setPolicy(t *testing.T, w *apptest.World, id string, p customers.PolicyInput) domain.Customer {
	t.Helper()
	cu, err := w.Customers.Update(w.Ctx(), w.Admin, id, customers.Change{Policy: &p}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return cu
}

// A customer's allowed domains: others are refused on invite, per row of a
// bulk invite and on enabling again, and a refusal changes nothing.
func TestAllowedDomains(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	outsider, _ := w.User(cu.ID, "old@elsewhere.example", false)
	if _, err := w.Members.Disable(w.Ctx(), w.Admin, members.User(cu.ID, outsider.ID)); err != nil {
		t.Fatal(err)
	}
	cu = setPolicy(t, w, cu.ID, customers.PolicyInput{AllowedDomains: []string{" Acme.Example ", "@acme.example", "sub.acme.example"}})
	if !slices.Equal(cu.Policy.AllowedDomains, []string{"acme.example", "sub.acme.example"}) {
		t.Fatalf("%v", cu.Policy.AllowedDomains)
	}
	mails, events := w.Mailbox.Count(), w.Audit(cu.Scope())
	_, err := w.Members.Invite(w.Ctx(), w.Admin, w.Scope(cu.Scope()), members.Invitee{Email: "eve@evil.example"}, nil)
	if !errors.Is(err, members.ErrDomainNotAllowed) || !slices.Equal(apptest.Fields(err), []string{"email:domain_not_allowed"}) {
		t.Fatalf("%v", err)
	}
	if _, err := w.Store.MemberByEmail(w.Ctx(), cu.Scope(), "eve@evil.example"); err == nil {
		t.Fatal("made")
	}
	if _, err := w.Members.Enable(w.Ctx(), w.Admin, members.User(cu.ID, outsider.ID)); !errors.Is(err, members.ErrDomainNotAllowed) {
		t.Fatalf("enable: %v", err)
	}
	if w.Mailbox.Count() != mails || w.Audit(cu.Scope()) != events {
		t.Fatal("a refusal changed something")
	}
	res, err := w.Members.BulkInvite(w.Ctx(), w.Admin, w.Scope(cu.Scope()), []string{"a@acme.example", "b@evil.example", "c@sub.acme.example"}, members.Profile{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, r := range res {
		outcomes = append(outcomes, r.Outcome+":"+r.Reason)
	}
	if !slices.Equal(outcomes, []string{"invited:", "invalid:domain_not_allowed", "invited:"}) {
		t.Fatalf("%v", outcomes)
	}
	if len(w.Mailbox.To("b@evil.example")) != 0 {
		t.Fatal("e-mailed")
	}
	// Clearing the policy lets everybody in again.
	setPolicy(t, w, cu.ID, customers.PolicyInput{})
	w.Invite(w.Admin, cu.ID, "eve@evil.example", false)
}

// A customer's invitation lifetime stands in for INVITATION_TTL on new
// invitations and re-invites.
func TestTheCustomersInvitationLifetime(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	day := int64(24 * 3600)
	setPolicy(t, w, cu.ID, customers.PolicyInput{InvitationLifetimeSeconds: &day})
	m := w.Invite(w.Admin, cu.ID, "jane@acme.example", false)
	if got := m.Invitation.ExpiresAt.Sub(m.CreatedAt); got != 24*time.Hour {
		t.Fatalf("%s", got)
	}
	w.Clock.Advance(2 * time.Minute)
	m, err := w.Members.Reinvite(w.Ctx(), w.Admin, members.User(cu.ID, m.ID))
	if err != nil || m.Invitation.ExpiresAt.Sub(m.UpdatedAt) != 24*time.Hour {
		t.Fatalf("%v %v", m.Invitation.ExpiresAt.Sub(m.UpdatedAt), err)
	}
	other := w.NewCustomer("Other", "en")
	o := w.Invite(w.Admin, other.ID, "joe@other.example", false)
	if got := o.Invitation.ExpiresAt.Sub(o.CreatedAt); got != 168*time.Hour {
		t.Fatalf("%s", got)
	}
}

// Out-of-range policies are refused, naming the field; only operator
// admins set them.
func TestPolicyChecks(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	short, zero := int64(60), 0
	_, err := w.Customers.Update(w.Ctx(), w.Admin, cu.ID, customers.Change{Policy: &customers.PolicyInput{
		AllowedDomains: []string{"acme.example", "not a domain"}, InvitationLifetimeSeconds: &short, SeatLimit: &zero}}, 0)
	want := []string{"policy.allowedDomains.1:invalid_domain", "policy.invitationLifetimeSeconds:out_of_range", "policy.seatLimit:out_of_range"}
	if !slices.Equal(apptest.Fields(err), want) {
		t.Fatalf("%v", apptest.Fields(err))
	}
	_, boss := w.User(cu.ID, "boss@acme.example", true)
	_, tech := w.Operator("tech@provider.example", domain.RoleTechnician)
	if _, err := w.Customers.Update(w.Ctx(), boss, cu.ID, customers.Change{Policy: &customers.PolicyInput{}}, 0); !errs.IsKind(err, errs.Permission) && !errs.IsKind(err, errs.NotExist) {
		t.Fatalf("portal admin: %v", err)
	}
	if _, err := w.Customers.Update(w.Ctx(), tech, cu.ID, customers.Change{Policy: &customers.PolicyInput{}}, 0); !errs.IsKind(err, errs.Permission) {
		t.Fatalf("technician: %v", err)
	}
}

// The seat limit counts enabled plus unconfirmed members: a full customer
// refuses invites (nothing changes), bulk rows past it, and enabling again.
func TestSeatLimit(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	two := 2
	setPolicy(t, w, cu.ID, customers.PolicyInput{SeatLimit: &two})
	jane, _ := w.User(cu.ID, "jane@acme.example", false)
	res, err := w.Members.BulkInvite(w.Ctx(), w.Admin, w.Scope(cu.Scope()), []string{"a@acme.example", "b@acme.example"}, members.Profile{}, nil)
	if err != nil || len(res) != 2 {
		t.Fatal(err)
	}
	got := []string{res[0].Outcome + ":" + res[0].Reason, res[1].Outcome + ":" + res[1].Reason}
	slices.Sort(got)
	if !slices.Equal(got, []string{"invalid:seat_limit", "invited:"}) { // the rows run at once: either may win
		t.Fatalf("%v", got)
	}
	mails, events := w.Mailbox.Count(), w.Audit(cu.Scope())
	if _, err := w.Members.Invite(w.Ctx(), w.Admin, w.Scope(cu.Scope()), members.Invitee{Email: "c@acme.example"}, nil); !errors.Is(err, state.ErrSeatLimit) {
		t.Fatalf("%v", err)
	}
	if _, err := w.Members.Disable(w.Ctx(), w.Admin, members.User(cu.ID, jane.ID)); err != nil {
		t.Fatal(err)
	}
	w.Invite(w.Admin, cu.ID, "c@acme.example", false) // the seat jane freed
	if _, err := w.Members.Enable(w.Ctx(), w.Admin, members.User(cu.ID, jane.ID)); !errors.Is(err, state.ErrSeatLimit) {
		t.Fatalf("%v", err)
	}
	if got, _ := w.Member(jane); got.Status != domain.StatusDisabled {
		t.Fatalf("%s", got.Status)
	}
	if w.Mailbox.Count() != mails+1 || w.Audit(cu.Scope()) != events+2 { // the disable and c's invite
		t.Fatalf("mails %d→%d, events %d→%d", mails, w.Mailbox.Count(), events, w.Audit(cu.Scope()))
	}
}
