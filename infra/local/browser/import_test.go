package browser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// importFile writes a CSV file of rows for the file picker.
func importFile(t *testing.T, rows string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(path, []byte("email,name,admin,roles\n"+rows), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (p *page) pickFile(sel, path string) {
	p.t.Helper()
	p.do("pick "+path, chromedp.SetUploadFiles(chromedp.CSS(sel), []string{path}))
}

// A customer's portal admin imports people from a CSV file: the check says
// what each row would do, the import runs with its progress bar to the
// end, the outcomes can be downloaded; the new person got one invitation.
// The same screen speaks Dutch.
func TestAPortalAdminImportsPeopleFromAFile(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Import"))
	a.newRoles(cu.ID, "Buyer") // the file's role, from the catalogue
	boss := a.newPortalAdmin(cu.ID, "boss")
	existing := uniqueEmail("old")
	a.invite(cu.ID, map[string]any{"email": existing})
	fresh := uniqueEmail("new")
	file := importFile(t, fresh+",New Person,no,Buyer\n"+existing+",,,\nnot an address,,,\n")

	pa := signedIn(t, "portal admin", boss, password)
	pa.click(`nav a[href="#/c/` + cu.ID + `/import"]`)
	pa.waitText("main h1", "Import people into "+cu.Name)
	pa.checkA11y("import")
	pa.click("#import-check")
	pa.waitText("#import-result", "Choose a CSV file first.")
	pa.pickFile("#import-file", file)
	pa.click("#import-check")
	pa.waitText("#import-summary", "3 rows: 1 to invite, 1 already members, 1 invalid.")
	pa.waitText(`#import-rows tr[data-row="3"]`, "invalid_email")
	pa.checkA11y("import, the file checked")
	if n := len(emailsTo(t, fresh)); n != 0 {
		t.Fatalf("the check sent %d e-mails", n)
	}
	pa.click("#import-run")
	pa.waitText("#import-state", "Done: 1 invited, 1 already members, 1 invalid.")
	pa.visible("#import-download")
	pa.checkA11y("import, done")
	pa.click("#import-download")
	if n := len(emailsTo(t, fresh)); n != 1 {
		t.Fatalf("the new person got %d e-mails", n)
	}
	if us := a.users(cu.ID, "?search="+fresh); len(us) != 1 || us[0].Name != "New Person" {
		t.Fatalf("the API holds %+v", us)
	}

	nl := signedIn(t, "portal admin (Dutch)", boss, password, language("nl-NL,nl"))
	nl.navigate(site + "/#/c/" + cu.ID + "/import")
	nl.waitText("main h1", "Mensen importeren in "+cu.Name)
	nl.pickFile("#import-file", file)
	nl.click("#import-check")
	nl.waitText("#import-summary", "3 regels: 0 uit te nodigen, 2 al lid, 1 ongeldig.")
	nl.checkA11y("import (Dutch), the file checked")
}

// An operator gives a user an end to their access in the edit dialog, sees
// it there again, and clears it.
func TestAnOperatorSetsAndClearsAUsersAccessEnd(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Until"))
	addr := uniqueEmail("contractor")
	u := a.invite(cu.ID, map[string]any{"email": addr, "name": "Contractor"})
	until := func() *string {
		var got struct {
			AccessUntil *string `json:"accessUntil"`
		}
		a.call("GET", "/v1/customers/"+cu.ID+"/users/"+u.ID, nil, 200, &got)
		return got.AccessUntil
	}
	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/users")
	op.click(row(addr) + ` button[data-action=edit]`)
	op.visible("#edit-form input[name=accessUntil]")
	op.checkA11y("edit a user, with the end of their access")
	op.eval(`(() => { document.querySelector('#edit-form input[name=accessUntil]').value = '2030-01-15T09:30'; return ''; })()`)
	op.click("#edit-form [data-role=submit]")
	op.gone("#edit-form")
	if v := until(); v == nil || !strings.HasPrefix(*v, "2030-01-1") {
		t.Fatalf("accessUntil %v", v)
	}
	op.click(row(addr) + ` button[data-action=edit]`)
	op.visible("#edit-form input[name=accessUntil]") // it opens once the role catalogue is read
	if v := op.eval(`document.querySelector('#edit-form input[name=accessUntil]').value`); v != "2030-01-15T09:30" {
		t.Fatalf("the dialog shows %q", v)
	}
	op.eval(`(() => { document.querySelector('#edit-form input[name=accessUntil]').value = ''; return ''; })()`)
	op.click("#edit-form [data-role=submit]")
	op.gone("#edit-form")
	if v := until(); v != nil {
		t.Fatalf("accessUntil %v after clearing it", *v)
	}
}
