//go:build screenshots

package browser

import (
	"testing"
	"time"
)

// TestScreenshotsOfTheProfile makes docs/screenshots/console-profile*.png,
// console-offboarding.png and console-provider-audit.png, beside the
// others (TestScreenshots):
//
//	go test -tags screenshots ./infra/local/browser/ -run TestScreenshotsOfTheProfile -count=1
func TestScreenshotsOfTheProfile(t *testing.T) {

	a := admin(t)
	cu := a.newCustomer("Acme Facilities")
	base := "/v1/customers/" + cu.ID
	for _, ad := range []map[string]any{
		{"kind": "legal", "lines": []string{"Coolsingel 40"}, "postalCode": "3011 AD", "city": "Rotterdam", "region": "Zuid-Holland", "country": "NL"},
		{"kind": "actual", "lines": []string{"Weena 505", "7th floor"}, "postalCode": "3013 AL", "city": "Rotterdam", "country": "NL"},
		{"kind": "shipping", "label": "Warehouse Waalhaven", "lines": []string{"Waalhaven Zuidzijde 21"}, "postalCode": "3089 JH", "city": "Rotterdam", "country": "NL"},
		{"kind": "shipping", "label": "Depot Antwerp", "lines": []string{"Noorderlaan 133"}, "postalCode": "2030", "city": "Antwerpen", "country": "BE"},
	} {
		a.call("POST", base+"/addresses", ad, 201, nil)
	}
	year := now().UTC().Year()
	for _, ag := range []map[string]any{
		{"name": "Facility maintenance", "reference": "SLA-2024-017", "startsOn": time.Date(year-2, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02"), "endsOn": time.Date(year-1, 12, 31, 0, 0, 0, 0, time.UTC).Format("2006-01-02")},
		{"name": "Facility maintenance", "reference": "SLA-2026-004", "startsOn": time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02"), "endsOn": time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC).Format("2006-01-02")},
		{"name": "24/7 support", "reference": "SUP-2027-001", "startsOn": time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02"), "endsOn": time.Date(year+2, 12, 31, 0, 0, 0, 0, time.UTC).Format("2006-01-02")},
	} {
		a.call("POST", base+"/service-agreements", ag, 201, nil)
	}

	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/profile")
	op.visible("#addresses")
	op.shoot("console-profile.png", true)

	nl := asOperator(t, "operator (Dutch)", language("nl-NL,nl"))
	nl.navigate(site + "/#/c/" + cu.ID + "/profile")
	nl.visible("#addresses")
	nl.shoot("console-profile-nl.png", true)

	leaving := a.newCustomer("Old Harbour Logistics")
	for _, e := range []string{"mark.dekker@oldharbour.example", "sara.bos@oldharbour.example"} {
		a.invite(leaving.ID, map[string]any{"email": e})
	}
	op.navigate(site + "/#/c/" + leaving.ID + "/profile")
	op.click("#offboard")
	op.typeInto("#offboard-form input[name=confirm]", leaving.Name)
	op.shoot("console-offboard-confirm.png", true)
	op.click("#offboard-form [data-role=submit]")
	op.visible("#job-steps")
	op.shoot("console-offboarding.png", true)

	op.navigate(site + "/#/audit")
	op.visible("#provider-audit")
	op.shoot("console-provider-audit.png", true)
}
