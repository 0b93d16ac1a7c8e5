package browser

import (
	"strings"
	"testing"

	"github.com/portalaccess/portalaccess/infra/local/testkit"
)

type portalSetup = testkit.PortalSetup

func (c *apiClient) portals(cid string) []portalSetup {
	c.t.Helper()
	var list struct {
		Items []portalSetup `json:"items"`
	}
	c.call("GET", "/v1/customers/"+cid+"/portals", nil, 200, &list)
	return list.Items
}

// card is the CSS selector of a portal setup's card.
func card(id string) string { return `#portals li.setup[data-id="` + id + `"]` }

// An operator admin reads a portal setup's sign-in details and copies
// them, sees who reaches the portal, edits the setup (and hears when
// someone else changed it first) and deletes it after a confirmation that
// names it.
func TestAnOperatorAdminManagesAPortalSetup(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Setups"))
	p := a.newPortal(cu.ID, "Service desk", "https://service.setups.example")
	linked, other := uniqueEmail("linked"), uniqueEmail("other")
	u := a.invite(cu.ID, map[string]any{"email": linked, "portalIds": []string{p.ID}})
	a.invite(cu.ID, map[string]any{"email": other})
	setup := a.portals(cu.ID)[0]
	if setup.SignIn.ClientID == nil {
		t.Fatal("the setup has no app client")
	}

	op := asOperator(t, "operator admin")
	op.navigate(site + "/#/c/" + cu.ID + "/portals")
	op.waitText(card(p.ID)+" h2", "Service desk")
	for key, want := range map[string]string{
		"client-id": *setup.SignIn.ClientID, "issuer": st.Info.Cognito.Issuer,
		"discovery": st.Info.Cognito.Issuer + "/.well-known/openid-configuration", "redirect-uris": "https://service.setups.example/",
	} {
		if got := op.text(card(p.ID) + ` [data-detail="` + key + `"] code`); got != want {
			t.Errorf("%s shows %q, want %q", key, got, want)
		}
	}
	op.checkA11y("portal setups")
	op.allowClipboard(site)
	for _, key := range []string{"client-id", "discovery"} {
		op.click(card(p.ID) + ` button[data-copy="` + key + `"]`)
		op.waitText(card(p.ID)+` button[data-copy="`+key+`"]`, "Copied")
		if got, want := op.clipboard(), op.text(card(p.ID)+` [data-detail="`+key+`"] code`); got != want {
			t.Errorf("copied %q, want %q", got, want)
		}
	}
	if got := op.text(card(p.ID) + ` button[data-copy="client-id"]`); got != "Copy" {
		t.Errorf("the first Copy button still says %q", got)
	}

	// Who reaches the portal: the linked user only.
	op.click(card(p.ID) + ` [data-action=users]`)
	op.waitText("main h1", "Users of portal Service desk")
	op.waitText(`#portal-users tr[data-email="`+linked+`"]`, "Unconfirmed")
	if op.present(`#portal-users tr[data-email="` + other + `"]`) {
		t.Fatal("a user not linked to the portal is listed")
	}
	op.checkA11y("users of a portal")
	op.click("#back-to-portals")
	op.waitText(card(p.ID)+" h2", "Service desk")

	// Edit the name and the address: the default redirect URI follows.
	op.click(card(p.ID) + ` button[data-action=edit]`)
	op.visible("#portal-form")
	if got := op.eval(`document.querySelector('#portal-form textarea[name=redirectUris]').value`); got != "https://service.setups.example/" {
		t.Fatalf("the form's redirect URIs: %q", got)
	}
	op.retype("#portal-form input[name=name]", "Help desk")
	op.retype("#portal-form input[name=url]", "https://help.setups.example")
	op.submit("#portal-form", "The changes to portal setup Help desk were saved.")
	op.gone("#portal-form")
	op.waitText(card(p.ID)+` [data-detail="redirect-uris"]`, "https://help.setups.example/")
	if focused := op.eval(`document.activeElement.dataset.action + ' ' + document.activeElement.closest('li').dataset.id`); focused != "edit "+p.ID {
		t.Errorf("focus on %q, want the card's Edit button", focused)
	}
	got := a.portals(cu.ID)[0]
	if got.Name != "Help desk" || got.URL != "https://help.setups.example" || strings.Join(got.RedirectURIs, " ") != "https://help.setups.example/" || got.Version != setup.Version+1 {
		t.Fatalf("%+v", got)
	}
	// A redirect URI the API refuses is shown next to its field.
	op.click(card(p.ID) + ` button[data-action=edit]`)
	op.visible("#portal-form")
	op.retype("#portal-form textarea[name=redirectUris]", "http://help.setups.example/")
	op.refused("#portal-form", "redirectUris", "Enter 1 to 10 full addresses")
	op.checkA11y("edit portal setup, a field refused")
	op.click("#portal-form [data-role=cancel]")
	op.gone("#portal-form")

	// The dialog holds the version it read; another change lands first.
	op.click(card(p.ID) + ` button[data-action=edit]`)
	op.visible("#portal-form")
	a.call("PATCH", "/v1/customers/"+cu.ID+"/portals/"+p.ID, map[string]any{"name": "Changed elsewhere"}, 200, nil)
	op.retype("#portal-form input[name=url]", "https://mine.setups.example")
	op.submit("#portal-form", "Someone else changed or deleted this portal setup in the meantime.")
	op.gone("#portal-form")
	op.waitText(card(p.ID)+" h2", "Changed elsewhere")
	if got := a.portals(cu.ID)[0]; got.URL != "https://help.setups.example" {
		t.Fatalf("the refused change was applied: %+v", got)
	}

	// Delete, behind a confirmation that names the setup; No keeps it.
	op.click(card(p.ID) + ` button[data-action=delete]`)
	op.confirmAsks("Are you sure you want to delete the portal setup Changed elsewhere?", "confirm portal setup delete")
	op.click("#confirm-no")
	op.gone("dialog.confirm")
	op.visible(card(p.ID))
	op.click(card(p.ID) + ` button[data-action=delete]`)
	op.click("#confirm-yes")
	op.waitText("#notice", "Portal setup Changed elsewhere was deleted.")
	op.waitText("#portals", "This customer has no portal setups yet.")
	op.checkA11y("portal setups, none")
	if ps := a.portals(cu.ID); len(ps) != 0 {
		t.Fatalf("%+v", ps)
	}
	for _, us := range a.users(cu.ID, "") {
		if us.ID == u.ID && len(us.PortalIDs) != 0 {
			t.Fatalf("the user is still linked: %+v", us)
		}
	}
}

// A customer's own portal admin sees the setups and their sign-in details,
// and who reaches each portal, but changes none of them.
func TestAPortalAdminReadsPortalSetupsOnly(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Readers"))
	p := a.newPortal(cu.ID, "Orders", "https://orders.readers.example")
	boss := uniqueEmail("boss")
	a.invite(cu.ID, map[string]any{"email": boss, "admin": true, "portalIds": []string{p.ID}})
	acceptByAPI(t, boss)

	pa := signedIn(t, "portal admin", boss, password)
	pa.click(`nav a[href="#/c/` + cu.ID + `/portals"]`)
	pa.waitText(card(p.ID)+" h2", "Orders")
	pa.visible(card(p.ID) + ` [data-detail="client-id"] code`)
	if pa.present("#new-portal") || pa.present(card(p.ID)+" button[data-action=edit]") || pa.present(card(p.ID)+" button[data-action=delete]") {
		t.Fatal("a portal admin is offered to change a setup")
	}
	pa.checkA11y("portal setups (portal admin)")
	pa.click(card(p.ID) + ` [data-action=users]`)
	pa.waitText(`#portal-users tr[data-email="`+boss+`"]`, "Enabled")
}
