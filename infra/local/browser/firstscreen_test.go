package browser

import (
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/portalaccess/portalaccess/shared/routes"
)

// The first screen after sign-in, for an operator and for a portal admin:
// the requests the console makes from the moment the form is sent until the
// screen is drawn and quiet, and the distinct functions they reach (on AWS
// each is a possible cold start). docs/performance.md gives the figures;
// run with -v to print them:
//
//	go test -count=1 -v -run TestTheFirstScreen ./infra/local/browser
func TestTheFirstScreenOfAnOperatorCallsTwoFunctions(t *testing.T) {
	a := admin(t)
	a.newCustomer(unique("First")) // the switcher has a customer to list
	op := open(t, "operator")
	calls := firstScreen(op, st.Info.Admin.Email, st.Info.Admin.Password)
	op.visible("#switcher")
	op.checkA11y("home (operator), first screen")
	calls.settle(op)
	calls.log(t, "an operator")
	// /v1/me, then the switcher's customers: nothing twice, nothing else.
	calls.want(t, []string{"GET me", "GET list-customers"})
}

func TestTheFirstScreenOfAPortalAdminCallsOneFunction(t *testing.T) {
	a := admin(t)
	cu := a.newCustomer(unique("First"))
	boss := a.newPortalAdmin(cu.ID, "first")
	pa := open(t, "portal admin")
	calls := firstScreen(pa, boss, password)
	pa.waitText("#memberships", "You are a portal admin of this customer.")
	pa.checkA11y("home (portal admin), first screen")
	calls.settle(pa)
	calls.log(t, "a portal admin")
	// /v1/me says everything the home screen shows.
	calls.want(t, []string{"GET me"})
}

type firstCalls struct{ p *page }

// firstScreen opens the sign-in form, starts recording the page's
// requests, and signs in.
func firstScreen(p *page, email, pw string) firstCalls {
	p.t.Helper()
	p.navigate(site + "/")
	p.visible("#signin-email")
	p.recordFetches()
	p.typeInto("#signin-email", email)
	p.typeInto("#signin input[name=password]", pw)
	p.click("#signin-submit")
	p.visible("#sign-out")
	return firstCalls{p}
}

// settle waits until the screen is drawn and every answer has been read.
func (c firstCalls) settle(p *page) {
	p.t.Helper()
	p.settled()
	p.until("every answer read", `(window.__fetches || []).every(f => f.read)`)
}

// split sorts the requests into the API's (as "METHOD function") and the
// others (sign-in, static files).
func (c firstCalls) split() (api []string, other []string) {
	for _, f := range c.p.fetches() {
		u, err := url.Parse(f.URL)
		if err != nil {
			c.p.t.Fatalf("%s: %v", f.URL, err)
		}
		if fn := functionOf(f.Method, u.Path); fn != "" && u.Host == strings.TrimPrefix(site, "http://") {
			api = append(api, f.Method+" "+fn)
		} else {
			other = append(other, f.Method+" "+u.Host+u.Path)
		}
	}
	return api, other
}

func (c firstCalls) log(t *testing.T, who string) {
	t.Helper()
	api, other := c.split()
	fns := map[string]bool{}
	for _, a := range api {
		fns[strings.Fields(a)[1]] = true
	}
	t.Logf("first screen of %s: %d API requests to %d distinct functions (%s); %d other requests (%s)",
		who, len(api), len(fns), strings.Join(api, ", "), len(other), strings.Join(other, ", "))
}

// want checks the API requests, in any order.
func (c firstCalls) want(t *testing.T, want []string) {
	t.Helper()
	got, _ := c.split()
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("the first screen called %q, want %q", got, want)
	}
}

// functionOf is the function of the route that serves method and path, the
// route with the most literal parts when several match; "" for none.
func functionOf(method, path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	best, score := "", -1
	for _, r := range routes.Table {
		if r.Method != method || r.Path == "" {
			continue
		}
		tp := strings.Split(strings.Trim(r.Path, "/"), "/")
		n, ok := 0, true
		for i, p := range tp {
			if strings.HasSuffix(p, "+}") {
				ok = len(parts) >= i+1
				break
			}
			if i >= len(parts) || (len(tp) != len(parts) && !strings.HasSuffix(tp[len(tp)-1], "+}")) {
				ok = false
				break
			}
			if strings.HasPrefix(p, "{") {
				continue
			}
			if p != parts[i] {
				ok = false
				break
			}
			n++
		}
		if ok && n > score {
			best, score = r.Function, n
		}
	}
	return best
}
