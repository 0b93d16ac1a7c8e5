package browser

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// row is the CSS selector of a person's row in the users table.
func row(email string) string { return `#people tr[data-email="` + email + `"]` }

// createCustomer fills in the new-customer form the page shows and
// submits it: the console goes on to the new customer's users.
func (p *page) createCustomer(name, locale string) {
	p.t.Helper()
	p.typeInto("#customer-form input[name=name]", name)
	p.choose("#customer-form select[name=locale]", locale)
	p.click("#customer-form [data-role=submit]")
	p.waitText("main h1", "Users of "+name)
}

// Story 1: an operator signs in, creates a customer and invites a user.
func TestOperatorCreatesACustomerAndInvitesAUser(t *testing.T) {
	op := open(t, "operator")
	op.signIn(strings.ToUpper(st.Info.Admin.Email), st.Info.Admin.Password) // the console lower-cases it
	op.waitText("#signed-in-as", st.Info.Admin.Email)
	op.checkA11y("home (operator)")

	op.click(`nav a[href="#/customers"]`)
	op.visible("#new-customer")
	op.click("#new-customer")
	name := unique("Acme")
	op.createCustomer(name, "nl")
	op.waitText("#notice", "Customer "+name+" was created.")
	op.waitText("#people", "No users match.")
	op.checkA11y("users, none")

	// A portal setup, with the API's field error shown next to its field.
	op.click(`nav a[href$="/portals"]`)
	op.visible("#new-portal")
	op.click("#new-portal")
	op.typeInto("#portal-form input[name=name]", "Service desk")
	op.typeInto("#portal-form input[name=url]", "service.acme.example")
	op.refused("#portal-form", "url", "Enter a full address starting with https://")
	op.checkA11y("portal setup, a field refused")
	op.retype("#portal-form input[name=url]", "https://service.acme.example")
	op.submit("#portal-form", "Portal setup Service desk was added.")
	op.waitText("#portals", "https://service.acme.example")
	op.click(`nav a[href$="/users"]`)
	op.visible("#add-users")

	admin(t).newRoles(op.eval(`decodeURIComponent(location.hash.split('/')[2])`), "Portal managers", "Finance")
	addr := uniqueEmail("jane")
	op.click("#add-users")
	op.visible("#add-email")
	op.checkA11y("add users")
	op.typeInto("#add-email", "  "+strings.ToUpper(addr[:1])+addr[1:]+" ")
	op.typeInto("#add-form input[name=name]", "Jane Doe")
	op.click(`#add-form input[name=roles][value="Portal managers"]`)
	op.click(`#add-form input[name=roles][value="Finance"]`)
	op.click(`#add-form input[name=portalIds]`)
	op.submit("#add-form", "An invitation was sent to "+addr+".")
	op.waitText(row(addr), "Unconfirmed")
	op.waitText(row(addr), "Pending")
	op.waitText(row(addr), "Finance, Portal managers") // in the catalogue's order
	op.waitText(row(addr), "Sent 1×")
	op.waitText(row(addr), "Service desk")
	op.checkA11y("users")

	// What the console did is what the API holds, and the e-mail went out.
	var customers struct {
		Items []customer `json:"items"`
	}
	a := admin(t)
	a.call("GET", "/v1/customers?limit=200", nil, 200, &customers)
	var cid string
	for _, c := range customers.Items {
		if c.Name == name {
			cid = c.ID
		}
	}
	if cid == "" {
		t.Fatalf("no customer %q", name)
	}
	us := a.users(cid, "")
	if len(us) != 1 || us[0].Email != addr || us[0].Name != "Jane Doe" || us[0].Status != "unconfirmed" || strings.Join(us[0].Roles, "|") != "Finance|Portal managers" || len(us[0].PortalIDs) != 1 {
		t.Fatalf("%+v", us)
	}
	latestLink(t, addr, 1)

	// Inviting the same address again is refused next to the field.
	op.click("#add-users")
	op.visible("#add-email")
	op.typeInto("#add-email", addr)
	op.refused("#add-form", "email", "already a member")
	op.checkA11y("add users, a field refused")
	op.click("#add-form [data-role=cancel]")
	op.gone("#add-form")
}

