package browser

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

type roleItem struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	Version     int     `json:"version"`
}

// roleNames is customer cid's catalogue as the API has it, by name.
func (c *apiClient) roleNames(cid string) string {
	c.t.Helper()
	var l struct{ Items []roleItem }
	c.call("GET", "/v1/customers/"+cid+"/roles", nil, 200, &l)
	var out []string
	for _, r := range l.Items {
		d := ""
		if r.Description != nil {
			d = " (" + *r.Description + ")"
		}
		out = append(out, r.Name+d)
	}
	return strings.Join(out, ", ")
}

func (c *apiClient) user(cid, id string) user {
	c.t.Helper()
	var u user
	c.call("GET", "/v1/customers/"+cid+"/users/"+id, nil, 200, &u)
	return u
}

func (c *apiClient) userByEmail(cid, addr string) user {
	c.t.Helper()
	us := c.users(cid, "?search="+addr)
	if len(us) != 1 {
		c.t.Fatalf("%d users %s", len(us), addr)
	}
	return us[0]
}

func roleRow(name string) string { return `#roles tr[data-name="` + name + `"]` }

// Seed 002, "The list of available roles is shown on the Portal users
// detail" and "assign the invited user all functional roles": an operator
// keeps a customer's role catalogue — adds, describes, renames, deletes —
// and gives users its roles from a picker (one role, or all of them), one
// of them added now and invited later; a rename shows on the user's row at
// once, a delete takes the role off them, and the invitation not sent is
// sent from the row.
func TestAnOperatorKeepsTheRoleCatalogueAndGivesItsRoles(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Catalogue"))
	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/users")
	op.click(`nav a[href="#/c/` + cu.ID + `/roles"]`)
	op.waitText("main h1", "Roles of "+cu.Name)
	op.waitText("#roles", "This customer has no roles yet.")
	op.checkA11y("roles, none yet")

	// Add one, with a description; a second of the same name (another
	// case) is refused next to the name, and nothing is added.
	op.click("#add-role")
	op.visible("#role-form")
	op.focused("name", "name", "the name field")
	op.checkA11y("new role")
	op.refused("#role-form", "name", "Use 1 to 64 characters.")
	op.typeInto("#role-form input[name=name]", "Sales")
	op.typeInto("#role-form textarea[name=description]", "Sells the services.")
	op.submit("#role-form", "The role Sales was added.")
	op.waitText(roleRow("Sales"), "Sells the services.")
	op.click("#add-role")
	op.visible("#role-form")
	op.typeInto("#role-form input[name=name]", "SALES")
	op.refused("#role-form", "name", "has a role of this name already")
	op.checkA11y("new role, the name taken")
	if got := a.roleNames(cu.ID); got != "Sales (Sells the services.)" {
		t.Fatalf("after the refusal the catalogue is %q", got)
	}
	op.retype("#role-form input[name=name]", "Buyers")
	op.submit("#role-form", "The role Buyers was added.")
	op.waitText("#roles-count", "2 of at most 100 roles.")
	op.checkA11y("roles, two")
	if got := a.roleNames(cu.ID); got != "Buyers, Sales (Sells the services.)" {
		t.Fatalf("the catalogue is %q", got)
	}

	// Invite with the picker: one role; all roles, added now and invited later.
	one, later := uniqueEmail("one"), uniqueEmail("later")
	op.click(`nav a[href="#/c/` + cu.ID + `/users"]`)
	op.click("#add-users")
	op.visible("#add-email")
	op.visible("#role-picker")
	if n := op.eval(`String(document.querySelectorAll('#add-form input[name=roles]').length) + ' ' + String(document.querySelectorAll('#add-form input[type=text][name=roles]').length)`); n != "2 0" {
		t.Fatalf("the picker has %s (checkboxes, text fields)", n)
	}
	op.checkA11y("add users, the role picker")
	op.typeInto("#add-email", one)
	op.click(`#add-form input[name=roles][value="Sales"]`)
	op.submit("#add-form", "An invitation was sent to "+one+".")
	op.waitText(row(one), "Sales")
	op.click("#add-users")
	op.visible("#add-email")
	op.typeInto("#add-email", later)
	op.click(`#add-form input[name=allRoles]`)
	if n := op.eval(`String(document.querySelectorAll('#add-form input[name=roles]:checked:disabled').length)`); n != "2" {
		t.Fatalf("all roles ticks and locks %s of 2", n)
	}
	op.click(`#add-form input[name=sendInvitation]`)
	op.waitText("#add-form [data-role=submit]", "Add user")
	op.checkA11y("add users, all roles, invite later")
	op.submit("#add-form", later+" was added; the invitation is not sent yet.")
	op.waitText(row(later), "Not sent yet")
	op.waitText(row(later), "Buyers, Sales")
	op.waitText(row(later)+` button[data-action=reinvite]`, "Send invitation")
	op.checkA11y("users, an invitation not sent yet")
	u1, u2 := a.userByEmail(cu.ID, one), a.userByEmail(cu.ID, later)
	if strings.Join(u1.Roles, "|") != "Sales" || strings.Join(u2.Roles, "|") != "Buyers|Sales" {
		t.Fatalf("the API holds %v and %v", u1.Roles, u2.Roles)
	}
	if u2.Invitation == nil || u2.Invitation.State != "not_sent" || len(emailsTo(t, later)) != 0 {
		t.Fatalf("added for later: %+v, %d e-mails", u2.Invitation, len(emailsTo(t, later)))
	}

	// A pasted list, with all roles, added for later: nobody is e-mailed.
	b1, b2 := uniqueEmail("bulk"), uniqueEmail("bulk")
	op.click("#add-users")
	op.visible("#add-email")
	op.click(`#add-form input[name=mode][value=many]`)
	op.typeInto("#add-form textarea[name=list]", b1+"\n"+b2)
	op.click(`#add-form input[name=allRoles]`)
	op.click(`#add-form input[name=sendInvitation]`)
	op.waitText("#add-form [data-role=submit]", "Add users")
	op.click("#add-form [data-role=submit]")
	op.waitText("#bulk-results .summary", "2 added (invitation not sent yet), 0 already a member, 0 not valid.")
	op.waitText(`#bulk-results li[data-email="`+b1+`"]`, "added, invitation not sent yet")
	op.checkA11y("add users, a list added for later")
	op.click("#add-form [data-role=submit]") // Close
	op.gone("#add-form")
	op.waitText(row(b2), "Not sent yet")
	for _, e := range []string{b1, b2} {
		u := a.userByEmail(cu.ID, e)
		if u.Invitation == nil || u.Invitation.State != "not_sent" || strings.Join(u.Roles, "|") != "Buyers|Sales" || len(emailsTo(t, e)) != 0 {
			t.Fatalf("%s added for later: %+v, %d e-mails", e, u, len(emailsTo(t, e)))
		}
	}

	// Rename Sales: every user who has it shows the new name.
	op.click(`nav a[href="#/c/` + cu.ID + `/roles"]`)
	op.click(roleRow("Sales") + ` button[data-action=edit]`)
	op.visible("#role-form")
	op.checkA11y("change role")
	op.retype("#role-form input[name=name]", "Account managers")
	op.submit("#role-form", "The role Sales is now called Account managers, on every user who has it.")
	op.waitText(roleRow("Account managers"), "Sells the services.")
	op.click(`nav a[href="#/c/` + cu.ID + `/users"]`)
	op.waitText(row(one), "Account managers")
	op.waitText(row(later), "Account managers")
	if got := a.user(cu.ID, u2.ID).Roles; strings.Join(got, "|") != "Buyers|Account managers" {
		t.Fatalf("after the rename the API says %v", got)
	}

	// A change someone else made first: the dialog's version is stale, the
	// screen says so and shows the role as it is now; ours is not applied.
	var buyers struct {
		Items []roleItem
	}
	a.call("GET", "/v1/customers/"+cu.ID+"/roles", nil, 200, &buyers)
	op.click(`nav a[href="#/c/` + cu.ID + `/roles"]`)
	op.click(roleRow("Buyers") + ` button[data-action=edit]`)
	op.visible("#role-form")
	for _, r := range buyers.Items {
		if r.Name == "Buyers" {
			a.call("PATCH", "/v1/customers/"+cu.ID+"/roles/"+r.ID, map[string]any{"description": "Buy supplies."}, 200, nil)
		}
	}
	op.typeInto("#role-form textarea[name=description]", "Mine.")
	op.submit("#role-form", "Someone else changed or deleted this role in the meantime.")
	op.gone("#role-form")
	op.waitText(roleRow("Buyers"), "Buy supplies.")
	op.checkA11y("roles, a concurrent change")
	if got := a.roleNames(cu.ID); got != "Account managers (Sells the services.), Buyers (Buy supplies.)" {
		t.Fatalf("after the stale change the catalogue is %q", got)
	}

	// Delete Buyers, after a confirmation that says what it does.
	op.click(`nav a[href="#/c/` + cu.ID + `/roles"]`)
	op.click(roleRow("Buyers") + ` button[data-action=delete]`)
	op.visible("dialog.confirm")
	op.waitText("dialog.confirm", "It is removed from every user who has it.")
	op.checkA11y("confirm role delete")
	op.click("#confirm-no")
	op.gone("dialog.confirm")
	if got := a.roleNames(cu.ID); !strings.Contains(got, "Buyers") {
		t.Fatalf("No deleted it: %q", got)
	}
	op.click(roleRow("Buyers") + ` button[data-action=delete]`)
	op.click("#confirm-yes")
	op.waitText("#notice", "The role Buyers was deleted and removed from every user who had it.")
	op.gone(roleRow("Buyers"))
	if got := a.user(cu.ID, u2.ID).Roles; strings.Join(got, "|") != "Account managers" {
		t.Fatalf("after the delete the API says %v", got)
	}
	op.click(`nav a[href="#/c/` + cu.ID + `/users"]`)
	op.visible(row(later))
	if got := op.text(row(later) + ` td[data-label="Roles"]`); got != "Account managers" {
		t.Fatalf("the row's roles: %q", got)
	}

	// The edit dialog ticks the user's roles; choosing none takes them off.
	op.click(row(one) + ` button[data-action=edit]`)
	op.visible("#edit-form")
	if n := op.eval(`[...document.querySelectorAll('#edit-form input[name=roles]:checked')].map((i) => i.value).join('|')`); n != "Account managers" {
		t.Fatalf("the edit dialog ticks %q", n)
	}
	op.checkA11y("edit user, the role picker")
	op.click(`#edit-form input[name=roles][value="Account managers"]`)
	op.submit("#edit-form", "The changes to "+one+" were saved.")
	if got := a.user(cu.ID, u1.ID).Roles; len(got) != 0 {
		t.Fatalf("after the edit the API says %v", got)
	}

	// Send the invitation not sent yet, from its row.
	op.click(row(later) + ` button[data-action=reinvite]`)
	op.visible("dialog.confirm")
	op.waitText("dialog.confirm", "Send "+later+" their invitation now?")
	op.click("#confirm-yes")
	op.waitText("#notice", "The invitation was sent to "+later+".")
	op.waitText(row(later), "Pending")
	if got := a.user(cu.ID, u2.ID).Invitation; got == nil || got.State != "pending" || got.SendCount != 1 {
		t.Fatalf("sent later: %+v", got)
	}
	latestLink(t, later, 1)
	op.click(`nav a[href="#/c/` + cu.ID + `/audit"]`)
	op.waitText("#audit", "Role deleted")
	op.waitText("#audit", "Role changed")
	op.waitText("#audit", "Role added")

	// The operators' list counts its categories too.
	// Until the sweep has counted a scope written before the counts were
	// kept (the stack's first admin), the list has none, and shows none.
	op.click(`nav a[href="#/operators"]`)
	op.waitText("main h1", "Operators")
	op.visible(row(st.Info.Admin.Email))
	var ops struct {
		Counts *struct{ Enabled int } `json:"counts"`
	}
	a.call("GET", "/v1/operators", nil, 200, &ops)
	if ops.Counts == nil {
		if shown := op.eval(`document.getElementById('category-counts').hidden ? '' : 'shown'`); shown != "" || strings.Contains(op.text("#category"), "(") {
			t.Fatal("counts shown for a scope not counted yet")
		}
		if _, err := st.Sweep(context.Background(), time.Minute); err != nil {
			t.Fatal(err)
		}
		a.call("GET", "/v1/operators", nil, 200, &ops)
		op.navigate(site + "/#/operators?status=enabled")
	}
	if ops.Counts == nil {
		t.Fatal("the sweep did not count the operators")
	}
	op.waitText("#category-counts", fmt.Sprintf("%d enabled", ops.Counts.Enabled))
	op.waitText("#category option[value=enabled]", fmt.Sprintf("Enabled users (%d)", ops.Counts.Enabled))
	if n := op.eval(`String(document.querySelectorAll('#people input[name=select]').length)`); n != "0" {
		t.Fatalf("the operators' list has %s selection boxes", n)
	}
	op.checkA11y("operators, with counts")

	// The same screens in Dutch, and on a phone.
	nl := asOperator(t, "operator (Dutch), on a phone", language("nl-NL,nl"), phone())
	nl.navigate(site + "/#/c/" + cu.ID + "/roles")
	nl.waitText("main h1", "Rollen van "+cu.Name)
	nl.waitText(roleRow("Account managers"), "Wijzigen")
	nl.checkA11y("roles (NL, phone)")
	nl.click(roleRow("Account managers") + ` button[data-action=delete]`)
	nl.waitText("dialog.confirm", "Hij wordt weggehaald bij iedere gebruiker die hem heeft.")
	nl.checkA11y("confirm role delete (NL, phone)")
	nl.click("#confirm-no")
	nl.navigate(site + "/#/c/" + cu.ID + "/users")
	nl.click("#add-users")
	nl.visible("#role-picker")
	nl.waitText("#role-picker", "Alle rollen van de klant (1)")
	nl.waitText("#add-form", "De uitnodiging nu versturen")
	nl.checkA11y("add users, the role picker (NL, phone)")
}

