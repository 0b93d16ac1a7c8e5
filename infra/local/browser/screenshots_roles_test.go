//go:build screenshots

package browser

import "testing"

// TestScreenshotsOfTheRoles makes docs/screenshots/console-roles*.png (a
// customer's role catalogue), console-selection*.png (the action bar of a
// selection and its confirmation) and console-counts.png (the categories'
// counts, with people added now and invited later):
//
//	go test -tags screenshots ./infra/local/browser/ -run TestScreenshotsOfTheRoles -count=1
func TestScreenshotsOfTheRoles(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer("Northwind Facilities")
	base := "/v1/customers/" + cu.ID
	for _, r := range []map[string]any{
		{"name": "Account managers", "description": "See the contracts and the invoices of their accounts."},
		{"name": "Facility planners", "description": "Book maintenance visits and rooms."},
		{"name": "Finance", "description": "Read and pay invoices."},
		{"name": "Reports"},
		{"name": "Service desk", "description": "Open and follow service requests."},
	} {
		a.call("POST", base+"/roles", r, 201, nil)
	}
	people := []struct {
		email, name string
		roles       any
		accept      bool
		later       bool
	}{
		{"anna.dekker@northwind.example", "Anna Dekker", "all", true, false},
		{"bram.hendriks@northwind.example", "Bram Hendriks", []string{"Finance"}, true, false},
		{"chantal.vos@northwind.example", "Chantal Vos", []string{"Facility planners", "Service desk"}, true, false},
		{"daan.mulder@northwind.example", "Daan Mulder", []string{"Reports"}, true, false},
		{"esther.kuipers@northwind.example", "Esther Kuipers", []string{"Service desk"}, false, false},
		{"floris.jong@northwind.example", "Floris de Jong", []string{"Facility planners"}, false, true},
		{"gwen.peeters@northwind.example", "Gwen Peeters", []string{"Finance"}, false, true},
	}
	for _, p := range people {
		body := map[string]any{"email": p.email, "name": p.name, "roles": p.roles}
		if p.later {
			body["sendInvitation"] = false
		}
		a.invite(cu.ID, body)
		if p.accept {
			acceptByAPI(t, p.email)
		}
	}
	a.call("POST", base+"/users/"+a.userByEmail(cu.ID, "daan.mulder@northwind.example").ID+"/disable", nil, 200, nil)

	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/roles")
	op.visible(roleRow("Service desk"))
	op.shoot("console-roles.png", true)

	op.navigate(site + "/#/c/" + cu.ID + "/users")
	op.visible(row("gwen.peeters@northwind.example"))
	op.waitText("#category-counts", "3 enabled")
	op.shoot("console-counts.png", true)

	selectSome := func(p *page) {
		t.Helper()
		for _, e := range []string{"esther.kuipers@northwind.example", "floris.jong@northwind.example", "gwen.peeters@northwind.example"} {
			p.click(row(e) + ` input[name=select]`)
		}
		p.visible("#selection-bar")
		p.click(`#selection-bar button[data-bulk=reinvite]`)
		p.visible("dialog.confirm")
	}
	selectSome(op)
	op.shoot("console-selection.png", false)
	op.click("#confirm-no")

	nl := asOperator(t, "operator (Dutch)", language("nl-NL,nl"))
	nl.navigate(site + "/#/c/" + cu.ID + "/roles")
	nl.visible(roleRow("Service desk"))
	nl.shoot("console-roles-nl.png", true)
	nl.navigate(site + "/#/c/" + cu.ID + "/users")
	nl.visible(row("gwen.peeters@northwind.example"))
	selectSome(nl)
	nl.shoot("console-selection-nl.png", false)
}