// Story 1b: a pasted list is invited in one go, and each address gets its
// outcome.
func TestAnOperatorInvitesAPastedList(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Bulk"))
	p := a.newPortal(cu.ID, "Service desk", "https://service.bulk.example")
	taken := uniqueEmail("taken")
	a.invite(cu.ID, map[string]any{"email": taken})
	one, two := uniqueEmail("one"), uniqueEmail("two")

	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/users")
	op.waitText(row(taken), "Unconfirmed")
	op.click("#add-users")
	op.visible("#add-email")
	op.click(`#add-form input[name=mode][value=many]`)
	op.typeInto("#add-form textarea[name=list]", one+"\n"+two+"; not-an-address, "+taken)
	op.click(`#add-form input[name=portalIds][value="` + p.ID + `"]`)
	op.click("#add-form [data-role=submit]")
	op.waitText("#bulk-results", "2 invited, 1 already a member, 1 not valid.")
	op.waitText(`#bulk-results li[data-email="`+one+`"]`, "invited")
	op.waitText(`#bulk-results li[data-email="not-an-address"]`, "not a valid e-mail address")
	op.waitText(`#bulk-results li[data-email="`+taken+`"]`, "already a member")
	op.checkA11y("add users, a list's outcomes")
	op.click("#add-form [data-role=submit]") // now "Close"
	op.gone("#add-form")
	op.waitText(row(two), "Service desk")

	// The search box finds by the start of the e-mail, as the API does.
	op.typeInto("#search", strings.ToUpper(one[:4]))
	op.click(`#filters button[type=submit]`)
	op.settled()
	op.visible(row(one))
	op.gone(row(two))
	op.checkA11y("users, searched")
	if us := a.users(cu.ID, ""); len(us) != 3 {
		t.Fatalf("%d users", len(us))
	}
}

// Story 2: the invitee opens the link from the e-mail, sets a password,
// is offered to continue to each of their portals, signs in to the console
// instead and sees their portals. (With one portal the page goes there:
// journey_test.go.)
func TestInviteeSetsAPasswordSignsInAndSeesTheirPortal(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Acme"))
	p := a.newPortal(cu.ID, "Service desk", "https://service.acme.example")
	m := a.newPortal(cu.ID, "Maintenance", "https://maintenance.acme.example")
	a.newRoles(cu.ID, "Reader")
	addr := uniqueEmail("ines")
	a.invite(cu.ID, map[string]any{"email": addr, "portalIds": []string{p.ID, m.ID}, "roles": []string{"Reader"}})
	link := latestLink(t, addr, 1)

	in := open(t, "invitee")
	in.navigate(link)
	in.waitText("#invited", "You are invited to the "+cu.Name+" portal as "+addr+".")
	in.waitText("#invited-portals", "You will sign in to: Maintenance, Service desk.")
	in.waitText("#valid-until", "The invitation is valid until")
	if loc := in.eval(`location.href`); strings.Contains(loc, "token") {
		t.Fatalf("the token stayed in the address bar: %s", loc)
	}
	in.waitText("#password-policy", "12 to 256 characters")
	in.checkA11y("accept invitation")

	// The confirmation must match, and the policy is checked before sending.
	in.typeInto("#password", "too short")
	in.typeInto("#confirm", "too short")
	in.click("#accept-submit")
	in.waitText("#accept-form [data-field=password] .field-error", "at least 12 characters")
	in.clear("#password")
	in.clear("#confirm")
	in.typeInto("#password", password)
	in.typeInto("#confirm", password+"!")
	in.click("#accept-submit")
	in.waitText("#accept-form [data-field=confirm] .field-error", "not the same")
	in.checkA11y("accept invitation, a field refused")
	if got := in.eval(`document.querySelector('#confirm').getAttribute('aria-invalid')`); got != "true" {
		t.Fatalf("aria-invalid = %q", got)
	}
	in.click("#toggle-password")
	if got := in.eval(`document.querySelector('#password').type`); got != "text" {
		t.Fatalf("the show toggle left the type %q", got)
	}
	in.retype("#confirm", password)
	in.typeInto("#name", "Ines Invitee")
	in.click("#accept-submit")
	in.waitText("#done", "You’re in")
	in.waitText("main", "Your password is set. You can now sign in as "+addr+".")
	if got := in.eval(`[...document.querySelectorAll('#continue a')].map(a => a.textContent + ' ' + a.href).join(' | ')`); got != "Continue to Maintenance "+m.URL+"/ | Continue to Service desk "+p.URL+"/" {
		t.Fatalf("continue links: %q", got)
	}
	in.checkA11y("invitation accepted")
	if in.present("#going") {
		t.Fatal("the page says it goes to one of two portals")
	}

	in.waitText("#sign-in-link", "Sign in to Portal Access instead")
	signInAfterAccepting(in, addr)
	in.waitText("main h1", "Your access")
	in.waitText("main", "Welcome, Ines Invitee.")
	in.waitText(`#memberships [data-customer="`+cu.ID+`"]`, cu.Name)
	in.waitText(`#memberships [data-customer="`+cu.ID+`"]`, "Roles: Reader")
	in.checkA11y("home (portal user)")
	if hrefs := in.eval(`[...document.querySelectorAll('#memberships .portal-links a')].map(a => a.href).join(' ')`); hrefs != m.URL+"/ "+p.URL+"/" {
		t.Fatalf("portal links %q", hrefs)
	}
	// A plain portal user manages nothing: no users, no customers.
	if n := in.eval(`String(document.querySelectorAll('nav a[href*="/users"], nav a[href="#/customers"]').length)`); n != "0" {
		t.Fatalf("%s management links for a plain user", n)
	}

	// The link works once.
	again := open(t, "invitee again")
	again.navigate(link)
	again.waitText("#invalid", "This invitation link is no longer valid. Ask the person who invited you to send a new one.")
	again.checkA11y("accept invitation, used link")
}

