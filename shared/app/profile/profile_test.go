package profile_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/app/profile"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

func ptr[T any](v T) *T { return &v }

func shipping() profile.AddressInput {
	return profile.AddressInput{Kind: ptr("shipping"), Label: ptr("Warehouse"), Lines: []string{" Havenstraat 12 ", "Unit 4"},
		PostalCode: ptr(" 3011  ab "), City: ptr("Rotterdam"), Country: ptr("nl")}
}

// The seed's "Change the service information": a customer's portal admin
// adds, modifies and deletes the organization's addresses; several of one
// kind are allowed; each change is on the customer's trail.
func TestAPortalAdminManagesTheAddresses(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	_, admin := w.User(cu.ID, "admin@acme.example", true)

	a, err := w.Profile.CreateAddress(w.Ctx(), admin, cu.ID, shipping(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Kind != domain.AddressShipping || a.PostalCode != "3011 AB" || a.Country != "NL" || !slices.Equal(a.Lines, []string{"Havenstraat 12", "Unit 4"}) || a.Version != 1 {
		t.Fatalf("the address as stored: %+v", a)
	}
	second := shipping()
	second.Label, second.City = ptr("Depot Delft"), ptr("Delft")
	b, err := w.Profile.CreateAddress(w.Ctx(), admin, cu.ID, second, nil)
	if err != nil {
		t.Fatal(err)
	}
	legal := profile.AddressInput{Kind: ptr("legal"), Lines: []string{"Coolsingel 1"}, PostalCode: ptr("3011AD"), City: ptr("Rotterdam"), Region: ptr("Zuid-Holland"), Country: ptr("NL")}
	if _, err := w.Profile.CreateAddress(w.Ctx(), admin, cu.ID, legal, nil); err != nil {
		t.Fatal(err)
	}
	list, err := w.Profile.Addresses(w.Ctx(), admin, cu.ID)
	if err != nil || len(list) != 3 || list[0].ID != a.ID || list[1].ID != b.ID || list[2].Region != "Zuid-Holland" {
		t.Fatalf("the addresses, oldest first: %+v %v", list, err)
	}

	// Modify: only what is given; the label can be removed; If-Match holds.
	moved, err := w.Profile.UpdateAddress(w.Ctx(), admin, cu.ID, b.ID, profile.AddressInput{City: ptr("Schiedam"), Label: ptr("")}, b.Version)
	if err != nil || moved.City != "Schiedam" || moved.Label != "" || moved.Version != 2 || moved.PostalCode != b.PostalCode {
		t.Fatalf("the change: %+v %v", moved, err)
	}
	if _, err := w.Profile.UpdateAddress(w.Ctx(), admin, cu.ID, b.ID, profile.AddressInput{City: ptr("Delft")}, 1); !errors.Is(err, state.ErrStale) {
		t.Fatalf("a change of the old version: %v", err)
	}
	same, err := w.Profile.UpdateAddress(w.Ctx(), admin, cu.ID, b.ID, profile.AddressInput{City: ptr("Schiedam")}, 0)
	if err != nil || same.Version != 2 {
		t.Fatalf("a change to what it is: %+v %v", same, err)
	}
	if err := w.Profile.DeleteAddress(w.Ctx(), admin, cu.ID, a.ID, 7); !errors.Is(err, state.ErrStale) {
		t.Fatalf("a delete of another version: %v", err)
	}
	if err := w.Profile.DeleteAddress(w.Ctx(), admin, cu.ID, a.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := w.Profile.DeleteAddress(w.Ctx(), admin, cu.ID, a.ID, 0); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("a delete of a deleted address: %v", err)
	}
	list, _ = w.Profile.Addresses(w.Ctx(), w.Admin, cu.ID)
	if len(list) != 2 || list[0].ID != b.ID || list[0].City != "Schiedam" {
		t.Fatalf("what the operator then reads: %+v", list)
	}
	want := []string{"address.deleted", "address.updated", "address.created", "address.created", "address.created"}
	if got := w.Actions(t, cu.ID); !slices.Equal(got[:5], want) {
		t.Fatalf("the trail: %v", got)
	}
}

// Bad input names each field and changes nothing.
func TestAnAddressIsValidated(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	bad := profile.AddressInput{Kind: ptr("billing"), Label: ptr(strings.Repeat("x", 65)), Lines: []string{"ok", ""},
		PostalCode: ptr("30#11"), City: ptr(""), Country: ptr("XK")}
	_, err := w.Profile.CreateAddress(w.Ctx(), w.Admin, cu.ID, bad, nil)
	want := []string{"kind:invalid_kind", "label:too_long", "lines.1:required", "postalCode:invalid_postal_code", "city:required", "country:invalid_country"}
	if got := apptest.Fields(err); !slices.Equal(got, want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	if _, err := w.Profile.CreateAddress(w.Ctx(), w.Admin, cu.ID, profile.AddressInput{}, nil); !slices.Equal(apptest.Fields(err),
		[]string{"kind:invalid_kind", "lines:required", "postalCode:required", "city:required", "country:required"}) {
		t.Fatalf("an empty address: %v", apptest.Fields(err))
	}
	five := shipping()
	five.Lines = []string{"1", "2", "3", "4", "5"}
	if _, err := w.Profile.CreateAddress(w.Ctx(), w.Admin, cu.ID, five, nil); !slices.Equal(apptest.Fields(err), []string{"lines:too_many"}) {
		t.Fatalf("five lines: %v", apptest.Fields(err))
	}
	if list, _ := w.Profile.Addresses(w.Ctx(), w.Admin, cu.ID); len(list) != 0 {
		t.Fatal("a refused address was stored")
	}
	a, _ := w.Profile.CreateAddress(w.Ctx(), w.Admin, cu.ID, shipping(), nil)
	if _, err := w.Profile.UpdateAddress(w.Ctx(), w.Admin, cu.ID, a.ID, profile.AddressInput{}, 0); !errors.Is(err, errs.ErrEmptyChange) {
		t.Fatalf("an empty change: %v", err)
	}
	if _, err := w.Profile.UpdateAddress(w.Ctx(), w.Admin, cu.ID, a.ID, profile.AddressInput{Country: ptr("ZZ")}, 0); !slices.Equal(apptest.Fields(err), []string{"country:invalid_country"}) {
		t.Fatalf("a bad country: %v", apptest.Fields(err))
	}
	if got, _ := w.Profile.Addresses(w.Ctx(), w.Admin, cu.ID); got[0].Country != "NL" || got[0].Version != 1 {
		t.Fatalf("a refused change changed it: %+v", got[0])
	}
	if _, err := w.Profile.UpdateAddress(w.Ctx(), w.Admin, cu.ID, "adr_nonsense", profile.AddressInput{City: ptr("X")}, 0); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("an id of the wrong shape: %v", err)
	}
}

// Who may do what: operators and the customer's portal admins manage
// addresses; a plain portal user may not (403), another customer's admin
// finds nothing (404); service agreements are written by operators only
// and read by the customer's portal admins.
func TestWhoManagesTheProfile(t *testing.T) {
	w := apptest.New(t)
	cast := w.NewCast()
	cu, admin, user, stranger, tech := cast.Acme, cast.PortalAdmin, cast.User, cast.OtherAdmin, cast.Tech

	if _, err := w.Profile.CreateAddress(w.Ctx(), tech, cu.ID, shipping(), nil); err != nil {
		t.Fatalf("a technician adds an address: %v", err)
	}
	if _, err := w.Profile.CreateAddress(w.Ctx(), user, cu.ID, shipping(), nil); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("a portal user: %v", err)
	}
	if _, err := w.Profile.Addresses(w.Ctx(), stranger, cu.ID); !errors.Is(err, access.ErrNotFound) {
		t.Fatalf("another customer's admin: %v", err)
	}
	ag := profile.AgreementInput{Name: ptr("Maintenance"), Reference: ptr("SLA-2026-7"), StartsOn: ptr("2026-01-01"), EndsOn: ptr("2026-12-31")}
	if _, err := w.Profile.CreateAgreement(w.Ctx(), admin, cu.ID, ag, nil); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("a portal admin writes an agreement: %v", err)
	}
	if _, err := w.Profile.CreateAgreement(w.Ctx(), stranger, cu.ID, ag, nil); !errors.Is(err, access.ErrNotFound) {
		t.Fatalf("another customer's admin writes an agreement: %v", err)
	}
	made, err := w.Profile.CreateAgreement(w.Ctx(), tech, cu.ID, ag, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Profile.UpdateAgreement(w.Ctx(), admin, cu.ID, made.ID, profile.AgreementInput{Name: ptr("Mine")}, 0); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("a portal admin changes an agreement: %v", err)
	}
	if err := w.Profile.DeleteAgreement(w.Ctx(), admin, cu.ID, made.ID, 0); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("a portal admin deletes an agreement: %v", err)
	}
	list, err := w.Profile.Agreements(w.Ctx(), admin, cu.ID)
	if err != nil || len(list) != 1 || list[0].Name != "Maintenance" {
		t.Fatalf("the portal admin reads: %+v %v", list, err)
	}
	if _, err := w.Profile.Agreements(w.Ctx(), user, cu.ID); !errors.Is(err, access.ErrForbidden) {
		t.Fatalf("a portal user reads agreements: %v", err)
	}
	if _, err := w.Profile.Agreements(w.Ctx(), w.Admin, domain.NewID(domain.PrefixCustomer)); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("an operator reads an unknown customer's agreements: %v", err)
	}
}

