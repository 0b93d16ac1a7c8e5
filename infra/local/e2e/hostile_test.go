package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// snapshot is what a hostile request must not change.
func snapshot(t *testing.T, op *client, customerID string) string {
	var users page[user]
	op.get("/v1/customers/"+customerID+"/users?limit=200", 200).json(t, &users)
	var audit page[struct{ ID string }]
	op.get("/v1/customers/"+customerID+"/audit-events?limit=200", 200).json(t, &audit)
	var portals struct{ Items []any }
	op.get("/v1/customers/"+customerID+"/portals", 200).json(t, &portals)
	var ops page[user]
	op.get("/v1/operators?limit=200", 200).json(t, &ops)
	return fmt.Sprintf("users %d, audit %d, portals %d, operators %d, e-mails %d, customers %d",
		len(users.Items), len(audit.Items), len(portals.Items), len(ops.Items), len(mailbox(t)), countCustomers(t, op, "Hostile"))
}

// A table of hostile requests: each is answered with a 4xx problem, and
// none changes anything.
func TestHostileRequestsAreRefusedAndChangeNothing(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	other := op.newCustomer("en")
	u := op.invite(cu.ID, map[string]any{"email": uniqueEmail("victim")})
	users := "/v1/customers/" + cu.ID + "/users"
	// A real cursor of another customer's listing: well signed, wrong binding.
	for range 3 {
		op.invite(other.ID, map[string]any{"email": uniqueEmail("o")})
	}
	otherPage := op.listUsers(other.ID, "?limit=1")
	nested := strings.Repeat(`{"a":`, 6000) + "1" + strings.Repeat("}", 6000)
	deeper := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	// Path tricks are tried as a portal admin of cu: another customer's
	// paths are not theirs, whatever a path's dots and encodings resolve to.
	_, admin := portalUser(t, op, cu.ID, true)
	before := snapshot(t, op, cu.ID)

	cases := []struct {
		name, method, path string
		body               any
		hdr                []string
		status             int
		unlisted           bool
		asAdmin            bool
	}{
		{"CRLF in a name", "POST", users, `{"email":"a@acme.example","name":"x\r\nBcc: b@acme.example"}`, nil, 400, false, false},
		{"CRLF in a customer name", "POST", "/v1/customers", `{"name":"Hostile\r\nX-Header: 1"}`, nil, 400, false, false},
		{"bidi override in a name", "POST", users, `{"email":"a@acme.example","name":"\u202eevil"}`, nil, 400, false, false},
		{"e-mail of 300 characters", "POST", users, `{"email":"` + strings.Repeat("a", 290) + `@acme.example"}`, nil, 400, false, false},
		{"a name of 10,000 characters", "POST", users, `{"email":"a@acme.example","name":"` + strings.Repeat("n", 10000) + `"}`, nil, 400, false, false},
		{"21 roles", "POST", users, `{"email":"a@acme.example","roles":[` + strings.Repeat(`"r",`, 20) + `"r"]}`, nil, 400, false, false},
		{"a role of 65 characters", "POST", users, `{"email":"a@acme.example","roles":["` + strings.Repeat("r", 65) + `"]}`, nil, 400, false, false},
		{"51 portal ids", "POST", users, `{"email":"a@acme.example","portalIds":[` + strings.Repeat(`"ptl_aaaaaaaaaaaaaaaaaaaaaaaaaa",`, 50) + `"ptl_bbbbbbbbbbbbbbbbbbbbbbbbbb"]}`, nil, 400, false, false},
		{"a portal of another customer", "POST", users, `{"email":"a@acme.example","portalIds":["` + strings.Repeat("x", 3) + `"]}`, nil, 400, false, false},
		{"an e-mail as a number", "POST", users, `{"email":12345}`, nil, 400, false, false},
		{"roles as a string", "POST", users, `{"email":"a@acme.example","roles":"admin"}`, nil, 400, false, false},
		{"admin as a string", "PATCH", users + "/" + u.ID, `{"admin":"true"}`, nil, 400, false, false},
		{"emails as an object", "POST", users + "/bulk", `{"emails":{"0":"a@acme.example"}}`, nil, 400, false, false},
		{"a huge number", "POST", users, `{"email":1e999999}`, nil, 400, false, false},
		{"keys differing in case", "POST", users, `{"email":"a@acme.example","EMAIL":"b@acme.example"}`, nil, 400, false, false},
		{"a duplicate admin flag", "PATCH", users + "/" + u.ID, `{"admin":false,"admin":true}`, nil, 400, false, false},
		{"a smuggled field", "PATCH", users + "/" + u.ID, `{"name":"x","status":"enabled"}`, nil, 400, false, false},
		{"a smuggled customer id", "POST", users, `{"email":"a@acme.example","customerId":"` + other.ID + `"}`, nil, 400, false, false},
		{"nesting 6,000 deep", "POST", users, nested, nil, 400, false, false},
		{"nesting 20,000 deep (over 64 KiB)", "POST", users, deeper, nil, 413, false, false},
		{"a NUL byte in JSON", "POST", users, "{\"email\":\"a@acme.example\u0000\"}", nil, 400, false, false},
		{"UTF-16 JSON", "POST", users, `{"email":"a@acme.example"}`, []string{"Content-Type", "application/json; charset=utf-16"}, 415, false, false},
		{"JSON sent as a form", "POST", users, `email=a@acme.example`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, false, false},
		{"a forged cursor", "GET", users + "?cursor=eyJwayI6IkMjY3VzX2EifQ.Zm9yZ2Vk", nil, nil, 400, false, false},
		{"another customer's cursor", "GET", users + "?limit=1&cursor=" + *otherPage.NextCursor, nil, nil, 400, false, false},
		{"a cursor of 3,000 characters", "GET", users + "?cursor=" + strings.Repeat("A", 3000), nil, nil, 400, false, false},
		{"a search of 300 characters", "GET", users + "?search=" + strings.Repeat("s", 300), nil, nil, 400, false, false},
		{"a control character in search", "GET", users + "?search=a%01b", nil, nil, 400, false, false},
		{"an Idempotency-Key of 300 characters", "POST", "/v1/customers", `{"name":"Hostile"}`, []string{"Idempotency-Key", strings.Repeat("k", 300)}, 400, false, false},
		{"an If-Match that is no version", "PATCH", users + "/" + u.ID, `{"name":"x"}`, []string{"If-Match", `"1"; DROP TABLE`}, 400, false, false},
		{"dot segments in the path", "GET", "/v1/customers/" + cu.ID + "/users/../../" + other.ID + "/users", nil, nil, 404, true, true},
		{"an encoded slash in an id", "GET", "/v1/customers/" + cu.ID + "%2F..%2F" + other.ID + "/users", nil, nil, 404, true, true},
		{"an encoded dot-dot id", "GET", "/v1/customers/%2e%2e/users", nil, nil, 404, false, true},
		{"a homoglyph id", "GET", "/v1/customers/cus_аaaaaaaaaaaaaaaaaaaaaaaaa/users", nil, nil, 404, false, true},
		{"another customer's user under this customer", "DELETE", users + "/" + otherPage.Items[0].ID, nil, nil, 404, false, true},
		{"a user id as a customer id", "GET", "/v1/customers/" + u.ID + "/users", nil, nil, 404, false, true},
		{"a 2,000-character path segment", "GET", "/v1/customers/" + strings.Repeat("c", 2000), nil, nil, 404, false, true},
	}
	// The portal of another customer, for the case above.
	p := op.addPortal(other.ID, "Theirs", "https://o.example")
	for i := range cases {
		if cases[i].name == "a portal of another customer" {
			cases[i].body = `{"email":"a@acme.example","portalIds":["` + p.ID + `"]}`
		}
	}
	before = snapshot(t, op, cu.ID)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := &client{t: t, token: op.token, unlisted: c.unlisted}
			if c.asAdmin {
				cl.token = admin.token
			}
			res := cl.call(c.method, c.path, c.body, c.hdr...)
			if res.Status != c.status {
				t.Fatalf("status %d, want %d: %.300s", res.Status, c.status, res.Body)
			}
			if res.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("content type %q", res.Header.Get("Content-Type"))
			}
		})
	}
	if after := snapshot(t, op, cu.ID); after != before {
		t.Fatalf("hostile requests changed something:\n before %s\n after  %s", before, after)
	}
	t.Logf("%d hostile requests, each answered 4xx, nothing changed", len(cases))
}