// Story 3: the admin disables the user, and the user's next request is
// refused: their open console signs them out with a message.
func TestDisabledUserIsSignedOutAtTheirNextRequest(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Acme"))
	addr := uniqueEmail("dan")
	a.invite(cu.ID, map[string]any{"email": addr, "name": "Dan"})
	acceptByAPI(t, addr)

	user := signedIn(t, "user", addr, password)
	user.waitText("#memberships", cu.Name)

	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/users")
	op.choose("#category", "enabled")
	op.waitText(row(addr), "Enabled")
	op.click(row(addr) + ` button[data-action=disable]`)
	op.visible("dialog.confirm")
	op.confirmAsks("Are you sure you want to disable "+addr+"?", "confirm disable")
	op.click("#confirm-yes")
	op.waitText("#notice", addr+" is disabled.")
	op.gone(row(addr)) // no longer in the Enabled category
	// The row left the list: the focus is on the message that says so.
	op.focused("id", "notice", "the notice")
	op.choose("#category", "disabled")
	op.waitText(row(addr), "Disabled")
	op.checkA11y("users, disabled")
	if got := op.eval(`location.hash`); !strings.HasSuffix(got, "?status=disabled") {
		t.Fatalf("the category is not in the address: %s", got)
	}

	// The user's next request (a reload of their open console) is refused.
	user.do("reload", chromedp.Reload())
	user.waitText("#notice", "Your session ended or your access was removed.")
	user.visible("#signin-email")
	user.checkA11y("sign in, session ended")
	if got := user.eval(`sessionStorage.getItem('pa.session') || ''`); got != "" {
		t.Fatal("the tokens stayed in sessionStorage")
	}

	// Enabling them again lets them back in.
	op.click(row(addr) + ` button[data-action=enable]`)
	op.click("#confirm-yes")
	op.waitText("#notice", addr+" is enabled.")
	user.signIn(addr, password)
	user.waitText("#memberships", cu.Name)
}

