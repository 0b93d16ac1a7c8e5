package browser

import (
	"strings"
	"testing"
)

// An admin edits a user's name, admin flag, roles and portal setups; when
// someone else changed the user in between, the console says so and shows
// the newer version.
func TestAnOperatorEditsAUserAndHearsOfAConcurrentChange(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Edit"))
	p := a.newPortal(cu.ID, "Service desk", "https://service.edit.example")
	addr := uniqueEmail("erik")
	u := a.invite(cu.ID, map[string]any{"email": addr, "name": "Erik"})

	op := open(t, "operator")
	op.signIn(st.Info.Admin.Email, st.Info.Admin.Password)
	op.navigate(site + "/#/c/" + cu.ID + "/users")
	op.click(row(addr) + ` button[data-action=edit]`)
	op.visible("#edit-form")
	if focused := op.eval(`document.activeElement.name`); focused != "name" {
		t.Fatalf("focus on %q, want the name field", focused)
	}
	op.clear("#edit-form input[name=name]")
	op.typeInto("#edit-form input[name=name]", "Erik Edited")
	op.click("#edit-form input[name=admin]")
	op.typeInto("#edit-form input[name=roles]", "Auditors, Finance")
	op.click(`#edit-form input[name=portalIds][value="` + p.ID + `"]`)
	op.click("#edit-form [data-role=submit]")
	op.waitText("#notice", "The changes to "+addr+" were saved.")
	op.gone("#edit-form")
	op.waitText(row(addr), "Erik Edited")
	op.waitText(row(addr), "Auditors, Finance")
	op.waitText(row(addr), "Service desk")
	if focused := op.eval(`document.activeElement.dataset.action || ''`); focused != "edit" {
		// The row was drawn again; focus must at least stay on the page.
		if tag := op.eval(`document.activeElement.tagName`); tag == "" {
			t.Fatal("focus was lost")
		}
	}
	got := a.users(cu.ID, "")[0]
	if got.Name != "Erik Edited" || !got.Admin || strings.Join(got.Roles, "|") != "Auditors|Finance" || len(got.PortalIDs) != 1 {
		t.Fatalf("%+v", got)
	}

	// The dialog holds the version it read; another change lands first.
	op.click(row(addr) + ` button[data-action=edit]`)
	op.visible("#edit-form")
	a.call("PATCH", "/v1/customers/"+cu.ID+"/users/"+u.ID, map[string]any{"name": "Changed Elsewhere"}, 200, nil)
	op.clear("#edit-form input[name=roles]")
	op.click("#edit-form [data-role=submit]")
	op.waitText("#notice", "Someone else changed this user in the meantime.")
	op.gone("#edit-form")
	op.waitText(row(addr), "Changed Elsewhere")
	op.waitText(row(addr), "Auditors, Finance") // our change was not applied
}

// A customer's own portal admin manages that customer's users, and nothing
// else; the last enabled admin cannot switch themselves off.
func TestAPortalAdminManagesTheirCustomerAndKeepsAnAdmin(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Own"))
	other := a.newCustomer(unique("Other"))
	boss := uniqueEmail("boss")
	a.invite(cu.ID, map[string]any{"email": boss, "name": "Boss", "admin": true})
	acceptByAPI(t, boss)

	pa := open(t, "portal admin")
	pa.signIn(boss, password)
	pa.waitText("#memberships", "You are a portal admin of this customer.")
	if n := pa.eval(`String(document.querySelectorAll('nav a[href="#/customers"], nav a[href="#/operators"]').length)`); n != "0" {
		t.Fatalf("%s operator links for a portal admin", n)
	}
	pa.click(`nav a[href="#/c/` + cu.ID + `/users"]`)
	pa.waitText("main h1", "Users of "+cu.Name)
	pa.waitText(row(boss), "Enabled")

	newcomer := uniqueEmail("newcomer")
	pa.click("#add-users")
	pa.visible("#add-email")
	pa.typeInto("#add-email", newcomer)
	pa.click("#add-form [data-role=submit]")
	pa.waitText(row(newcomer), "Unconfirmed")

	pa.click(row(boss) + ` button[data-action=disable]`)
	pa.click("#confirm-yes")
	pa.waitText("#notice", "A customer must keep at least one enabled admin.")
	pa.waitText(row(boss), "Enabled")

	// Another customer's pages are not theirs: the console shows home.
	pa.navigate(site + "/#/c/" + other.ID + "/users")
	pa.waitText("main h1", "Your access")
	pa.click(`nav a[href="#/c/` + cu.ID + `/audit"]`)
	pa.waitText("#audit", "Invited")
	pa.waitText("#audit", newcomer)
}

// The operator admin invites a technician; the invitation is to the admin
// console, and the technician signs in as an operator without the
// operators page.
func TestAnOperatorAdminInvitesATechnician(t *testing.T) {
	addr := uniqueEmail("tech")
	op := open(t, "operator admin")
	op.signIn(st.Info.Admin.Email, st.Info.Admin.Password)
	op.click(`nav a[href="#/operators"]`)
	op.waitText("main h1", "Operators")
	op.click("#add-users")
	op.visible("#add-email")
	op.typeInto("#add-email", addr)
	op.typeInto("#add-form input[name=name]", "Tess Tech")
	op.click("#add-form [data-role=submit]")
	op.waitText("#notice", "An invitation was sent to "+addr+".")
	op.waitText(row(addr), "technician")
	op.waitText(row(addr), "Unconfirmed")

	in := open(t, "technician")
	in.navigate(latestLink(t, addr, 1))
	in.waitText("#invited", "You are invited to the admin console as "+addr+".")
	in.typeInto("#password", password)
	in.typeInto("#confirm", password)
	in.click("#accept-submit")
	in.visible("#done")
	in.signIn(addr, password)
	in.waitText("main", "You are an operator (technician) of the provider")
	in.visible(`nav a[href="#/customers"]`)
	if n := in.eval(`String(document.querySelectorAll('nav a[href="#/operators"], #new-customer').length)`); n != "0" {
		t.Fatal("a technician sees the operator admin's controls")
	}
	op.navigate(site + "/#/operators")
	op.settled()
	op.waitText(row(addr), "Enabled")
}