// Seed 002, "Select the needed users → Send invites", and seed 003, "View
// the list of enabled, disabled, and unconfirmed users": a customer's
// portal admin sees how many users each category has, selects users on
// the page (one by one, or all on it), acts on them after one confirmation
// that says how many, and reads each one's outcome: done, refused and why
// (the last admin), not found (deleted meanwhile).
func TestAPortalAdminActsOnASelection(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Selection"))
	boss := a.newPortalAdmin(cu.ID, "boss")
	var on []user
	for range 3 {
		e := uniqueEmail("on")
		on = append(on, a.invite(cu.ID, map[string]any{"email": e}))
		acceptByAPI(t, e)
	}
	var later []user
	for range 2 {
		later = append(later, a.invite(cu.ID, map[string]any{"email": uniqueEmail("later"), "sendInvitation": false}))
	}
	users := "/v1/customers/" + cu.ID + "/users"

	pa := signedIn(t, "portal admin", boss, password)
	pa.click(`nav a[href="#/c/` + cu.ID + `/users"]`)
	pa.visible(row(on[0].Email))
	pa.waitText("#category-counts", "4 enabled · 0 disabled · 2 unconfirmed")
	pa.waitText("#category option[value=enabled]", "Enabled users (4)")
	pa.waitText(`#category option[value=""]`, "All users (6)")
	pa.waitText("#category option[value=unconfirmed]", "Unconfirmed users (2)")
	if !strings.Contains(pa.eval(`document.getElementById('selection-bar').hidden ? 'hidden' : 'shown'`), "hidden") {
		t.Fatal("the action bar shows with nobody selected")
	}
	pa.checkA11y("users with counts and checkboxes")

	// Two ticked: the bar says so; disable them after one confirmation.
	pa.click(row(on[0].Email) + ` input[name=select]`)
	pa.click(row(on[1].Email) + ` input[name=select]`)
	pa.visible("#selection-bar")
	pa.waitText("#selection-count", "2 users selected")
	if s := pa.eval(`document.getElementById('select-all').indeterminate ? 'some' : 'not'`); s != "some" {
		t.Fatalf("select all is %s", s)
	}
	pa.checkA11y("users, two selected")
	pa.click(`#selection-bar button[data-bulk=disable]`)
	pa.visible("dialog.confirm")
	pa.confirmAsks("Are you sure you want to disable 2 users? They can no longer sign in.", "confirm disabling a selection")
	pa.click("#confirm-no")
	pa.gone("dialog.confirm")
	if got := a.user(cu.ID, on[0].ID).Status; got != "enabled" {
		t.Fatalf("No disabled them: %s", got)
	}
	pa.click(`#selection-bar button[data-bulk=disable]`)
	pa.click("#confirm-yes")
	pa.waitText("#selection-outcomes", "Disabling: the outcome")
	pa.waitText("#selection-outcomes .summary", "2 done, 0 refused, 0 not found.")
	pa.waitText(`#selection-outcomes li[data-id="`+on[0].ID+`"]`, on[0].Email+" — disabled")
	pa.until("the focus is on the outcomes", `!!document.activeElement.closest('#selection-outcomes')`)
	pa.waitText("#live", "2 done, 0 refused, 0 not found.")
	pa.waitText(row(on[0].Email), "Disabled")
	pa.waitText("#category-counts", "2 enabled · 2 disabled · 2 unconfirmed")
	pa.until("the bar hides", `document.getElementById('selection-bar').hidden`)
	pa.checkA11y("users, the outcomes of a selection")
	for _, u := range on[:2] {
		if got := a.user(cu.ID, u.ID).Status; got != "disabled" {
			t.Fatalf("%s is %s", u.Email, got)
		}
	}

	// The last admin with another: the admin is refused, and says why; the other is done.
	pa.click(row(boss) + ` input[name=select]`)
	pa.click(row(on[2].Email) + ` input[name=select]`)
	pa.click(`#selection-bar button[data-bulk=disable]`)
	pa.click("#confirm-yes")
	pa.waitText("#selection-outcomes .summary", "1 done, 1 refused, 0 not found.")
	pa.waitText(`#selection-outcomes li[data-outcome=refused]`, boss+" — refused: the customer must keep at least one enabled admin")
	pa.waitText(`#selection-outcomes li[data-outcome=done]`, on[2].Email+" — disabled")
	if got := a.userByEmail(cu.ID, boss).Status; got != "enabled" {
		t.Fatalf("the last admin is %s", got)
	}

	// Unconfirmed ones, all on the page: their invitations go out.
	pa.choose("#category", "unconfirmed")
	pa.visible(row(later[0].Email))
	// From the keyboard: Space ticks them all, Enter opens the confirmation,
	// Escape closes it and gives the focus back.
	pa.do("tick all with Space", chromedp.Focus(chromedp.CSS("#select-all")), chromedp.KeyEvent(" "))
	pa.waitText("#selection-count", "2 users selected")
	pa.do("press Enter on Send invitations", chromedp.Focus(chromedp.CSS(`#selection-bar button[data-bulk=reinvite]`)), chromedp.KeyEvent(kb.Enter))
	pa.waitText("dialog.confirm", "Send an invitation to 2 users?")
	pa.do("press Escape", chromedp.KeyEvent(kb.Escape))
	pa.gone("dialog.confirm")
	if f := pa.eval(`document.activeElement.dataset.bulk || document.activeElement.tagName`); f != "reinvite" {
		t.Fatalf("focus on %q after Escape", f)
	}
	if n := len(emailsTo(t, later[0].Email)); n != 0 {
		t.Fatalf("Escape sent %d e-mails", n)
	}
	pa.do("press Enter again", chromedp.KeyEvent(kb.Enter))
	pa.visible("dialog.confirm")
	pa.click("#confirm-yes")
	pa.waitText("#selection-outcomes .summary", "2 done, 0 refused, 0 not found.")
	pa.waitText(`#selection-outcomes li[data-id="`+later[1].ID+`"]`, "invitation sent")
	for _, u := range later {
		latestLink(t, u.Email, 1)
		if got := a.user(cu.ID, u.ID).Invitation; got == nil || got.State != "pending" {
			t.Fatalf("%s: %+v", u.Email, got)
		}
		pa.waitText(row(u.Email), "Pending")
	}

	// One deleted meanwhile: not found; the other enabled.
	pa.choose("#category", "disabled")
	pa.visible(row(on[1].Email))
	pa.click(row(on[0].Email) + ` input[name=select]`)
	pa.click(row(on[1].Email) + ` input[name=select]`)
	a.call("DELETE", users+"/"+on[0].ID, nil, 204, nil)
	pa.click(`#selection-bar button[data-bulk=enable]`)
	pa.click("#confirm-yes")
	pa.waitText("#selection-outcomes .summary", "1 done, 0 refused, 1 not found.")
	pa.waitText(`#selection-outcomes li[data-outcome=not_found]`, on[0].Email+" — not found")
	pa.gone(row(on[1].Email)) // enabled: no longer in this category
	if got := a.user(cu.ID, on[1].ID).Status; got != "enabled" {
		t.Fatalf("%s is %s", on[1].Email, got)
	}
	pa.waitText("#category-counts", "2 enabled · 1 disabled · 2 unconfirmed")
	pa.click("#outcomes-close")
	pa.until("the outcomes close", `document.getElementById('selection-outcomes').hidden`)

	// Deleting a selection; then the same list in Dutch, on a phone.
	pa.choose("#category", "")
	pa.click(row(on[2].Email) + ` input[name=select]`)
	pa.click(`#selection-bar button[data-bulk=delete]`)
	pa.waitText("dialog.confirm", "Are you sure you want to delete 1 user? This cannot be undone.")
	pa.click("#confirm-yes")
	pa.waitText("#selection-outcomes .summary", "1 done, 0 refused, 0 not found.")
	pa.gone(row(on[2].Email))
	a.call("GET", users+"/"+on[2].ID, nil, 404, nil)

	nl := signedIn(t, "portal admin (Dutch), on a phone", boss, password, language("nl-NL,nl"), phone())
	nl.navigate(site + "/#/c/" + cu.ID + "/users")
	nl.visible(row(on[1].Email))
	nl.waitText("#category-counts", "2 ingeschakeld · 0 uitgeschakeld · 2 onbevestigd")
	nl.click("#select-all")
	nl.waitText("#selection-count", "4 gebruikers geselecteerd")
	nl.checkA11y("users, all selected (NL, phone)")
	nl.click(`#selection-bar button[data-bulk=disable]`)
	nl.waitText("dialog.confirm", "Weet je zeker dat je 4 gebruikers wilt uitschakelen?")
	nl.checkA11y("confirm disabling a selection (NL, phone)")
	nl.click("#confirm-no")
	nl.gone("dialog.confirm")
	if got := a.userByEmail(cu.ID, boss).Status; got != "enabled" {
		t.Fatalf("No did something: %s", got)
	}
}