// An agreement's status is derived from its dates on the day it is read:
// the seed's "Maintenance" list shows what is running now.
func TestAnAgreementsStatusFollowsTheCalendar(t *testing.T) {
	w := apptest.New(t) // the clock starts on 2026-12-01
	cu := w.NewCustomer("Acme", "en")
	add := func(name, from, to string) domain.ServiceAgreement {
		a, err := w.Profile.CreateAgreement(w.Ctx(), w.Admin, cu.ID, profile.AgreementInput{Name: ptr(name), Reference: ptr("R-" + name),
			StartsOn: ptr(from), EndsOn: ptr(to)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := add("Support 2026", "2026-01-01", "2026-12-31"); a.Status != domain.AgreementActive {
		t.Fatalf("created: %s", a.Status)
	}
	add("Support 2025", "2025-01-01", "2025-12-31")
	add("Support 2027", "2027-01-01", "2027-12-31")
	add("One day", "2026-12-01", "2026-12-01")
	status := func() []domain.AgreementStatus {
		list, err := w.Profile.Agreements(w.Ctx(), w.Admin, cu.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []domain.AgreementStatus
		for _, a := range list {
			out = append(out, a.Status)
		}
		return out
	}
	if got := status(); !slices.Equal(got, []domain.AgreementStatus{"active", "expired", "upcoming", "active"}) {
		t.Fatalf("on 2026-12-01: %v", got)
	}
	w.Clock.Advance(24 * time.Hour)
	if got := status(); !slices.Equal(got, []domain.AgreementStatus{"active", "expired", "upcoming", "expired"}) {
		t.Fatalf("on 2026-12-02: %v", got)
	}
	w.Clock.Advance(31 * 24 * time.Hour)
	if got := status(); !slices.Equal(got, []domain.AgreementStatus{"expired", "expired", "active", "expired"}) {
		t.Fatalf("in January 2027: %v", got)
	}
}

// Dates are real days; the last is not before the first, also when a
// change moves only one of them.
func TestAnAgreementIsValidated(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	_, err := w.Profile.CreateAgreement(w.Ctx(), w.Admin, cu.ID, profile.AgreementInput{Name: ptr(""), Reference: ptr("R"),
		StartsOn: ptr("2026-02-30"), EndsOn: ptr("31-12-2026")}, nil)
	if got := apptest.Fields(err); !slices.Equal(got, []string{"name:required", "startsOn:invalid_date", "endsOn:invalid_date"}) {
		t.Fatalf("fields %v", got)
	}
	_, err = w.Profile.CreateAgreement(w.Ctx(), w.Admin, cu.ID, profile.AgreementInput{Name: ptr("M"), Reference: ptr("R"),
		StartsOn: ptr("2026-06-01"), EndsOn: ptr("2026-05-31")}, nil)
	if got := apptest.Fields(err); !slices.Equal(got, []string{"endsOn:before_start"}) {
		t.Fatalf("fields %v", got)
	}
	a, err := w.Profile.CreateAgreement(w.Ctx(), w.Admin, cu.ID, profile.AgreementInput{Name: ptr("M"), Reference: ptr("R"),
		StartsOn: ptr("2026-06-01"), EndsOn: ptr("2026-06-30")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Profile.UpdateAgreement(w.Ctx(), w.Admin, cu.ID, a.ID, profile.AgreementInput{StartsOn: ptr("2026-07-01")}, 0); !slices.Equal(apptest.Fields(err), []string{"endsOn:before_start"}) {
		t.Fatalf("moving the start past the end: %v", err)
	}
	moved, err := w.Profile.UpdateAgreement(w.Ctx(), w.Admin, cu.ID, a.ID, profile.AgreementInput{EndsOn: ptr("2027-06-30")}, a.Version)
	if err != nil || moved.EndsOn != "2027-06-30" || moved.Version != 2 || moved.Status != domain.AgreementActive {
		t.Fatalf("extended: %+v %v", moved, err)
	}
	if err := w.Profile.DeleteAgreement(w.Ctx(), w.Admin, cu.ID, a.ID, 1); !errors.Is(err, state.ErrStale) {
		t.Fatalf("delete of the old version: %v", err)
	}
	if err := w.Profile.DeleteAgreement(w.Ctx(), w.Admin, cu.ID, a.ID, 2); err != nil {
		t.Fatal(err)
	}
	if got := w.Actions(t, cu.ID); !slices.Equal(got[:3], []string{"service_agreement.deleted", "service_agreement.updated", "service_agreement.created"}) {
		t.Fatalf("the trail: %v", got)
	}
}

// A customer has at most 50 addresses; a retried create with the same
// idempotency key answers the first one and adds none.
func TestLimitsAndRetries(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	key := &idem.Key{ID: "k1", Fingerprint: "f1"}
	first, err := w.Profile.CreateAddress(w.Ctx(), w.Admin, cu.ID, shipping(), key)
	if err != nil {
		t.Fatal(err)
	}
	again, err := w.Profile.CreateAddress(w.Ctx(), w.Admin, cu.ID, shipping(), key)
	if err != nil || again.ID != first.ID {
		t.Fatalf("the retry: %+v %v", again, err)
	}
	for range domain.MaxAddresses - 1 {
		if _, err := w.Profile.CreateAddress(w.Ctx(), w.Admin, cu.ID, shipping(), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Profile.CreateAddress(w.Ctx(), w.Admin, cu.ID, shipping(), nil); !errors.Is(err, state.ErrLimit) {
		t.Fatalf("the 51st: %v", err)
	}
	if list, _ := w.Profile.Addresses(w.Ctx(), w.Admin, cu.ID); len(list) != domain.MaxAddresses {
		t.Fatalf("%d addresses", len(list))
	}
}

// A portal admin demoted while a change is on its way changes nothing.
func TestADemotedAdminChangesNothing(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	_, admin := w.User(cu.ID, "admin@acme.example", true)
	m, _ := w.User(cu.ID, "second@acme.example", true)
	_ = m
	me := admin.Member(cu.ID)
	demoted := *me
	demoted.Admin, demoted.Version = false, me.Version+1
	if err := w.Store.ChangeMember(w.Ctx(), state.MemberChange{Before: *me, After: &demoted, Now: w.Clock.Now(),
		Event: domain.NewEvent(w.Clock.Now(), domain.SystemActor, "user.updated", domain.TargetOf(me), cu.Scope())}); err != nil {
		t.Fatal(err)
	}
	// The caller as resolved before the demotion.
	if _, err := w.Profile.CreateAddress(w.Ctx(), admin, cu.ID, shipping(), nil); !errors.Is(err, state.ErrActorNotAdmin) {
		t.Fatalf("a demoted admin's address: %v", err)
	}
	if list, _ := w.Profile.Addresses(w.Ctx(), w.Admin, cu.ID); len(list) != 0 {
		t.Fatal("the demoted admin's address was stored")
	}
}

// An address changed or deleted without If-Match lands over a change made
// meanwhile; with If-Match, the same race is refused as stale.
func TestAnAddressChangeWithoutIfMatchLandsOverOneMadeMeanwhile(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	a, err := w.Profile.CreateAddress(w.Ctx(), w.Admin, cu.ID, shipping(), nil)
	if err != nil {
		t.Fatal(err)
	}
	labels := []string{"Depot", "Store", "Yard", "Dock"}
	relabel := func(int32) error {
		l := labels[0]
		labels = labels[1:]
		_, err := w.Profile.UpdateAddress(w.Ctx(), w.Admin, cu.ID, a.ID, profile.AddressInput{Label: &l}, 0)
		return err
	}
	w.Meanwhile("ChangeAddress", 1, relabel)
	got, err := w.Profile.UpdateAddress(w.Ctx(), w.Admin, cu.ID, a.ID, profile.AddressInput{City: ptr("Delft")}, 0)
	if err != nil || got.City != "Delft" || got.Label != "Depot" || got.Version != a.Version+2 {
		t.Fatalf("%+v %v", got, err)
	}
	w.Meanwhile("ChangeAddress", 1, relabel)
	if _, err := w.Profile.UpdateAddress(w.Ctx(), w.Admin, cu.ID, a.ID, profile.AddressInput{City: ptr("Gouda")}, got.Version); !errors.Is(err, state.ErrStale) {
		t.Fatal(err)
	}
	w.Meanwhile("ChangeAddress", 1, relabel)
	if err := w.Profile.DeleteAddress(w.Ctx(), w.Admin, cu.ID, a.ID, 0); err != nil {
		t.Fatal(err)
	}
	if list, err := w.Profile.Addresses(w.Ctx(), w.Admin, cu.ID); err != nil || len(list) != 0 {
		t.Fatalf("%+v %v", list, err)
	}
}
