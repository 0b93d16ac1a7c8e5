package storetest

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/sweep"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// state of the roles migration as a person would see it: each member's role
// names (through the catalogue), what is left as free text, its version, and
// each catalogue.
func (w *world) rolesState(customers []domain.Customer, ms []domain.Member) string {
	w.t.Helper()
	var b strings.Builder
	for _, c := range customers {
		rs, err := w.s.Roles(w.ctx(), c.ID)
		noErr(w.t, err, "read the catalogue")
		fmt.Fprintf(&b, "%s: %d roles %v\n", c.Name, len(rs), lastNames(rs, 4))
		ix := domain.IndexRoles(rs)
		for _, m := range ms {
			if m.CustomerID != c.ID {
				continue
			}
			got := w.member(m.Scope(), m.ID)
			fmt.Fprintf(&b, "  %s v%d ids=%d names=%v free=%v", got.Email, got.Version, len(got.RoleIDs), ix.Names(&domain.Member{RoleIDs: got.RoleIDs}), got.LegacyRoles)
			if got.Sub != "" {
				cp := w.memberships(got.Sub)[0]
				fmt.Fprintf(&b, " copy v%d names=%v free=%v", cp.Version, ix.Names(&domain.Member{RoleIDs: cp.RoleIDs}), cp.LegacyRoles)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func lastNames(rs []domain.Role, n int) []string {
	var out []string
	for _, r := range rs[max(0, len(rs)-n):] {
		out = append(out, r.Name)
	}
	return out
}

// The sweep's one-time migration of the free-text roles: names in use
// become catalogue roles (without case, once each), members hold their ids;
// past the catalogue's 100 roles names stay free text. In bounded steps that
// resume from the marker; run again, or from the start after a crash that
// lost the marker, it changes nothing more.
func testRolesMigration(t *testing.T, w *world) {
	acme, full, none := w.customer("Acme"), w.customer("Full"), w.customer("Empty")
	for i := range domain.MaxCatalogueRoles - 1 {
		r := w.role(full.ID, fmt.Sprintf("Role %02d", i))
		noErr(t, w.s.ChangeRole(w.ctx(), state.RoleChange{After: &r, Event: w.event(full.Scope())}), "fill the catalogue")
	}
	legacy := func(c domain.Customer, email string, enabled bool, roles ...string) domain.Member {
		m, _ := w.invited(c.Scope(), email)
		if enabled {
			m = w.enabled(c.Scope(), email, false)
		}
		m.LegacyRoles = roles
		return w.create(m)
	}
	ms := []domain.Member{
		legacy(acme, "a@acme.example", true, "Sales", "sales", "Buyers"),
		legacy(acme, "b@acme.example", false, "BUYERS", "Support"),
		legacy(acme, "c@acme.example", false),
		legacy(full, "d@full.example", true, "Role 03", "Newcomer", "Overflow"),
		legacy(full, "e@full.example", false, "overflow"),
	}
	for i := range 7 {
		legacy(acme, fmt.Sprintf("x%d@acme.example", i), false, "Support")
	}
	customers := []domain.Customer{acme, full, none}
	sw := &sweep.Sweeper{Store: w.s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return w.now }}
	run := func(limit int) int {
		t.Helper()
		steps := 0
		for ; steps < 100; steps++ {
			more, err := sw.MigrateRoles(w.ctx(), limit)
			noErr(t, err, "migrate")
			if !more {
				return steps + 1
			}
		}
		t.Fatal("the migration does not end")
		return 0
	}
	// Bounded steps: a few members each, resumed from the marker.
	if steps := run(3); steps < 4 {
		t.Fatalf("the migration took %d steps of 3 members", steps)
	}
	want := `Acme: 3 roles [Buyers Sales Support]
  a@acme.example v2 ids=2 names=[Sales Buyers] free=[] copy v2 names=[Sales Buyers] free=[]
  b@acme.example v2 ids=2 names=[Buyers Support] free=[]
  c@acme.example v1 ids=0 names=[] free=[]
Full: 100 roles [Role 95 Role 96 Role 97 Role 98]
  d@full.example v2 ids=2 names=[Role 03 Newcomer] free=[Overflow] copy v2 names=[Role 03 Newcomer] free=[Overflow]
  e@full.example v1 ids=0 names=[] free=[overflow]
Empty: 0 roles []
`
	got := w.rolesState(customers, ms)
	if got != want {
		t.Fatalf("after the migration:\n%s\nwant:\n%s", got, want)
	}
	// Done is done: another run reads the marker and changes nothing.
	if steps := run(3); steps != 1 {
		t.Fatalf("a finished migration took %d steps", steps)
	}
	// A crash that lost the marker (the migration begins again): nothing
	// is made twice, nobody is rewritten again.
	noErr(t, w.s.PutMigration(w.ctx(), "roles", state.Migration{}), "lose the marker")
	run(500)
	if again := w.rolesState(customers, ms); again != want {
		t.Fatalf("run again from the start:\n%s\nwant:\n%s", again, want)
	}
}
