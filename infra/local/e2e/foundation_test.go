package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestHealthNeedsNoToken(t *testing.T) {
	var body map[string]string
	anonymous(t).get("/v1/health", 200).json(t, &body)
	if body["status"] != "ok" {
		t.Fatal(body)
	}
}

func TestOperatorInvitesAUserWhoShowsAsUnconfirmed(t *testing.T) {
	op := operatorAdmin(t)
	var me struct {
		Email    string `json:"email"`
		Operator *struct {
			Role string `json:"role"`
		} `json:"operator"`
	}
	op.get("/v1/me", 200).json(t, &me)
	if me.Operator == nil || me.Operator.Role != "admin" || me.Email != st.Info.Admin.Email {
		t.Fatalf("me: %+v", me)
	}
	cu := op.newCustomer("nl")
	p := op.addPortal(cu.ID, "Service", "https://portal.acme.example")

	op.newRoles(cu.ID, "Portal managers")
	addr := uniqueEmail("jane")
	res := op.post("/v1/customers/"+cu.ID+"/users", map[string]any{
		"email": "  " + strings.ToUpper(addr) + " ", "portalIds": []string{p.ID}, "roles": []string{"Portal managers"},
	}, 201)
	var u user
	res.json(t, &u)
	if u.Email != addr || u.Status != "unconfirmed" || u.Name != strings.Split(addr, "@")[0] || u.Version != 1 {
		t.Fatalf("invited: %+v", u)
	}
	if u.Invitation == nil || u.Invitation.State != "pending" || u.Invitation.Delivery != "sent" || u.Invitation.SendCount != 1 {
		t.Fatalf("invitation: %+v", u.Invitation)
	}
	if res.Header.Get("ETag") != `"1"` || res.Header.Get("Location") != "/v1/customers/"+cu.ID+"/users/"+u.ID {
		t.Fatalf("headers: %v", res.Header)
	}

	mails := emailsTo(t, addr)
	if len(mails) != 1 {
		t.Fatalf("%d e-mails to %s, want 1", len(mails), addr)
	}
	if !strings.Contains(mails[0].Subject, cu.Name) || !strings.HasPrefix(mails[0].Subject, "Je bent uitgenodigd") {
		t.Fatalf("subject %q is not the Dutch invitation to %s", mails[0].Subject, cu.Name)
	}
	token := tokenOf(t, mails[0])
	if !strings.Contains(mails[0].Body.Text, st.Info.APIURL+"/accept-invitation#token="+token) {
		t.Fatal("the link does not point at the configured portal URL")
	}

	unconfirmed := op.listUsers(cu.ID, "?status=unconfirmed")
	if len(unconfirmed.Items) != 1 || unconfirmed.Items[0].ID != u.ID || unconfirmed.NextCursor != nil {
		t.Fatalf("unconfirmed: %+v", unconfirmed)
	}
	if enabled := op.listUsers(cu.ID, "?status=enabled"); len(enabled.Items) != 0 {
		t.Fatalf("enabled: %+v", enabled)
	}
	var got user
	res = op.get("/v1/customers/"+cu.ID+"/users/"+u.ID, 200)
	res.json(t, &got)
	if got.Email != addr || len(got.PortalIDs) != 1 || got.PortalIDs[0] != p.ID || res.Header.Get("ETag") != `"1"` {
		t.Fatalf("get: %+v", got)
	}
	// Through every page: the suite has made hundreds of customers by now.
	found := false
	for _, c := range all[customer](op, "/v1/customers?limit=200") {
		found = found || c.ID == cu.ID
	}
	if !found {
		t.Fatal("the new customer is not listed")
	}
}

// concurrently makes n requests at once with call, and returns each one's
// status and, for a 409, its problem's code.
func concurrently(t testing.TB, n int, call func() *response) (statuses []int, codes []string) {
	t.Helper()
	statuses, codes = make([]int, n), make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := call()
			statuses[i] = res.Status
			if res.Status == 409 {
				codes[i] = res.problem(t).Code
			}
		}()
	}
	wg.Wait()
	return statuses, codes
}

