package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core's browser build, installed from infra's lock file
// by make deps (npm ci); nothing is fetched at run time.
var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join("..", "..", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		return "", fmt.Errorf("the accessibility checks need axe-core: run `make deps` (%w)", err)
	}
	return string(b), nil
})

// axeRun runs the rules tagged WCAG 2.0 and 2.1, levels A and AA, all of
// them: no rule is turned off. What axe-core could not decide (incomplete:
// a text whose background it cannot see, say) counts as found, so that no
// screen passes unchecked.
const axeRun = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations', 'incomplete']})
	.then(r => JSON.stringify({passes: r.passes.length, found: [
		...r.violations.map(v => Object.assign(v, {undecided: false})),
		...r.incomplete.map(v => Object.assign(v, {undecided: true}))].map(v => ({
		id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, undecided: v.undecided,
		nodes: v.nodes.map(n => ({target: n.target.map(String), summary: n.failureSummary}))}))}))`

type axeResults struct {
	Passes int `json:"passes"`
	Found  []struct {
		ID, Impact, Help, HelpURL string
		Undecided                 bool
		Nodes                     []struct {
			Target  []string `json:"target"`
			Summary string   `json:"summary"`
		} `json:"nodes"`
	} `json:"found"`
}

// axe runs axe-core's WCAG 2.1 A and AA rules on what the page shows now
// (injecting axe-core first if this document has not got it yet) and
// returns the violations (and what it could not decide), one readable
// paragraph each: rule, impact, help, help URL, then each element's
// selector and what is wrong with it.
func (p *page) axe() []string {
	p.t.Helper()
	src, err := axeSource()
	if err != nil {
		p.t.Fatal(err)
	}
	p.settled()
	if p.eval(`typeof window.axe`) != "object" {
		p.do("inject axe-core", chromedp.Evaluate[chromedp.Void](src+"\n;undefined"))
	}
	ctx, cancel := context.WithTimeout(p.ctx, step)
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
	cancel()
	if err != nil {
		p.fail("run axe-core", err)
	}
	var r axeResults
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		p.t.Fatalf("axe-core's answer: %v: %s", err, out)
	}
	if r.Passes == 0 && len(r.Found) == 0 {
		p.t.Fatal("axe-core checked nothing: is the page empty?")
	}
	var found []string
	for _, v := range r.Found {
		var b strings.Builder
		impact := v.Impact
		if v.Undecided {
			impact += ", axe-core could not decide"
		}
		fmt.Fprintf(&b, "%s (%s): %s\n    %s", v.ID, impact, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n    - %s\n      %s", strings.Join(n.Target, " "), strings.ReplaceAll(strings.TrimSpace(n.Summary), "\n", "\n      "))
		}
		found = append(found, b.String())
	}
	return found
}

// checkA11y fails the test (and carries on, so that every screen of a test
// is reported) when the screen the page shows now breaks a WCAG 2.1 AA rule
// that axe-core checks. Call it wherever a test has a screen in front of it.
func (p *page) checkA11y(screen string) {
	p.t.Helper()
	if found := p.axe(); len(found) > 0 {
		p.t.Errorf("%s (%s): %d WCAG 2.1 AA rules broken or undecided:\n  %s", screen, p.name, len(found), strings.Join(found, "\n  "))
	}
}

// The check finds what it is there to find: a page with an unlabelled
// field, an image without a text alternative, grey-on-white text, and a
// text over a picture whose contrast axe-core cannot decide.
func TestTheAccessibilityCheckFindsViolations(t *testing.T) {
	p := open(t, "visitor")
	p.navigate(site + "/")
	p.visible("#signin-email")
	if found := p.axe(); len(found) != 0 {
		t.Fatalf("the sign-in screen: %s", strings.Join(found, "\n"))
	}
	p.do("break the page", chromedp.Evaluate[chromedp.Void](`(() => {
		document.documentElement.removeAttribute('lang');
		const m = document.querySelector('main');
		m.insertAdjacentHTML('beforeend', '<input type="text"><img src="/favicon.svg"><p id="faint">faint</p><p id="over">over a picture</p>');
		const f = document.getElementById('faint'); // the console's CSP refuses style attributes
		f.style.color = '#bbb';
		f.style.background = '#fff';
		document.getElementById('over').style.backgroundImage = 'linear-gradient(#000, #fff)';
	})()`))
	found := strings.Join(p.axe(), "\n")
	for _, rule := range []string{"html-has-lang (serious)", "label (critical)", "image-alt (critical)", "color-contrast (serious)", "color-contrast (serious, axe-core could not decide)", "https://dequeuniversity.com/rules/axe/"} {
		if !strings.Contains(found, rule) {
			t.Errorf("the broken page: no %s in\n%s", rule, found)
		}
	}
}

// Every category of a customer's users, with people in each state, on a
// desk and on a phone (where the table turns into cards), and the screens
// around them: the customers, the audit trail, a dialog of each kind and
// the portal user's home; an invitation opened in Dutch, and the managed
// login's stand-in refusing an app it does not know.
func TestEveryUsersCategoryIsAccessibleOnADeskAndAPhone(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("Categories"))
	p := a.newPortal(cu.ID, "Service desk", "https://service.categories.example")
	a.newRoles(cu.ID, "Finance")
	on, off, pending := uniqueEmail("on"), uniqueEmail("off"), uniqueEmail("pending")
	a.invite(cu.ID, map[string]any{"email": on, "name": "On", "roles": []string{"Finance"}, "portalIds": []string{p.ID}})
	acceptByAPI(t, on)
	u := a.invite(cu.ID, map[string]any{"email": off, "admin": true})
	acceptByAPI(t, off)
	a.call("POST", "/v1/customers/"+cu.ID+"/users/"+u.ID+"/disable", nil, 200, nil)
	bounce(t, a.invite(cu.ID, map[string]any{"email": uniqueEmail("bounced")}))
	a.invite(cu.ID, map[string]any{"email": pending, "portalIds": []string{p.ID}})

	for _, size := range []struct {
		name string
		opts []pageOption
	}{{"desk", nil}, {"phone", []pageOption{phone()}}} {
		op := asOperator(t, "operator at a "+size.name, size.opts...)
		op.checkA11y("home (operator), " + size.name)
		op.navigate(site + "/#/customers")
		op.waitText("#customers", cu.Name)
		op.checkA11y("customers, " + size.name)
		for _, c := range []struct{ status, shows string }{{"", on}, {"enabled", on}, {"disabled", off}, {"unconfirmed", pending}} {
			op.navigate(site + "/#/c/" + cu.ID + "/users?status=" + c.status)
			op.visible(row(c.shows))
			op.checkA11y("users, category " + c.status + ", " + size.name)
		}
		op.click(row(pending) + ` button[data-action=edit]`)
		op.visible("#edit-form")
		op.checkA11y("edit user, " + size.name)
		op.click("#edit-form [data-role=cancel]")
		op.gone("#edit-form")
		op.click(row(pending) + ` button[data-action=delete]`)
		op.visible("dialog.confirm")
		op.checkA11y("confirm delete, " + size.name)
		op.click("#confirm-no")
		op.gone("dialog.confirm")
		op.click("#add-users")
		op.visible("#add-email")
		op.click(`#add-form input[name=mode][value=many]`)
		op.checkA11y("add users, a list, " + size.name)
		op.click("#add-form [data-role=cancel]")
		op.gone("#add-form")
		op.click(row(pending) + ` input[name=select]`)
		op.visible("#selection-bar")
		// The bar stays at the top of the window while the list scrolls
		// (sticky); what it covers then is hidden, and axe-core cannot
		// decide the contrast of what is under it: it is checked where it
		// stands, above the list.
		op.do("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
		op.checkA11y("users, one selected, " + size.name)
		op.navigate(site + "/#/c/" + cu.ID + "/roles")
		op.visible(`#roles tr[data-name="Finance"]`)
		op.checkA11y("roles, " + size.name)
		op.navigate(site + "/#/c/" + cu.ID + "/audit")
		op.waitText("#audit", pending)
		op.checkA11y("audit, " + size.name)
		op.navigate(site + "/#/c/" + cu.ID + "/profile")
		op.visible("#addresses")
		op.checkA11y("organization profile, " + size.name)
		for _, form := range []struct{ open, form string }{{"#add-address", "#address-form"}, {"#add-agreement", "#agreement-form"}} {
			op.click(form.open)
			op.visible(form.form)
			op.checkA11y(form.form + ", " + size.name)
			op.click(form.form + " [data-role=cancel]")
			op.gone(form.form)
		}
		op.navigate(site + "/#/audit")
		op.visible("#provider-audit")
		op.checkA11y("provider trail, " + size.name)

		user := signedIn(t, "portal user at a "+size.name, on, password, size.opts...)
		user.waitText("#memberships", cu.Name)
		user.checkA11y("home (portal user), " + size.name)

		in := open(t, "invitee at a "+size.name, append(size.opts, language("nl-NL,nl"))...)
		in.navigate(latestLink(t, pending, 1))
		in.waitText("#invited", cu.Name)
		in.checkA11y("accept invitation (NL), " + size.name)
		in.navigate(st.Info.ManagedLogin.URL + "/oauth2/authorize?client_id=nosuch&lang=nl")
		in.waitText("main", "onbekend")
		in.checkA11y("managed login: an unknown app (NL), " + size.name)
	}
}