// Story 4: an unconfirmed user is re-invited and then deleted, each with a
// confirmation.
func TestUnconfirmedUserIsReinvitedAndDeleted(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Acme"))
	addr := uniqueEmail("una")
	a.invite(cu.ID, map[string]any{"email": addr})
	first := latestLink(t, addr, 1)

	op := asOperator(t, "operator")
	op.navigate(site + "/#/c/" + cu.ID + "/users")
	op.choose("#category", "unconfirmed")
	op.waitText(row(addr), "Sent 1×")
	op.checkA11y("users, unconfirmed")

	// Inside the cooldown the API refuses, and the console says when to retry.
	op.click(row(addr) + ` button[data-action=reinvite]`)
	op.waitText("dialog.confirm", "Are you sure you want to send "+addr+" a new invitation?")
	op.click("#confirm-yes")
	op.waitText("#notice", "An invitation was sent a moment ago; try again in")
	if msg := op.text("#notice p"); !regexp.MustCompile(`try again in \d+ seconds\.$`).MatchString(msg) {
		t.Fatalf("%q", msg)
	}
	op.checkA11y("users, a refusal")

	clockOffset.Add(int64(cooldown + time.Second))
	op.click(row(addr) + ` button[data-action=reinvite]`)
	op.click("#confirm-yes")
	op.waitText("#notice", "A new invitation was sent to "+addr+".")
	op.waitText(row(addr), "Sent 2×")
	second := latestLink(t, addr, 2)
	if second == first {
		t.Fatal("the link did not change")
	}

	// No keeps the user.
	op.click(row(addr) + ` button[data-action=delete]`)
	op.waitText("dialog.confirm", "Are you sure you want to delete "+addr+"? This cannot be undone.")
	op.checkA11y("confirm delete")
	op.click("#confirm-no")
	op.gone("dialog.confirm")
	op.visible(row(addr))
	// Yes deletes.
	op.click(row(addr) + ` button[data-action=delete]`)
	op.click("#confirm-yes")
	op.waitText("#notice", addr+" was deleted.")
	op.gone(row(addr))
	if us := a.users(cu.ID, ""); len(us) != 0 {
		t.Fatalf("%+v", us)
	}

	// Both links are dead now: the first by the re-invite, the second by the delete.
	in := open(t, "invitee")
	for _, link := range []string{first, second} {
		in.navigate(link)
		in.waitText("#invalid", "This invitation link is no longer valid.")
	}
}

