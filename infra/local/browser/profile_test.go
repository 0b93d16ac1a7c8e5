package browser

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The seed's "Change the service information": the customer's portal
// admin opens the organization profile, reads the provider's service
// agreements, and adds, changes and deletes the organization's addresses.
func TestAPortalAdminKeepsTheOrganizationProfile(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Profile"))
	boss := a.newPortalAdmin(cu.ID, "boss")
	today := now().UTC()
	a.call("POST", "/v1/customers/"+cu.ID+"/service-agreements", map[string]any{"name": "Maintenance", "reference": "SLA-7",
		"startsOn": today.AddDate(0, -1, 0).Format("2006-01-02"), "endsOn": today.AddDate(1, 0, 0).Format("2006-01-02")}, 201, nil)

	pa := signedIn(t, "portal admin", boss, password)
	pa.click(`nav a[href="#/c/` + cu.ID + `/profile"]`)
	pa.waitText("main h1", "Organization profile of "+cu.Name)
	pa.waitText("#agreements", "SLA-7")
	pa.waitText("#agreements", "Active")
	pa.waitText("#addresses", "No addresses yet.")
	pa.checkA11y("organization profile (portal admin)")
	if n := pa.eval(`String(document.querySelectorAll('#edit-customer, #offboard, #add-agreement, #agreements button').length)`); n != "0" {
		t.Fatalf("a portal admin sees %s of the provider's controls", n)
	}

	// Add: the API's field error shows next to its field, then it is added.
	pa.click("#add-address")
	pa.visible("#address-form")
	pa.choose("#address-form select[name=kind]", "shipping")
	pa.typeInto("#address-form input[name=label]", "Warehouse")
	pa.typeInto("#address-form textarea[name=lines]", "Havenstraat 12\nDock 3")
	pa.typeInto("#address-form input[name=postalCode]", "3011 ab")
	pa.choose("#address-form select[name=country]", "NL")
	pa.refused("#address-form", "city", "Use 1 to 100 characters.")
	pa.checkA11y("address, a field refused")
	pa.typeInto("#address-form input[name=city]", "Rotterdam")
	pa.submit("#address-form", "The address is added.")
	pa.waitText("#addresses", "Shipping address")
	pa.waitText("#addresses", "Havenstraat 12, Dock 3, 3011 AB Rotterdam, Netherlands")
	pa.checkA11y("organization profile, an address")

	// Change it, then delete it after "Are you sure?".
	pa.click(`#addresses button[data-action=edit]`)
	pa.visible("#address-form")
	pa.retype("#address-form input[name=city]", "Schiedam")
	pa.submit("#address-form", "The address is changed.")
	pa.waitText("#addresses", "3011 AB Schiedam")
	var list struct {
		Items []struct {
			City, Country, PostalCode string
			Lines                     []string
			Version                   int
		}
	}
	a.call("GET", "/v1/customers/"+cu.ID+"/addresses", nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].City != "Schiedam" || list.Items[0].Version != 2 || strings.Join(list.Items[0].Lines, "|") != "Havenstraat 12|Dock 3" {
		t.Fatalf("the API holds %+v", list.Items)
	}
	pa.click(`#addresses button[data-action=delete]`)
	pa.visible("dialog.confirm")
	pa.checkA11y("confirm address delete")
	pa.click("#confirm-yes")
	pa.waitText("#notice", "The address is deleted.")
	pa.waitText("#addresses", "No addresses yet.")
	pa.click(`nav a[href="#/c/` + cu.ID + `/audit"]`)
	pa.waitText("#audit", "Address deleted")
	pa.waitText("#audit", "Address added")
}

// An operator admin, whose browser speaks Dutch, renames a customer and
// offboards it: the name must be typed to confirm, then the job's progress
// follows the sweep to the end, and the provider's trail keeps the one
// event.
func TestAnOperatorAdminRenamesAndOffboardsACustomer(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Leaving"))
	for range 2 {
		u := uniqueEmail("leaver")
		a.invite(cu.ID, map[string]any{"email": u})
		acceptByAPI(t, u)
	}
	a.invite(cu.ID, map[string]any{"email": uniqueEmail("pending")})
	a.call("POST", "/v1/customers/"+cu.ID+"/service-agreements", map[string]any{"name": "Onderhoud", "reference": "SLA-NL",
		"startsOn": "2026-01-01", "endsOn": "2026-12-31"}, 201, nil)

	op := asOperator(t, "operator", language("nl"))
	op.navigate(site + "/#/c/" + cu.ID + "/profile")
	op.waitText("main h1", "Organisatieprofiel van "+cu.Name)
	op.waitText("#agreements", "SLA-NL")
	op.checkA11y("organization profile (operator, NL)")

	renamed := unique("Vertrekkend")
	op.click("#edit-customer")
	op.visible("#customer-form")
	op.checkA11y("edit customer")
	op.retype("#customer-form input[name=name]", renamed)
	op.choose("#customer-form select[name=locale]", "nl")
	op.submit("#customer-form", "De klant heet nu "+renamed+".")
	op.waitText("#customer-name", renamed)
	op.waitText("#customer-locale", "Nederlands")
	op.waitText("main h1", renamed)

	op.click("#offboard")
	op.visible("#offboard-form")
	op.typeInto("#offboard-form input[name=confirm]", cu.Name) // the old name
	op.refused("#offboard-form", "confirm", "Typ de naam precies zoals hij er staat.")
	op.checkA11y("offboard, the name refused")
	a.call("GET", "/v1/customers/"+cu.ID, nil, 200, nil) // nothing happened yet
	op.retype("#offboard-form input[name=confirm]", renamed)
	op.click("#offboard-form [data-role=submit]")
	op.waitText("main h1", renamed+" wordt verwijderd")
	op.waitText("#job-state", "Bezig")
	op.waitText(`#job-steps li[data-state=now]`, "gebruikers verwijderen")
	op.checkA11y("offboarding, in progress")
	a.call("GET", "/v1/customers/"+cu.ID, nil, 404, nil) // gone at once

	// The schedule's sweep does the work; the page follows it.
	if _, err := st.Sweep(context.Background(), time.Minute); err != nil {
		t.Fatal(err)
	}
	op.waitText("#job-state", renamed+" is verwijderd.")
	op.waitText(`#job-removed dd[data-count=members]`, "3")
	op.waitText(`#job-removed dd[data-count=invitations]`, "1")
	if n := op.eval(`String(document.querySelectorAll('#job-steps li[data-state=done]').length)`); n != "4" {
		t.Fatalf("%s steps done", n)
	}
	op.checkA11y("offboarding, done")
	op.click("#to-customers")
	op.waitText("main h1", "Klanten")
	if strings.Contains(op.text("main"), renamed) {
		t.Fatal("the offboarded customer is still listed")
	}
	op.click(`nav a[href="#/audit"]`)
	op.waitText("main h1", "Logboek van de dienstverlener")
	op.waitText("#provider-audit", "Klant verwijderd")
	op.waitText("#provider-audit", renamed)
	op.waitText("#provider-audit", "Klant gewijzigd")
	op.checkA11y("provider trail")
}
