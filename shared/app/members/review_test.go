package members_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// A bulk invite refused for the rate leaves no trace: once the window has
// passed, the same key with another body is a new request, not a reuse.
func TestABulkInviteRefusedForTheRateLeavesItsKeyFree(t *testing.T) {
	cfg := apptest.Config()
	cfg.InviteRateLimit = 1
	w := apptest.NewWith(t, cfg)
	cu := w.NewCustomer("Acme", "en")
	sc := w.Scope(cu.Scope())
	before := w.Mailbox.Count()
	if _, err := w.Members.BulkInvite(w.Ctx(), w.Admin, sc, []string{"a@acme.example", "b@acme.example"}, members.Profile{}, key("k1", "ab")); !errors.Is(err, state.ErrRateLimited) {
		t.Fatalf("past the limit: %v", err)
	}
	if w.Mailbox.Count() != before {
		t.Fatal("a refused bulk invite sent mail")
	}
	w.Clock.Advance(time.Minute)
	res, err := w.Members.BulkInvite(w.Ctx(), w.Admin, sc, []string{"a@acme.example"}, members.Profile{}, key("k1", "a"))
	if err != nil || len(res) != 1 || res[0].Outcome != domain.OutcomeInvited {
		t.Fatalf("the key after a refusal: %+v %v", res, err)
	}
	// And a replay of that finished request answers it again, taking no
	// rate (the window holds one) and inviting nobody twice.
	again, err := w.Members.BulkInvite(w.Ctx(), w.Admin, sc, []string{"a@acme.example"}, members.Profile{}, key("k1", "a"))
	if err != nil || len(again) != 1 || again[0].Outcome != domain.OutcomeInvited || w.Mailbox.Count() != before+1 {
		t.Fatalf("the replay: %+v %v (mail %d)", again, err, w.Mailbox.Count()-before)
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
