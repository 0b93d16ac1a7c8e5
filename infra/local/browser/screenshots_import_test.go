//go:build screenshots

package browser

import "testing"

// TestScreenshotsOfTheImport makes docs/screenshots/console-import*.png:
//
//	go test -tags screenshots ./infra/local/browser/ -run TestScreenshotsOfTheImport -count=1
func TestScreenshotsOfTheImport(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer("Acme Facilities")
	a.newRoles(cu.ID, "Planner", "Buyer") // the file's roles, from the catalogue
	a.invite(cu.ID, map[string]any{"email": "sara.bos@acme.example", "name": "Sara Bos"})
	file := importFile(t, "jan.devries@acme.example,Jan de Vries,no,Planner\n"+
		"sara.bos@acme.example,Sara Bos,no,\n"+
		"femke.jansen@acme.example,Femke Jansen,yes,Planner;Buyer\n"+
		"noor@acme,Noor,no,\n"+
		"lucas.visser@acme.example,Lucas Visser,no,Buyer\n")

	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/import")
	op.pickFile("#import-file", file)
	op.click("#import-check")
	op.visible("#import-rows")
	op.shoot("console-import.png", true)
	op.click("#import-run")
	op.waitText("#import-state", "Done:")
	op.shoot("console-import-done.png", true)

	nl := asOperator(t, "operator (Dutch)", language("nl-NL,nl"))
	nl.navigate(site + "/#/c/" + cu.ID + "/import")
	nl.pickFile("#import-file", file)
	nl.click("#import-check")
	nl.visible("#import-rows")
	nl.shoot("console-import-nl.png", true)
}