func TestTwentyConcurrentInvitesOfOneEmailMakeOneUser(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	addr := uniqueEmail("same")
	statuses, codes := concurrently(t, 20, func() *response {
		return op.call("POST", "/v1/customers/"+cu.ID+"/users", map[string]any{"email": addr})
	})
	created, conflicts := 0, 0
	for i, s := range statuses {
		switch {
		case s == 201:
			created++
		case s == 409 && codes[i] == "already_member":
			conflicts++
		default:
			t.Errorf("request %d answered %d %s", i, s, codes[i])
		}
	}
	if created != 1 || conflicts != 19 {
		t.Fatalf("%d created, %d already_member; want 1 and 19", created, conflicts)
	}
	if n := len(op.listUsers(cu.ID, "").Items); n != 1 {
		t.Fatalf("%d users", n)
	}
	if n := len(emailsTo(t, addr)); n != 1 {
		t.Fatalf("%d e-mails sent, want 1", n)
	}
	// Once more, later, in another case: still the same member.
	p := op.post("/v1/customers/"+cu.ID+"/users", map[string]any{"email": strings.ToUpper(addr)}, 409).problem(t)
	if p.Code != "already_member" {
		t.Fatal(p)
	}
}

// Every bad request is answered with a 4xx problem and changes nothing.
func TestBadRequestsAreRefusedAndChangeNothing(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	users := "/v1/customers/" + cu.ID + "/users"
	big := `{"email":"x@acme.example","name":"` + strings.Repeat("a", 70<<10) + `"}`
	cases := []struct {
		name, method, path string
		body               any
		hdr                []string
		status             int
		code, field        string
		unlisted           bool
	}{
		{"malformed JSON", "POST", users, `{"email":`, nil, 400, "malformed_body", "", false},
		{"not an object", "POST", users, `["x@acme.example"]`, nil, 400, "malformed_body", "", false},
		{"unknown field", "POST", users, `{"email":"a@acme.example","superuser":true}`, nil, 400, "invalid_request", "superuser", false},
		{"field in another case", "POST", users, `{"Email":"a@acme.example"}`, nil, 400, "invalid_request", "Email", false},
		{"duplicate key", "POST", users, `{"email":"a@acme.example","email":"b@acme.example"}`, nil, 400, "invalid_request", "email", false},
		{"wrong type", "POST", users, `{"email":["a@acme.example"]}`, nil, 400, "invalid_request", "email", false},
		{"wrong type admin", "POST", users, `{"email":"a@acme.example","admin":"true"}`, nil, 400, "invalid_request", "admin", false},
		{"null", "POST", users, `{"email":null}`, nil, 400, "invalid_request", "email", false},
		{"invalid e-mail", "POST", users, `{"email":"not an address"}`, nil, 400, "invalid_request", "email", false},
		{"header injection", "POST", users, `{"email":"a@acme.example\r\nBcc: all@acme.example"}`, nil, 400, "invalid_request", "email", false},
		{"display name", "POST", users, `{"email":"Eve <eve@acme.example>"}`, nil, 400, "invalid_request", "email", false},
		{"control characters in name", "POST", users, `{"email":"a@acme.example","name":"a\u0000b"}`, nil, 400, "invalid_request", "name", false},
		{"name too long", "POST", users, `{"email":"a@acme.example","name":"` + strings.Repeat("n", 101) + `"}`, nil, 400, "invalid_request", "name", false},
		{"unknown portal", "POST", users, `{"email":"a@acme.example","portalIds":["ptl_aaaaaaaaaaaaaaaaaaaaaaaaaa"]}`, nil, 400, "invalid_request", "portalIds.0", false},
		{"over 64 KiB", "POST", users, big, nil, 413, "body_too_large", "", false},
		{"text/plain", "POST", users, `{"email":"a@acme.example"}`, []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type", "", false},
		{"no content type", "POST", users, `{"email":"a@acme.example"}`, []string{"Content-Type", ""}, 415, "unsupported_media_type", "", false},
		{"empty body", "POST", users, ``, nil, 400, "body_required", "", false},
		{"bad status", "GET", users + "?status=active", nil, nil, 400, "invalid_request", "status", false},
		{"limit 0", "GET", users + "?limit=0", nil, nil, 400, "invalid_request", "limit", false},
		{"limit 201", "GET", users + "?limit=201", nil, nil, 400, "invalid_request", "limit", false},
		{"limit text", "GET", users + "?limit=ten", nil, nil, 400, "invalid_request", "limit", false},
		{"unknown parameter", "GET", users + "?sort=email", nil, nil, 400, "invalid_request", "sort", false},
		{"repeated parameter", "GET", users + "?status=enabled&status=disabled", nil, nil, 400, "invalid_request", "status", false},
		{"forged cursor", "GET", users + "?cursor=eyJwayI6IkMjY3VzX290aGVyIn0.AAAA", nil, nil, 400, "invalid_request", "cursor", false},
		{"customer name missing", "POST", "/v1/customers", `{"locale":"nl"}`, nil, 400, "invalid_request", "name", false},
		{"customer locale", "POST", "/v1/customers", `{"name":"X","locale":"fr"}`, nil, 400, "invalid_request", "locale", false},
		{"portal url", "POST", "/v1/customers/" + cu.ID + "/portals", `{"name":"P","url":"javascript:alert(1)"}`, nil, 400, "invalid_request", "url", false},
		{"malformed customer id", "GET", "/v1/customers/cus_..%2F..%2Fetc", nil, nil, 404, "not_found", "", false},
		{"unknown customer", "GET", "/v1/customers/cus_aaaaaaaaaaaaaaaaaaaaaaaaaa/users", nil, nil, 404, "not_found", "", false},
		{"malformed user id", "GET", users + "/usr_%27%20OR%201%3D1", nil, nil, 404, "not_found", "", false},
		{"unknown route", "GET", "/v1/nothing", nil, nil, 404, "not_found", "", true},
		{"wrong method", "PUT", "/v1/customers", `{}`, nil, 404, "not_found", "", true},
	}
	before := len(mailbox(t))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			op := &client{t: t, token: op.token, unlisted: c.unlisted}
			res := op.call(c.method, c.path, c.body, c.hdr...)
			if res.Status != c.status {
				t.Fatalf("status %d, want %d: %s", res.Status, c.status, res.Body)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
			p := res.problem(t)
			if p.Code != c.code || p.Status != c.status || p.RequestID == "" {
				t.Fatalf("problem %+v, want code %s", p, c.code)
			}
			if c.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != c.field) {
				t.Fatalf("errors %+v do not name %s", p.Errors, c.field)
			}
		})
	}
	if n := len(op.listUsers(cu.ID, "").Items); n != 0 {
		t.Fatalf("bad requests created %d users", n)
	}
	if after := len(mailbox(t)); after != before {
		t.Fatalf("bad requests sent %d e-mails", after-before)
	}
}

