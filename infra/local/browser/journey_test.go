package browser

import (
	"regexp"
	"testing"
)

// The journey of a customer's portal user, end to end on the local stack:
// the operator creates a Dutch customer and a portal setup for the sample
// portal, and invites a user linked to it; the user accepts from the
// e-mailed link, continues to the sample portal and is signed in there by
// the managed login's stand-in; resets the password from the e-mailed code
// (in the customer's Dutch, whatever the browser speaks) and signs in with
// the new one; is disabled, and the portal's next call is refused; is
// enabled again, and in again.
func TestAPortalUserJourneyThroughTheSamplePortal(t *testing.T) {
	sample := st.Info.SamplePortal.URL
	login := st.Info.ManagedLogin.URL
	logOnFailure(t)

	op := asOperator(t, "operator")
	op.click(`nav a[href="#/customers"]`)
	op.visible("#new-customer")
	op.checkA11y("customers")
	op.click("#new-customer")
	op.visible("#customer-form")
	op.checkA11y("new customer")
	name := unique("Bakkerij De Korenbloem")
	op.createCustomer(name, "nl")
	cid := op.eval(`decodeURIComponent(location.hash.split('/')[2])`)

	// The portal setup whose address is the sample portal's.
	op.click(`nav a[href$="/portals"]`)
	op.click("#new-portal")
	op.visible("#portal-form")
	op.checkA11y("new portal setup")
	op.typeInto("#portal-form input[name=name]", "Bestelportaal")
	op.typeInto("#portal-form input[name=url]", sample)
	op.submit("#portal-form", "Portal setup Bestelportaal was added.")
	admin(t).newRoles(cid, "orders")
	setups := admin(t).portals(cid)
	if len(setups) != 1 || setups[0].SignIn.ClientID == nil {
		t.Fatalf("%+v", setups)
	}
	setup := setups[0]
	op.waitText(card(setup.ID)+` [data-detail="client-id"] code`, *setup.SignIn.ClientID)
	op.waitText(card(setup.ID)+` [data-detail="redirect-uris"] code`, sample)
	op.checkA11y("portal setups")

	// The user, linked to it.
	addr := uniqueEmail("bob")
	op.click(`nav a[href$="/users"]`)
	op.click("#add-users")
	op.visible("#add-email")
	op.typeInto("#add-email", addr)
	op.typeInto("#add-form input[name=name]", "Bob Bakker")
	op.click(`#add-form input[name=roles][value="orders"]`)
	op.click(`#add-form input[name=portalIds][value="` + setup.ID + `"]`)
	op.click("#add-form [data-role=submit]")
	op.waitText(row(addr), "Bestelportaal")

	// The invitee accepts and goes on to the portal, the one they reach.
	in := open(t, "invitee")
	in.navigate(latestLink(t, addr, 1))
	in.waitText("#invited", "You are invited to the "+name+" portal as "+addr+".")
	in.waitText("#invited-portals", "You will sign in to: Bestelportaal.")
	in.checkA11y("accept invitation")
	in.typeInto("#password", password)
	in.typeInto("#confirm", password)
	in.click("#accept-submit")
	in.at(sample, "#signin")
	in.checkA11y("sample portal, signed out")

	// The portal signs them in through the managed login.
	signInAtPortal := func(pw string) {
		t.Helper()
		in.click("#signin")
		in.at(login+"/oauth2/authorize?", "#password")
		in.checkA11y("managed login: sign in")
		in.retype("#email", addr)
		in.typeInto("#password", pw)
		in.click("#signin")
	}
	granted := func() {
		t.Helper()
		in.at(sample, "#who")
		in.waitText("#who", "Bob Bakker <"+addr+">")
		in.waitText("#customer", name)
		in.waitText("#customer", "language: nl")
		in.waitText("#portal", "Bestelportaal ("+setup.ID+")")
		in.waitText("#roles", "orders")
		in.checkA11y("sample portal, signed in")
	}
	signInAtPortal(password)
	granted()
	if loc := in.eval(`location.href`); loc != sample {
		t.Fatalf("the code stayed in the address: %s", loc)
	}

	// Forgot the password: a code by e-mail, in Dutch, then a new password.
	in.click("#signout")
	in.at(sample, "#signin")
	in.click("#signin")
	in.at(login+"/oauth2/authorize?", "#forgot")
	in.click("#forgot")
	in.at(login+"/forgotPassword?", "#send")
	in.checkA11y("managed login: forgot password")
	mails := len(emailsTo(t, addr))
	in.retype("#email", addr)
	in.click("#send")
	in.at(login+"/confirmForgotPassword?", "#code")
	in.checkA11y("managed login: new password")
	mail := mailNumber(t, addr, mails+1)
	if want := "Je code om je wachtwoord voor het portaal van " + name + " opnieuw in te stellen"; mail.Subject != want {
		t.Errorf("subject %q, want %q", mail.Subject, want)
	}
	m := regexp.MustCompile(`Je code:\s+(\d{6})\b`).FindStringSubmatch(mail.Body.Text)
	if m == nil {
		t.Fatalf("no Dutch code in %q", mail.Body.Text)
	}
	newPassword := "a new password for the bakery"
	in.typeInto("#code", m[1])
	in.typeInto("#password", newPassword)
	in.typeInto("#password2", newPassword)
	in.click("#change")
	in.at(login+"/", "#password")
	in.waitText("main", "Your password has been changed. Sign in with your new password.")
	in.checkA11y("managed login: password changed")
	in.retype("#email", addr)
	in.typeInto("#password", newPassword)
	in.click("#signin")
	granted()
	if got := signInStatus(t, addr, password); got == 200 {
		t.Fatal("the old password still signs in")
	}

	// Disabled by the operator: the portal's next call is refused, and the
	// managed login refuses them too.
	op.choose("#category", "enabled")
	op.waitText(row(addr), "Enabled")
	op.click(row(addr) + ` button[data-action=disable]`)
	op.click("#confirm-yes")
	op.waitText("#notice", addr+" is disabled.")
	in.click("#ask")
	in.waitText("#message", "You can no longer sign in to this portal.")
	in.checkA11y("sample portal, refused")
	in.at(sample, "#signin")
	if in.eval(`document.getElementById('who').textContent`) != "" {
		t.Fatal("the portal still shows who they were")
	}
	signInAtPortal(newPassword)
	in.at(login+"/", "#password")
	in.waitText("main", "Incorrect username or password.")
	in.checkA11y("managed login: refused")

	// Enabled again: in again.
	op.choose("#category", "disabled")
	op.click(row(addr) + ` button[data-action=enable]`)
	op.click("#confirm-yes")
	op.waitText("#notice", addr+" is enabled.")
	in.typeInto("#password", newPassword)
	in.click("#signin")
	granted()
}

// mailNumber waits until n e-mails reached addr and returns the nth.
func mailNumber(t *testing.T, addr string, n int) email {
	t.Helper()
	return awaitMails(t, addr, n)[n-1]
}

// logOnFailure prints the stack's log when the test fails (the lines of
// every test of the binary so far: the stack is shared).
func logOnFailure(t *testing.T) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("the stack's log:\n" + logs.String())
		}
	})
}
