//go:build screenshots

package browser

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestScreenshots remakes docs/screenshots/*.png from a customer it sets up.
// It is built only when asked for, so that make test does not rewrite the
// documentation:
//
//	go test -tags screenshots ./infra/local/browser/ -run TestScreenshots -count=1
func TestScreenshots(t *testing.T) {

	// A customer with people in every state.
	a := admin(t)
	cu := a.newCustomer("Acme Facilities")
	service := a.newPortal(cu.ID, "Service portal", "https://service.acme-facilities.example")
	maint := a.newPortal(cu.ID, "Maintenance portal", "https://maintenance.acme-facilities.example")
	a.newRoles(cu.ID, "Portal managers", "Finance", "Facilities", "Reports")
	people := []struct {
		email, name string
		admin       bool
		roles       []string
		portals     []string
		accept      bool
	}{
		{"alice.jansen@acme-facilities.example", "Alice Jansen", true, []string{"Portal managers"}, []string{service.ID, maint.ID}, true},
		{"bas.devries@acme-facilities.example", "Bas de Vries", false, []string{"Finance"}, []string{service.ID}, true},
		{"carmen.ortiz@acme-facilities.example", "Carmen Ortiz", false, []string{"Facilities", "Reports"}, []string{maint.ID}, true},
		{"dirk.bakker@acme-facilities.example", "Dirk Bakker", false, nil, []string{service.ID}, false},
		{"eva.smit@acme-facilities.example", "Eva Smit", false, []string{"Finance"}, []string{service.ID}, false},
		{"femke.visser@acme-facilities.example", "Femke Visser", false, nil, []string{maint.ID}, true},
	}
	ids := map[string]string{}
	for _, p := range people {
		body := map[string]any{"email": p.email, "name": p.name, "admin": p.admin, "portalIds": p.portals}
		if p.roles != nil {
			body["roles"] = p.roles
		}
		ids[p.email] = a.invite(cu.ID, body).ID
		if p.accept {
			acceptByAPI(t, p.email)
		}
	}
	a.call("POST", "/v1/customers/"+cu.ID+"/users/"+ids["femke.visser@acme-facilities.example"]+"/disable", nil, 200, nil)
	clockOffset.Add(int64(cooldown + time.Second))
	a.call("POST", "/v1/customers/"+cu.ID+"/users/"+ids["eva.smit@acme-facilities.example"]+"/reinvite", nil, 200, nil)

	signin := open(t, "visitor")
	signin.navigate(site + "/")
	signin.visible("#signin-email")
	signin.shoot("sign-in.png", false)

	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/users")
	op.visible(row("alice.jansen@acme-facilities.example"))
	op.do("blur", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	op.shoot("console-users.png", false)

	op.click("#add-users")
	op.click(`#add-form input[name=mode][value=many]`)
	op.typeInto("#add-form textarea[name=list]", "gerrit.mulder@acme-facilities.example\nhanna.peters@acme-facilities.example; ilse.kok@acme-facilities.example")
	op.click(`#add-form input[name=roles][value="Reports"]`)
	op.click(`#add-form input[name=portalIds][value="` + service.ID + `"]`)
	op.shoot("console-add-users.png", false)
	op.click("#add-form [data-role=cancel]")

	op.click(row("bas.devries@acme-facilities.example") + ` button[data-action=disable]`)
	op.visible("dialog.confirm")
	op.shoot("console-confirm.png", false)
	op.click("#confirm-no")

	op.navigate(site + "/#/c/" + cu.ID + "/audit")
	op.visible("#audit")
	op.shoot("console-audit.png", false)

	mobile := asOperator(t, "operator on a phone", phone())
	mobile.navigate(site + "/#/c/" + cu.ID + "/users?status=unconfirmed")
	mobile.visible(row("dirk.bakker@acme-facilities.example"))
	if d := mobile.eval(`getComputedStyle(document.querySelector('#people td')).display`); d != "grid" {
		t.Errorf("on a phone the table cells are %q, want cards (grid)", d)
	}
	mobile.shoot("console-users-phone.png", false)

	user := signedIn(t, "portal user", "bas.devries@acme-facilities.example", password)
	user.visible("#memberships")
	user.shoot("console-home-portal-user.png", false)

	addr := "joost.meijer@acme-facilities.example"
	a.invite(cu.ID, map[string]any{"email": addr, "portalIds": []string{service.ID}})
	in := open(t, "invitee", language("nl-NL,nl"))
	in.navigate(latestLink(t, addr, 1))
	in.visible("#accept-form")
	in.do("blur", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	in.shoot("accept-invitation-nl.png", false)
	en := open(t, "invitee (English)")
	en.navigate(latestLink(t, addr, 1))
	en.visible("#accept-form")
	en.do("blur", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	en.shoot("accept-invitation.png", false)
}