func TestRequestsWithoutAValidAccessTokenAreRefused(t *testing.T) {
	_, idToken := signIn(t, st.Info.Admin.Email, st.Info.Admin.Password)
	access, _ := signIn(t, st.Info.Admin.Email, st.Info.Admin.Password)
	tampered := access[:len(access)-4] + "AAAA"
	for name, hdr := range map[string]string{
		"no token":     "",
		"garbage":      "Bearer not-a-jwt",
		"ID token":     "Bearer " + idToken,
		"tampered":     "Bearer " + tampered,
		"wrong scheme": "Basic " + access,
	} {
		t.Run(name, func(t *testing.T) {
			c := anonymous(t)
			res := c.call("GET", "/v1/me", nil, "Authorization", hdr)
			if res.Status != http.StatusUnauthorized {
				t.Fatalf("%d: %s", res.Status, res.Body)
			}
			if res.problem(t).Code != "unauthenticated" {
				t.Fatal(string(res.Body))
			}
		})
	}
	// And every protected route refuses an anonymous caller.
	c := anonymous(t)
	for _, path := range []string{"/v1/customers", "/v1/customers/cus_aaaaaaaaaaaaaaaaaaaaaaaaaa/users"} {
		if res := c.call("GET", path, nil); res.Status != 401 {
			t.Errorf("%s: %d", path, res.Status)
		}
	}
	_ = fmt.Sprint()
}
