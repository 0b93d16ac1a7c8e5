package members_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
)

func codeOf(err error) string {
	if e := errs.As(err); e != nil {
		return e.Reason
	}
	return "?"
}

// A selection acts on each user as its own route would, one outcome each;
// a refusal changes nothing of that user, and a bad selection nothing at all.
func TestASelectionGivesEachUserItsOutcome(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	a, _ := w.User(cu.ID, "a@acme.example", false)
	b, _ := w.User(cu.ID, "b@acme.example", false)
	pending := w.Invite(w.Admin, cu.ID, "p@acme.example", false)
	events := w.Audit(cu.Scope())
	res, err := w.Members.Act(w.Ctx(), w.Admin, cu.ID, members.ActionDisable,
		[]string{a.ID, pending.ID, "usr_aaaaaaaaaaaaaaaaaaaaaaaaaa", "not-an-id", b.ID, a.ID}, nil, codeOf)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"done", "refused:not_confirmed", "not_found", "not_found", "done"}
	if len(res) != len(want) {
		t.Fatalf("%+v", res)
	}
	for i, r := range res {
		got := r.Outcome
		if r.Code != "" {
			got += ":" + r.Code
		}
		if got != want[i] {
			t.Fatalf("result %d is %s, want %s (%+v)", i, got, want[i], res)
		}
	}
	if got, _ := w.Member(a); got.Status != domain.StatusDisabled {
		t.Fatalf("a is %s", got.Status)
	}
	if got, _ := w.Member(pending); got.Version != pending.Version {
		t.Fatal("the refused user changed")
	}
	if n := w.Audit(cu.Scope()) - events; n != 2 {
		t.Fatalf("%d audit events, want one per user done", n)
	}
	for _, bad := range []struct {
		action string
		ids    []string
		err    error
	}{
		{"promote", []string{a.ID}, members.ErrAction},
		{members.ActionEnable, nil, members.ErrSelection},
		{members.ActionEnable, make([]string, members.MaxBulk+1), members.ErrSelection},
	} {
		if _, err := w.Members.Act(w.Ctx(), w.Admin, cu.ID, bad.action, bad.ids, nil, codeOf); !errors.Is(err, bad.err) {
			t.Fatalf("%s %d ids: %v", bad.action, len(bad.ids), err)
		}
	}
	if got, _ := w.Member(a); got.Status != domain.StatusDisabled {
		t.Fatal("a refused selection changed a user")
	}
}

// A portal admin who disables a selection holding themselves gets each
// user's outcome: the others are done first, their own last.
func TestAPortalAdminsOwnUserGoesLast(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	me, admin := w.User(cu.ID, "pa@acme.example", true)
	w.User(cu.ID, "pa2@acme.example", true)
	ids := []string{me.ID}
	for i := range 6 {
		u, _ := w.User(cu.ID, fmt.Sprintf("u%d@acme.example", i), false)
		ids = append(ids, u.ID)
	}
	res, err := w.Members.Act(w.Ctx(), admin, cu.ID, members.ActionDisable, ids, &idem.Key{ID: "sel", Fingerprint: "x"}, codeOf)
	if err != nil || len(res) != len(ids) {
		t.Fatalf("%+v %v", res, err)
	}
	for i, r := range res {
		if r.UserID != ids[i] || r.Outcome != members.Done {
			t.Fatalf("user %d: %+v", i, r)
		}
		if m, _ := w.Store.Member(w.Ctx(), cu.Scope(), ids[i]); m.Status != domain.StatusDisabled {
			t.Fatalf("user %d is %s", i, m.Status)
		}
	}
}
