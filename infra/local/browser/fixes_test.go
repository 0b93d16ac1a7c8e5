package browser

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A link whose fragment is not valid percent-encoding (cut short, or typed
// by hand) opens the home screen, whether the console is open already or
// starts from it; the console keeps working.
func TestAMangledLinkOpensTheHomeScreen(t *testing.T) {
	op := asOperator(t, "operator")
	op.click(`nav a[href="#/customers"]`)
	op.waitText("main h1", "Customers")
	for _, frag := range []string{"#/c/%E0%A4%A/users", "#/%zz", "#/customers/%"} {
		op.navigate(site + "/" + frag)
		op.waitText("main h1", "Your access")
		op.do("reload "+frag, chromedp.Reload())
		op.waitText("main h1", "Your access")
		op.visible("#sign-out")
	}
	op.click(`nav a[href="#/customers"]`)
	op.waitText("main h1", "Customers")
	// open's clean-up fails the test if the page threw.
}

// When the category changes again before the first list came back, the
// list shown is the one asked for last, even if the first answer comes
// back after it.
func TestAnOlderAnswerDoesNotReplaceTheListAskedForLast(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Race"))
	on, off := uniqueEmail("on"), uniqueEmail("off")
	a.invite(cu.ID, map[string]any{"email": on})
	acceptByAPI(t, on)
	u := a.invite(cu.ID, map[string]any{"email": off})
	acceptByAPI(t, off)
	a.call("POST", "/v1/customers/"+cu.ID+"/users/"+u.ID+"/disable", nil, 200, nil)

	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/users")
	op.waitText(row(on), "Enabled")
	op.waitText(row(off), "Disabled")
	op.recordFetches()
	slow := op.hold("*/v1/customers/" + cu.ID + "/users?*status=enabled*")

	op.pick("#category", "enabled")
	first := slow.next("the enabled users")
	op.pick("#category", "disabled")
	op.waitText(row(off), "Disabled")
	op.gone(row(on))
	op.settled() // the list asked for last is in: the page says it is not busy

	slow.proceed(first)
	op.read(first.Request.URL)
	if op.present(row(on)) || !op.present(row(off)) {
		t.Fatalf("the older answer replaced the list: %q", op.text("#people"))
	}
	if got := op.eval(`document.querySelector('#category').value + ' ' + location.hash`); !strings.HasSuffix(got, "?status=disabled") || !strings.HasPrefix(got, "disabled ") {
		t.Fatalf("category and address: %q", got)
	}
}

// The operators list says that no operator matches (not "no users").
func TestAnEmptyOperatorsListSaysNoOperatorMatches(t *testing.T) {
	op := asOperator(t, "operator admin")
	op.click(`nav a[href="#/operators"]`)
	op.waitText(`#people tr[data-email="`+st.Info.Admin.Email+`"]`, "admin")
	op.typeInto("#search", "nobody-at-all-")
	op.click(`#filters button[type=submit]`)
	op.settled()
	op.waitText("#people", "No operators match.")
	op.checkA11y("operators, none")
	if strings.Contains(op.text("main"), "No users match.") {
		t.Fatal("the operators list speaks of users")
	}
}

// Inviting an operator without an e-mail address is stopped on the form,
// next to the field, before anything is sent.
func TestInvitingAnOperatorNeedsAnEmailAddress(t *testing.T) {
	a := admin(t)
	var before struct {
		Items []struct{ Email string } `json:"items"`
	}
	a.call("GET", "/v1/operators?limit=200", nil, 200, &before)

	op := asOperator(t, "operator admin")
	op.click(`nav a[href="#/operators"]`)
	op.waitText("main h1", "Operators")
	op.recordFetches()
	for _, typed := range []string{"", "   "} {
		op.click("#add-users")
		op.visible("#add-email")
		if typed != "" {
			op.typeInto("#add-email", typed)
		}
		op.refused("#add-form", "email", "Enter one valid e-mail address.")
		op.checkA11y("invite operator, no address")
		if got := op.eval(`document.activeElement.id + ' ' + document.activeElement.getAttribute('aria-invalid')`); got != "add-email true" {
			t.Fatalf("%q: focus %q, want the e-mail field, marked invalid", typed, got)
		}
		op.visible("#add-form") // the dialog stays open
		op.click("#add-form [data-role=cancel]")
		op.gone("#add-form")
	}
	for _, f := range op.fetches() {
		if f.Method != "GET" {
			t.Errorf("the console sent %s %s", f.Method, f.URL)
		}
	}
	var after struct {
		Items []struct{ Email string } `json:"items"`
	}
	a.call("GET", "/v1/operators?limit=200", nil, 200, &after)
	if len(after.Items) != len(before.Items) {
		t.Fatalf("%d operators, were %d", len(after.Items), len(before.Items))
	}
}

// A customer's portal setups appear by name wherever they are listed:
// the setups screen, the checkboxes of inviting and editing, a user's row.
func TestPortalSetupsAreListedByName(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Sorted"))
	ids := map[string]string{}
	for _, name := range []string{"Zeta portal", "alpha portal", "Midway", "Beta 10", "Beta 9"} {
		ids[name] = a.newPortal(cu.ID, name, "https://"+strings.ToLower(strings.ReplaceAll(name, " ", "-"))+".sorted.example").ID
	}
	want := "alpha portal|Beta 9|Beta 10|Midway|Zeta portal"
	addr := uniqueEmail("sorted")
	a.invite(cu.ID, map[string]any{"email": addr, "portalIds": []string{ids["Zeta portal"], ids["Midway"], ids["alpha portal"]}})

	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/portals")
	op.waitText("#portals", "Zeta portal")
	if got := strings.Join(op.texts("#portals li.setup h2"), "|"); got != want {
		t.Errorf("setups screen: %s", got)
	}
	op.click(`nav a[href$="/users"]`)
	op.waitText(row(addr), "alpha portal, Midway, Zeta portal")
	for _, dialog := range []string{"#add-users", row(addr) + ` button[data-action=edit]`} {
		op.click(dialog)
		op.visible(`form input[name=portalIds]`)
		if got := strings.Join(op.texts(`dialog[open] input[name=portalIds] + label`), "|"); got != want {
			t.Errorf("%s: the checkboxes are %s", dialog, got)
		}
		op.click("dialog[open] [data-role=cancel]")
		op.gone("dialog[open]")
	}
}

// When the operator's customers cannot be loaded for the switcher, the
// header says so and offers to try again; trying again brings the switcher.
func TestTheCustomerSwitcherSaysWhenItCannotLoad(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Switch"))
	op := open(t, "operator")
	list := op.hold("*/v1/customers?limit=100*")
	op.signIn(st.Info.Admin.Email, st.Info.Admin.Password)
	list.answer(list.next("the switcher's customers"), 503, "unavailable")
	op.waitText("#switcher-error", "Your customers could not be loaded.")
	op.checkA11y("switcher, not loaded")
	if op.present("#switcher") {
		t.Fatal("a switcher without customers")
	}
	// The screens themselves still work.
	op.click(`nav a[href="#/customers"]`)
	op.waitText("#customers", cu.Name)

	op.click("#switcher-retry")
	list.answer(list.next("the customers, again"), 503, "unavailable")
	op.waitText("#switcher-error", "Your customers could not be loaded.")
	op.until("the button works again", `!document.querySelector('#switcher-retry').disabled`)
	op.click("#switcher-retry")
	list.proceed(list.next("the customers, once more"))
	op.visible("#switcher")
	op.gone("#switcher-error")
	op.focused("id", "switcher", "the switcher")
	op.choose("#switcher", cu.ID)
	op.waitText("main h1", "Users of "+cu.Name)
	op.checkA11y("users, from the switcher")
}
