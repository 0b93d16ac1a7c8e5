package browser

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// An admin edits a user's name, admin flag, roles and portal setups; when
// someone else changed the user in between, the console says so and shows
// the newer version.
func TestAnOperatorEditsAUserAndHearsOfAConcurrentChange(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Edit"))
	p := a.newPortal(cu.ID, "Service desk", "https://service.edit.example")
	addr := uniqueEmail("erik")
	a.newRoles(cu.ID, "Auditors", "Finance")
	u := a.invite(cu.ID, map[string]any{"email": addr, "name": "Erik"})

	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/users")
	op.click(row(addr) + ` button[data-action=edit]`)
	op.visible("#edit-form")
	op.focused("name", "name", "the name field")
	op.checkA11y("edit user")
	op.retype("#edit-form input[name=name]", "Erik Edited")
	op.click("#edit-form input[name=admin]")
	op.click(`#edit-form input[name=roles][value="Auditors"]`)
	op.click(`#edit-form input[name=roles][value="Finance"]`)
	op.click(`#edit-form input[name=portalIds][value="` + p.ID + `"]`)
	op.submit("#edit-form", "The changes to "+addr+" were saved.")
	op.gone("#edit-form")
	op.waitText(row(addr), "Erik Edited")
	op.waitText(row(addr), "Auditors, Finance")
	op.waitText(row(addr), "Service desk")
	// The row was drawn again; the focus is back on its Edit button.
	if focused := op.eval(`document.activeElement.dataset.action + ' ' + document.activeElement.closest('tr').dataset.email`); focused != "edit "+addr {
		t.Fatalf("focus on %q", focused)
	}
	got := a.users(cu.ID, "")[0]
	if got.Name != "Erik Edited" || !got.Admin || strings.Join(got.Roles, "|") != "Auditors|Finance" || len(got.PortalIDs) != 1 {
		t.Fatalf("%+v", got)
	}

	// The dialog holds the version it read; another change lands first.
	op.click(row(addr) + ` button[data-action=edit]`)
	op.visible("#edit-form")
	a.call("PATCH", "/v1/customers/"+cu.ID+"/users/"+u.ID, map[string]any{"name": "Changed Elsewhere"}, 200, nil)
	op.click(`#edit-form input[name=roles][value="Auditors"]`) // untick it
	op.submit("#edit-form", "Someone else changed this user in the meantime.")
	op.checkA11y("users, a concurrent change")
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
	boss := a.newPortalAdmin(cu.ID, "boss")

	pa := signedIn(t, "portal admin", boss, password)
	pa.waitText("#memberships", "You are a portal admin of this customer.")
	pa.checkA11y("home (portal admin)")
	if n := pa.eval(`String(document.querySelectorAll('nav a[href="#/customers"], nav a[href="#/operators"]').length)`); n != "0" {
		t.Fatalf("%s operator links for a portal admin", n)
	}
	pa.click(`nav a[href="#/c/` + cu.ID + `/users"]`)
	pa.waitText("main h1", "Users of "+cu.Name)
	pa.waitText(row(boss), "Enabled")
	pa.checkA11y("users (portal admin)")

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
	pa.checkA11y("audit (portal admin)")
}

// The operator admin invites a technician; the invitation is to the admin
// console, and the technician signs in as an operator without the
// operators page.
func TestAnOperatorAdminInvitesATechnician(t *testing.T) {
	addr := uniqueEmail("tech")
	op := asOperator(t, "operator admin")
	op.click(`nav a[href="#/operators"]`)
	op.waitText("main h1", "Operators")
	op.checkA11y("operators")
	op.click("#add-users")
	op.visible("#add-email")
	op.typeInto("#add-email", addr)
	op.typeInto("#add-form input[name=name]", "Tess Tech")
	op.submit("#add-form", "An invitation was sent to "+addr+".")
	op.waitText(row(addr), "technician")
	op.waitText(row(addr), "Unconfirmed")
	op.checkA11y("operators, one invited")

	in := open(t, "technician")
	in.navigate(latestLink(t, addr, 1))
	in.waitText("#invited", "You are invited to the admin console as "+addr+".")
	in.checkA11y("accept invitation (operator)")
	in.typeInto("#password", password)
	in.typeInto("#confirm", password)
	in.click("#accept-submit")
	in.visible("#done")
	in.signIn(addr, password)
	in.waitText("main", "You are an operator (technician) of the provider")
	in.checkA11y("home (technician)")
	in.visible(`nav a[href="#/customers"]`)
	if n := in.eval(`String(document.querySelectorAll('nav a[href="#/operators"], #new-customer').length)`); n != "0" {
		t.Fatal("a technician sees the operator admin's controls")
	}
	op.do("reload", chromedp.Reload())
	op.waitText(row(addr), "Enabled")
}

// The console works from the keyboard: a dialog opens with Enter, takes the
// focus, closes with Escape and gives the focus back.
func TestDialogsWorkFromTheKeyboard(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Keys"))
	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/users")
	op.visible("#add-users")
	op.do("press Enter on Add users", chromedp.Focus(chromedp.CSS("#add-users")), chromedp.KeyEvent(kb.Enter))
	op.visible("#add-form")
	op.focused("id", "add-email", "the e-mail field")
	// Every field of the dialog has a label.
	if n := op.eval(`String([...document.querySelectorAll('#add-form input, #add-form textarea, #add-form select')].filter(e => !e.labels || !e.labels.length).length)`); n != "0" {
		t.Fatalf("%s fields without a label", n)
	}
	op.do("press Escape", chromedp.KeyEvent(kb.Escape))
	op.gone("#add-form")
	op.focused("id", "add-users", "the Add users button")
	// The same for a form with an error: Enter submits, the error is announced next to the field.
	op.do("press Enter on Add users", chromedp.KeyEvent(kb.Enter))
	op.visible("#add-email")
	op.do("type and press Enter", chromedp.KeyEvent("not an address"+kb.Enter))
	op.waitText("#add-form [data-field=email] .field-error", "Enter one valid e-mail address.")
	if id := op.eval(`document.activeElement.getAttribute('aria-invalid') + ' ' + document.activeElement.id`); id != "true add-email" {
		t.Fatalf("focus: %q", id)
	}
	op.checkA11y("add users, an address refused")
}
