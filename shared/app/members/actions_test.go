package members_test

import (
	"errors"
	"testing"

	"github.com/portalaccess/portalaccess/shared/app/apptest"
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