// The accept page says the same for no token and a made-up one, in the
// browser's language.
func TestAnInvalidLinkGetsOneClearMessageInTheBrowsersLanguage(t *testing.T) {
	en := open(t, "visitor")
	for _, u := range []string{"/accept-invitation", "/accept-invitation#token=", "/accept-invitation#token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		en.navigate(site + u)
		en.waitText("#invalid", "This invitation link is no longer valid. Ask the person who invited you to send a new one.")
		en.checkA11y("accept invitation, invalid link " + u)
	}
	if l := en.eval(`document.documentElement.lang`); l != "en" {
		t.Fatalf("lang %q", l)
	}
	nl := open(t, "bezoeker", language("nl-NL,nl"))
	nl.navigate(site + "/accept-invitation#token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	nl.waitText("#invalid", "Deze uitnodigingslink is niet meer geldig.")
	nl.checkA11y("accept invitation, invalid link (NL)")
	if l := nl.eval(`document.documentElement.lang`); l != "nl" {
		t.Fatalf("lang %q", l)
	}
	nl.navigate(site + "/")
	nl.waitText("main h1", "Aanmelden")
	nl.checkA11y("sign in (NL)")
}

// A wrong password is refused on the sign-in form itself.
func TestAWrongPasswordIsRefusedOnTheForm(t *testing.T) {
	p := open(t, "someone")
	p.navigate(site + "/")
	p.visible("#signin-email")
	p.waitText("#signin", "no password reset")
	p.checkA11y("sign in")
	p.typeInto("#signin-email", st.Info.Admin.Email)
	p.typeInto("#signin input[name=password]", "not the password at all")
	p.click("#signin-submit")
	p.waitText("#signin .form-error", "The e-mail address or password is not right.")
	p.checkA11y("sign in, refused")
	if got := p.eval(`sessionStorage.getItem('pa.session') || ''`); got != "" {
		t.Fatal("a session was stored")
	}
}

// invitedTwice is a person who signs in as a user of first (u) and is
// invited to second too, with the accept page of that invitation open.
func invitedTwice(t *testing.T, prefix string) (a *apiClient, first, second customer, addr string, u user, in *page) {
	t.Helper()
	a = admin(t)
	first, second = a.newCustomer(unique("First")), a.newCustomer(unique("Second"))
	addr = uniqueEmail(prefix)
	u = a.invite(first.ID, map[string]any{"email": addr})
	acceptByAPI(t, addr)
	a.invite(second.ID, map[string]any{"email": addr})
	in = open(t, "invitee")
	in.navigate(latestLink(t, addr, 2))
	in.waitText("#invited", "You are invited to the "+second.Name+" portal as "+addr+".")
	in.waitText("#accept-form", "You already have an account with this e-mail address.")
	return a, first, second, addr, u, in
}

// signInAfterAccepting follows the accepted page's sign-in link and signs
// in as addr.
func signInAfterAccepting(p *page, addr string) {
	p.t.Helper()
	p.click("#sign-in-link")
	p.visible("#signin-email")
	p.typeInto("#signin-email", addr)
	p.typeInto("#signin input[name=password]", password)
	p.click("#signin-submit")
}

// Someone who already signs in (a user of another customer) adds the new
// invitation to their account without choosing a password.
func TestAnExistingAccountAddsTheInvitationWithoutAPassword(t *testing.T) {
	_, first, second, addr, _, in := invitedTwice(t, "twice")
	in.checkA11y("accept invitation, existing account")
	if n := in.eval(`String(document.querySelectorAll('input[type=password]').length)`); n != "0" {
		t.Fatal("a password was asked of an existing account")
	}
	in.click("#accept-existing")
	in.waitText("#done", "You’re in")
	in.waitText("main", "The invitation was added to your account. Sign in as "+addr+" with your current password.")
	signInAfterAccepting(in, addr)
	in.waitText(`#memberships [data-customer="`+first.ID+`"]`, first.Name)
	in.waitText(`#memberships [data-customer="`+second.ID+`"]`, second.Name)
}

// The page offered to add the invitation to an existing account, and the
// account went before the click (the person's only other membership was
// deleted): the page asks again how they sign in, now with a password, and
// the invitation still works for a new account.
func TestAnAccountRemovedBeforeTheClickIsAskedForAPassword(t *testing.T) {
	a, first, second, addr, u, in := invitedTwice(t, "gone")
	a.call("DELETE", "/v1/customers/"+first.ID+"/users/"+u.ID, nil, 204, nil)
	in.click("#accept-existing")
	in.waitText("#accept-again", "Your account changed while you were accepting the invitation. Please try again.")
	in.waitText("#invited", "You are invited to the "+second.Name+" portal as "+addr+".")
	in.visible("#password")
	in.checkA11y("accept invitation, asked again")
	in.typeInto("#password", password)
	in.typeInto("#confirm", password)
	in.click("#accept-submit")
	in.waitText("#done", "You’re in")
	in.waitText("main", "Your password is set. You can now sign in as "+addr+".")
	signInAfterAccepting(in, addr)
	in.waitText(`#memberships [data-customer="`+second.ID+`"]`, second.Name)
	if in.present(`#memberships [data-customer="` + first.ID + `"]`) {
		t.Fatal("the deleted membership is shown")
	}
}

// Signing out revokes the session's refresh token: a copy of it (a shared
// machine, a stolen session) mints no new access token afterwards.
func TestSigningOutRevokesTheRefreshToken(t *testing.T) {
	p := asOperator(t, "operator")
	refresh := p.eval(`JSON.parse(sessionStorage.getItem('pa.session')).refresh`)
	if refresh == "" {
		t.Fatal("no refresh token in the session")
	}
	refreshes := func() bool {
		res := cognitoCall(t, "InitiateAuth", map[string]any{
			"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": st.Info.Cognito.ClientID,
			"AuthParameters": map[string]string{"REFRESH_TOKEN": refresh},
		})
		res.Body.Close()
		return res.StatusCode == 200
	}
	if !refreshes() {
		t.Fatal("the refresh token does not work while signed in")
	}
	p.click("#sign-out")
	p.waitText("#notice", "You are signed out.")
	p.checkA11y("signed out")
	if refreshes() {
		t.Fatal("the refresh token still works after signing out")
	}
}
