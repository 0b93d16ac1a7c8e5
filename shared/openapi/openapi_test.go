package openapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

const (
	cusID = "cus_01j9z3k4m5n6p7q8r9s0t1v2w3"
	usrID = "usr_01j9z3k4m5n6p7q8r9s0t1v2w3"
	oprID = "opr_01j9z3k4m5n6p7q8r9s0t1v2w3"
	ptlID = "ptl_01j9z3k4m5n6p7q8r9s0t1v2w3"
	evtID = "evt_01j9z3k4m5n6p7q8r9s0t1v2w3"
	now   = "2025-01-31T09:30:00Z"

	jsonCT    = "application/json"
	problemCT = "application/problem+json"
)

func newValidator(t *testing.T) *Validator {
	t.Helper()
	v, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// obj is a JSON object that tests change one field of at a time.
type obj = map[string]any

func invitation() obj {
	return obj{"state": "pending", "expiresAt": "2025-02-07T09:30:00Z", "lastSentAt": now,
		"sendCount": 1, "delivery": "sent", "reminderSentAt": nil}
}

func user() obj {
	return obj{"id": usrID, "customerId": cusID, "email": "jane@acme.example", "name": "Jane",
		"status": "unconfirmed", "admin": false, "roles": []any{"Portal managers"}, "portalIds": []any{ptlID},
		"invitation": invitation(), "accessUntil": nil, "createdAt": now, "updatedAt": "2025-01-31T09:30:00.123456789Z", "version": 1}
}

func operator() obj {
	return obj{"id": oprID, "email": "admin@example.com", "name": "Admin", "role": "admin", "status": "enabled", "mfaEnrolledAt": now,
		"invitation": nil, "accessUntil": "2025-03-01T00:00:00Z", "createdAt": now, "updatedAt": now, "version": 3}
}

const (
	adrID = "adr_01j9z3k4m5n6p7q8r9s0t1v2w3"
	agrID = "agr_01j9z3k4m5n6p7q8r9s0t1v2w3"
	jobID = "job_01j9z3k4m5n6p7q8r9s0t1v2w3"
)

func address() obj {
	return obj{"id": adrID, "customerId": cusID, "kind": "shipping", "label": "Warehouse", "lines": []any{"Havenstraat 12"},
		"postalCode": "3011 AB", "city": "Rotterdam", "region": nil, "country": "NL", "createdAt": now, "updatedAt": now, "version": 1}
}

func agreement() obj {
	return obj{"id": agrID, "customerId": cusID, "name": "Maintenance", "reference": "SLA-1", "startsOn": "2025-01-01",
		"endsOn": "2025-12-31", "status": "active", "createdAt": now, "updatedAt": now, "version": 1}
}

func job() obj {
	return obj{"id": jobID, "kind": "customer.offboarding", "customerId": cusID, "customerName": "Acme", "state": "running",
		"step": "members", "steps": []any{"members", "portals", "records", "customer", "done"},
		"removed":     obj{"members": 0, "invitations": 0, "portals": 0, "records": 0},
		"requestedBy": obj{"id": oprID, "email": "admin@example.com", "kind": "operator"},
		"createdAt":   now, "updatedAt": now, "finishedAt": nil}
}

func problem(status int, code string) obj {
	return obj{"type": "about:blank", "title": http.StatusText(status), "status": status,
		"detail": "something is off", "code": code, "requestId": "req-1"}
}

func with(o obj, key string, value any) obj {
	c := obj{}
	for k, v := range o {
		c[k] = v
	}
	if value == deleteKey {
		delete(c, key)
	} else {
		c[key] = value
	}
	return c
}

var deleteKey = &struct{}{}

type exchange struct {
	name        string
	method      string
	path        string
	status      int
	contentType string
	header      map[string]string
	body        any // marshalled to JSON unless a string
}

func (e exchange) run(v *Validator) error {
	req := httptest.NewRequest(e.method, "http://127.0.0.1:34567"+e.path, nil)
	var raw []byte
	switch b := e.body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			panic(err)
		}
	}
	resp := &http.Response{StatusCode: e.status, Header: http.Header{}, Request: req}
	if e.contentType != "" {
		resp.Header.Set("Content-Type", e.contentType)
	}
	for k, val := range e.header {
		resp.Header.Set(k, val)
	}
	return v.ValidateResponse(req, resp, raw)
}

const (
	users   = "/v1/customers/" + cusID + "/users"
	oneUser = users + "/" + usrID
)

var etag = map[string]string{"ETag": `"1"`}

func validExchanges() []exchange {
	return []exchange{
		{"health", "GET", "/v1/health", 200, jsonCT, nil, obj{"status": "ok"}},
		{"user", "GET", oneUser, 200, jsonCT, etag, user()},
		{"user with charset", "GET", oneUser, 200, "application/json; charset=utf-8", etag, user()},
		{"user without invitation", "GET", oneUser, 200, jsonCT, etag, with(user(), "invitation", nil)},
		{"user list", "GET", users + "?status=enabled&limit=2", 200, jsonCT, nil,
			obj{"items": []any{user(), with(user(), "status", "enabled")}, "nextCursor": "abc"}},
		{"empty last page", "GET", users, 200, jsonCT, nil, obj{"items": []any{}, "nextCursor": nil}},
		{"invite", "POST", users, 201, jsonCT, map[string]string{"ETag": `"1"`, "Location": oneUser}, user()},
		{"patch", "PATCH", oneUser, 200, jsonCT, map[string]string{"ETag": `"12"`}, with(user(), "version", 12)},
		{"reinvite", "POST", oneUser + "/reinvite", 200, jsonCT, etag, user()},
		{"delete", "DELETE", oneUser, 204, "", nil, nil},
		{"bulk", "POST", users + "/bulk", 200, jsonCT, nil, obj{"results": []any{
			obj{"email": "jane@acme.example", "outcome": "invited", "user": user()},
			obj{"email": "bob@acme.example", "outcome": "already_member"},
			obj{"email": "not an e-mail", "outcome": "invalid", "error": obj{"code": "invalid_email", "message": "not an e-mail address"}},
		}}},
		{"problem 400", "POST", users, 400, problemCT, nil, with(problem(400, "invalid_request"), "errors",
			[]any{obj{"field": "email", "code": "required", "message": "email is required"}})},
		{"problem 401", "GET", "/v1/me", 401, problemCT, nil, problem(401, "unauthorized")},
		{"problem 404", "GET", oneUser, 404, problemCT, nil, problem(404, "not_found")},
		{"problem 409", "POST", oneUser + "/disable", 409, problemCT, nil, problem(409, "last_admin")},
		{"problem 429", "POST", oneUser + "/reinvite", 429, problemCT, map[string]string{"Retry-After": "60"}, problem(429, "reinvite_too_soon")},
		{"problem 410", "POST", "/v1/invitations/accept", 410, problemCT, nil, problem(410, "invitation_invalid")},
		{"problem 500", "GET", "/v1/customers", 500, problemCT, nil, problem(500, "internal")},
		{"me", "GET", "/v1/me", 200, jsonCT, nil, obj{"id": "2f6c3b1e-0000-4000-8000-000000000000", "email": "jane@acme.example",
			"name": "Jane", "operator": nil, "memberships": []any{obj{"customerId": cusID, "customerName": "Acme",
				"userId": usrID, "admin": true, "roles": []any{}, "portals": []any{obj{"id": ptlID, "name": "Main", "url": "https://portal.acme.example"}}}}}},
		{"me operator", "GET", "/v1/me", 200, jsonCT, nil, obj{"id": "x", "email": "admin@example.com",
			"name": "Admin", "operator": obj{"role": "technician", "mfaRequired": false}, "memberships": []any{}}},
		{"customer", "POST", "/v1/customers", 201, jsonCT, map[string]string{"ETag": `"1"`, "Location": "/v1/customers/" + cusID},
			obj{"id": cusID, "name": "Acme", "locale": "nl", "policy": obj{"allowedDomains": []any{}, "invitationLifetimeSeconds": nil, "seatLimit": nil}, "createdAt": now, "updatedAt": now, "version": 1}},
		// The organization profile, a customer's offboarding, the provider's trail.
		{"customer renamed", "PATCH", "/v1/customers/" + cusID, 200, jsonCT, map[string]string{"ETag": `"2"`},
			obj{"id": cusID, "name": "Acme BV", "locale": "nl", "policy": obj{"allowedDomains": []any{"acme.example"}, "invitationLifetimeSeconds": 86400, "seatLimit": 50}, "createdAt": now, "updatedAt": now, "version": 2}},
		{"addresses", "GET", "/v1/customers/" + cusID + "/addresses", 200, jsonCT, nil, obj{"items": []any{address()}}},
		{"address added", "POST", "/v1/customers/" + cusID + "/addresses", 201, jsonCT,
			map[string]string{"ETag": `"1"`, "Location": "/v1/customers/" + cusID + "/addresses/" + adrID}, address()},
		{"address without label", "PATCH", "/v1/customers/" + cusID + "/addresses/" + adrID, 200, jsonCT, map[string]string{"ETag": `"1"`},
			with(address(), "label", nil)},
		{"agreements", "GET", "/v1/customers/" + cusID + "/service-agreements", 200, jsonCT, nil, obj{"items": []any{agreement()}}},
		{"offboarding accepted", "DELETE", "/v1/customers/" + cusID, 202, jsonCT, map[string]string{"Location": "/v1/jobs/" + jobID},
			obj{"job": job()}},
		{"job done", "GET", "/v1/jobs/" + jobID, 200, jsonCT, nil, with(with(job(), "state", "done"), "finishedAt", now)},
		{"provider trail", "GET", "/v1/audit-events", 200, jsonCT, nil, obj{"items": []any{obj{"id": evtID, "at": now,
			"actor": obj{"id": oprID, "email": "admin@example.com", "kind": "operator"}, "action": "customer.offboarded",
			"target": obj{"kind": "customer", "id": cusID, "email": nil, "name": "Acme"}, "customerId": nil}}, "nextCursor": nil}},
		{"problem 409 limit", "POST", "/v1/customers/" + cusID + "/addresses", 409, problemCT, nil, problem(409, "limit_reached")},
		{"portals", "GET", "/v1/customers/" + cusID + "/portals", 200, jsonCT, nil, obj{"items": []any{
			obj{"id": ptlID, "customerId": cusID, "name": "Main", "url": "http://localhost:3000", "redirectUris": []any{"http://localhost:3000/"},
				"signIn": obj{"clientId": nil, "issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x", "discoveryUrl": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x/.well-known/openid-configuration",
					"authorizationEndpoint": "https://login.example/oauth2/authorize", "tokenEndpoint": "https://login.example/oauth2/token", "logoutEndpoint": "https://login.example/logout", "uiLocales": "nl"},
				"createdAt": now, "updatedAt": now, "version": 1}}}},
		{"portal access", "GET", "/v1/portal-access", 200, jsonCT, nil, obj{"portal": obj{"id": ptlID, "name": "Main", "url": "http://localhost:3000"},
			"customer": obj{"id": cusID, "name": "Acme", "locale": "nl"}, "user": obj{"id": usrID, "email": "jane@acme.example", "name": ""}, "admin": false, "roles": []any{}}},
		{"audit", "GET", "/v1/customers/" + cusID + "/audit-events", 200, jsonCT, nil, obj{"nextCursor": nil, "items": []any{
			obj{"id": evtID, "at": now, "actor": obj{"id": oprID, "email": "admin@example.com", "kind": "operator"},
				"action": "user.invited", "target": obj{"kind": "user", "id": usrID, "email": "jane@acme.example"}, "customerId": cusID},
			obj{"id": evtID, "at": now, "actor": obj{"id": "sweep", "email": nil, "kind": "system"},
				"action": "invitation.expired", "target": obj{"kind": "operator", "id": oprID, "email": nil}, "customerId": nil},
		}}},
		{"operator", "GET", "/v1/operators/" + oprID, 200, jsonCT, map[string]string{"ETag": `"3"`}, operator()},
		{"operator invited", "POST", "/v1/operators", 201, jsonCT, map[string]string{"ETag": `"1"`, "Location": "/v1/operators/" + oprID},
			with(with(operator(), "invitation", invitation()), "status", "unconfirmed")},
		{"operator delete", "DELETE", "/v1/operators/" + oprID, 204, "", nil, nil},
		{"inspect", "POST", "/v1/invitations/inspect", 200, jsonCT, nil,
			obj{"email": "jane@acme.example", "customerName": nil, "expiresAt": now, "existingAccount": false, "portals": []any{}}},
		{"accept", "POST", "/v1/invitations/accept", 200, jsonCT, nil,
			obj{"email": "jane@acme.example", "status": "enabled", "signIn": "existing_account", "customerName": "Acme",
				"portals": []any{obj{"id": ptlID, "name": "Main", "url": "https://portal.acme.example"}}}},
	}
}

func TestDocumentIsValidOpenAPI31(t *testing.T) {
	doc, err := libopenapi.NewDocument(Spec)
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.GetSpecInfo().Version; !strings.HasPrefix(got, "3.1") {
		t.Fatalf("openapi version %q, want 3.1.x", got)
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Fatalf("building the model: %v", err)
	}
	lib, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, verrs := lib.ValidateDocument(); !ok {
		t.Fatalf("the document breaks the OpenAPI 3.1 schema:\n%s", describe(verrs))
	}
	if a, b := newValidator(t), newValidator(t); a != b {
		t.Error("New parsed the document twice")
	}
}

// A broken document must be refused, or the test above proves nothing.
func TestDocumentValidationCatchesMistakes(t *testing.T) {
	const anchor = "      operationId: getHealth\n"
	if !strings.Contains(string(Spec), anchor) {
		t.Fatal("anchor not found")
	}
	broken := strings.Replace(string(Spec), anchor, anchor+"      parameters:\n        - name: x\n          in: nowhere\n", 1)
	doc, err := libopenapi.NewDocument([]byte(broken))
	if err != nil {
		t.Fatal(err)
	}
	lib, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, _ := lib.ValidateDocument(); ok {
		t.Fatal("a parameter `in: nowhere` passed validation")
	}
}

func TestValidResponsesPass(t *testing.T) {
	v := newValidator(t)
	for _, e := range validExchanges() {
		t.Run(e.name, func(t *testing.T) {
			if err := e.run(v); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestInvalidResponsesFail(t *testing.T) {
	v := newValidator(t)
	cases := []struct {
		exchange
		want string // a fragment of the error
	}{
		{exchange{"missing required field", "GET", oneUser, 200, jsonCT, etag, with(user(), "version", deleteKey)}, "version"},
		{exchange{"wrong status enum", "GET", oneUser, 200, jsonCT, etag, with(user(), "status", "active")}, "status"},
		{exchange{"extra field", "GET", oneUser, 200, jsonCT, etag, with(user(), "password", "x")}, "password"},
		{exchange{"wrong type", "GET", oneUser, 200, jsonCT, etag, with(user(), "admin", "yes")}, "admin"},
		{exchange{"bad invitation", "GET", oneUser, 200, jsonCT, etag, with(user(), "invitation", with(invitation(), "delivery", "lost"))}, "invitation"},
		{exchange{"invitation missing reminderSentAt", "GET", oneUser, 200, jsonCT, etag, with(user(), "invitation", with(invitation(), "reminderSentAt", deleteKey))}, "invitation"},
		{exchange{"nullable time of wrong type", "GET", oneUser, 200, jsonCT, etag, with(user(), "invitation", with(invitation(), "lastSentAt", 5))}, "lastSentAt"},
		{exchange{"non-UTC time", "GET", oneUser, 200, jsonCT, etag, with(user(), "createdAt", "2025-01-31T10:30:00+01:00")}, "createdAt"},
		{exchange{"not a time", "GET", oneUser, 200, jsonCT, etag, with(user(), "createdAt", "yesterday")}, "createdAt"},
		{exchange{"wrong id prefix", "GET", oneUser, 200, jsonCT, etag, with(user(), "customerId", usrID)}, "customerId"},
		{exchange{"upper-case e-mail", "GET", oneUser, 200, jsonCT, etag, with(user(), "email", "Jane@acme.example")}, "email"},
		{exchange{"version zero", "GET", oneUser, 200, jsonCT, etag, with(user(), "version", 0)}, "version"},
		{exchange{"missing ETag", "GET", oneUser, 200, jsonCT, nil, user()}, "ETag"},
		{exchange{"unquoted ETag", "GET", oneUser, 200, jsonCT, map[string]string{"ETag": "1"}, user()}, "ETag"},
		{exchange{"missing Location", "POST", users, 201, jsonCT, etag, user()}, "Location"},
		{exchange{"missing Retry-After", "POST", oneUser + "/reinvite", 429, problemCT, nil, problem(429, "reinvite_too_soon")}, "Retry-After"},
		{exchange{"undocumented status", "GET", oneUser, 418, problemCT, nil, problem(418, "teapot")}, "418"},
		{exchange{"201 where 200 is documented", "POST", users + "/bulk", 201, jsonCT, nil, obj{"results": []any{}}}, "201"},
		{exchange{"wrong content type for a problem", "GET", oneUser, 404, jsonCT, nil, problem(404, "not_found")}, "application/json"},
		{exchange{"wrong content type for a user", "GET", oneUser, 200, "text/plain", etag, user()}, "text/plain"},
		{exchange{"no content type", "GET", oneUser, 200, "", etag, user()}, "200"},
		{exchange{"empty body", "GET", oneUser, 200, jsonCT, etag, ""}, "empty"},
		{exchange{"body that is not JSON", "GET", oneUser, 200, jsonCT, etag, "<html>"}, "decode"},
		{exchange{"204 with a body", "DELETE", oneUser, 204, jsonCT, nil, obj{}}, "without a body"},
		{exchange{"problem missing requestId", "GET", oneUser, 404, problemCT, nil, with(problem(404, "not_found"), "requestId", deleteKey)}, "requestId"},
		{exchange{"problem status differs from HTTP status", "GET", oneUser, 404, problemCT, nil, problem(400, "not_found")}, "status"},
		{exchange{"unknown 409 code", "POST", oneUser + "/enable", 409, problemCT, nil, problem(409, "conflict")}, "code"},
		{exchange{"410 with another code", "POST", "/v1/invitations/inspect", 410, problemCT, nil, problem(410, "gone")}, "code"},
		{exchange{"health not ok", "GET", "/v1/health", 200, jsonCT, nil, obj{"status": "fine"}}, "status"},
		{exchange{"accept status const", "POST", "/v1/invitations/accept", 200, jsonCT, nil,
			obj{"email": "jane@acme.example", "status": "unconfirmed", "signIn": "password_set"}}, "status"},
		{exchange{"list without nextCursor", "GET", users, 200, jsonCT, nil, obj{"items": []any{}}}, "nextCursor"},
		{exchange{"list with a bad item", "GET", users, 200, jsonCT, nil, obj{"items": []any{with(user(), "roles", "admin")}, "nextCursor": nil}}, "roles"},
		{exchange{"bulk invited without user", "POST", users + "/bulk", 200, jsonCT, nil,
			obj{"results": []any{obj{"email": "jane@acme.example", "outcome": "invited"}}}}, "user"},
		{exchange{"bulk unknown outcome", "POST", users + "/bulk", 200, jsonCT, nil,
			obj{"results": []any{obj{"email": "jane@acme.example", "outcome": "skipped"}}}}, "outcome"},
		{exchange{"me operator with extra field", "GET", "/v1/me", 200, jsonCT, nil, obj{"id": "x", "email": "a@b.example",
			"name": "A", "operator": obj{"role": "admin", "mfaRequired": false, "id": oprID}, "memberships": []any{}}}, "operator"},
		{exchange{"unknown route", "GET", "/v1/nothing", 200, jsonCT, nil, obj{}}, "/v1/nothing"},
		{exchange{"unknown method", "PUT", oneUser, 200, jsonCT, etag, user()}, "PUT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run(v)
			if err == nil {
				t.Fatal("passed; want an error")
			}
			if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(c.want)) {
				t.Fatalf("error does not mention %q:\n%v", c.want, err)
			}
			t.Log(err)
		})
	}
}

// Every problem is reported, not only the first.
func TestErrorListsEveryProblem(t *testing.T) {
	v := newValidator(t)
	bad := with(with(user(), "status", "active"), "version", deleteKey)
	err := exchange{"", "GET", oneUser, 200, jsonCT, nil, bad}.run(v)
	if err == nil {
		t.Fatal("passed; want an error")
	}
	for _, want := range []string{"status", "version", "ETag"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestRoutes(t *testing.T) {
	routes := newValidator(t).Routes()
	have := map[Route]bool{}
	for _, r := range routes {
		if r.Method != strings.ToUpper(r.Method) {
			t.Errorf("method %q is not upper-case", r.Method)
		}
		if have[r] {
			t.Errorf("%v listed twice", r)
		}
		have[r] = true
	}
	want := []Route{
		{"GET", "/v1/health"},
		{"GET", "/v1/me"},
		{"GET", "/v1/customers"},
		{"POST", "/v1/customers"},
		{"GET", "/v1/customers/{customerId}"},
		{"GET", "/v1/customers/{customerId}/portals"},
		{"POST", "/v1/customers/{customerId}/portals"},
		{"PATCH", "/v1/customers/{customerId}/portals/{portalId}"},
		{"DELETE", "/v1/customers/{customerId}/portals/{portalId}"},
		{"GET", "/v1/customers/{customerId}/portals/{portalId}/users"},
		{"GET", "/v1/portal-access"},
		{"OPTIONS", "/v1/{proxy}"},
		{"GET", "/v1/customers/{customerId}/users"},
		{"POST", "/v1/customers/{customerId}/users"},
		{"POST", "/v1/customers/{customerId}/users/bulk"},
		{"GET", "/v1/customers/{customerId}/users/{userId}"},
		{"PATCH", "/v1/customers/{customerId}/users/{userId}"},
		{"DELETE", "/v1/customers/{customerId}/users/{userId}"},
		{"POST", "/v1/customers/{customerId}/users/{userId}/enable"},
		{"POST", "/v1/customers/{customerId}/users/{userId}/disable"},
		{"POST", "/v1/customers/{customerId}/users/{userId}/reinvite"},
		{"GET", "/v1/customers/{customerId}/audit-events"},
		{"GET", "/v1/operators"},
		{"POST", "/v1/operators"},
		{"GET", "/v1/operators/{operatorId}"},
		{"PATCH", "/v1/operators/{operatorId}"},
		{"DELETE", "/v1/operators/{operatorId}"},
		{"POST", "/v1/operators/{operatorId}/enable"},
		{"POST", "/v1/operators/{operatorId}/disable"},
		{"POST", "/v1/operators/{operatorId}/reinvite"},
		{"POST", "/v1/invitations/inspect"},
		{"POST", "/v1/invitations/accept"},
		// The organization profile, a customer's life time, the provider's trail.
		{"GET", "/v1/customers/{customerId}/addresses"},
		{"POST", "/v1/customers/{customerId}/addresses"},
		{"PATCH", "/v1/customers/{customerId}/addresses/{addressId}"},
		{"DELETE", "/v1/customers/{customerId}/addresses/{addressId}"},
		{"GET", "/v1/customers/{customerId}/service-agreements"},
		{"POST", "/v1/customers/{customerId}/service-agreements"},
		{"PATCH", "/v1/customers/{customerId}/service-agreements/{agreementId}"},
		{"DELETE", "/v1/customers/{customerId}/service-agreements/{agreementId}"},
		{"PATCH", "/v1/customers/{customerId}"},
		{"DELETE", "/v1/customers/{customerId}"},
		{"GET", "/v1/jobs/{jobId}"},
		{"GET", "/v1/audit-events"},
		// The operators' second factor.
		{"POST", "/v1/me/mfa"},
		{"DELETE", "/v1/operators/{operatorId}/mfa"},
		// The role catalogue (issue 14, part B).
		{"GET", "/v1/customers/{customerId}/roles"},
		{"POST", "/v1/customers/{customerId}/roles"},
		{"PATCH", "/v1/customers/{customerId}/roles/{roleId}"},
		{"DELETE", "/v1/customers/{customerId}/roles/{roleId}"},
		// Actions on a selection of users (issue 14).
		{"POST", "/v1/customers/{customerId}/users/actions"},
		// Imports (issue 17).
		{"POST", "/v1/customers/{customerId}/imports"},
		{"GET", "/v1/customers/{customerId}/imports/{importId}"},
		{"GET", "/v1/customers/{customerId}/imports/{importId}/outcomes"},
		// Webhook subscriptions (issue 16).
		{"GET", "/v1/customers/{customerId}/webhooks"},
		{"POST", "/v1/customers/{customerId}/webhooks"},
		{"GET", "/v1/customers/{customerId}/webhooks/{webhookId}"},
		{"PATCH", "/v1/customers/{customerId}/webhooks/{webhookId}"},
		{"DELETE", "/v1/customers/{customerId}/webhooks/{webhookId}"},
		{"POST", "/v1/customers/{customerId}/webhooks/{webhookId}/rotate-secret"},
		{"GET", "/v1/customers/{customerId}/webhooks/{webhookId}/deliveries"},
	}
	for _, r := range want {
		if !have[r] {
			t.Errorf("Routes() lacks %v", r)
		}
	}
	if len(routes) != len(want) {
		t.Errorf("Routes() has %d routes, want %d: %v", len(routes), len(want), routes)
	}
	routes[0].Path = "changed"
	if newValidator(t).Routes()[0].Path == "changed" {
		t.Error("Routes() hands out its own slice")
	}
}

func TestConcurrentUse(t *testing.T) {
	v := newValidator(t)
	exchanges := validExchanges()
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(exchanges))
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, e := range exchanges {
				if err := e.run(v); err != nil {
					errs <- fmt.Errorf("%s: %w", e.name, err)
				}
			}
			bad := exchange{"", "GET", oneUser, 200, jsonCT, etag, with(user(), "status", "active")}
			if bad.run(v) == nil {
				errs <- fmt.Errorf("an invalid user passed")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// The request's body has been sent and the response's body read by the caller: the validator
// must not need either.
func TestBodiesAreNotRead(t *testing.T) {
	v := newValidator(t)
	req := httptest.NewRequest("POST", users, strings.NewReader(`{"email":"jane@acme.example"}`))
	raw, _ := json.Marshal(user())
	resp := &http.Response{StatusCode: 201, Header: http.Header{}, Body: http.NoBody}
	resp.Header.Set("Content-Type", jsonCT)
	resp.Header.Set("ETag", `"1"`)
	resp.Header.Set("Location", oneUser)
	if err := v.ValidateResponse(req, resp, raw); err != nil {
		t.Fatal(err)
	}
	if resp.Body != http.NoBody {
		t.Error("the response body was replaced")
	}
}

// Every response schema of every operation compiles (a schema the library cannot compile would
// otherwise surface only when a test first meets that status).
func TestEveryResponseSchemaCompiles(t *testing.T) {
	v := newValidator(t)
	ids := strings.NewReplacer("{customerId}", cusID, "{userId}", usrID, "{operatorId}", oprID)
	for _, r := range v.Routes() {
		op := operation(v.model.Paths.PathItems.GetOrZero(r.Path), r.Method)
		for pair := op.Responses.Codes.First(); pair != nil; pair = pair.Next() {
			var status int
			fmt.Sscan(pair.Key(), &status)
			for ct := pair.Value().Content.First(); ct != nil; ct = ct.Next() {
				if ct.Key() == "text/csv" {
					continue // an export: a string, no JSON schema to compile
				}
				err := exchange{"", r.Method, ids.Replace(r.Path), status, ct.Key(), nil, obj{}}.run(v)
				if err == nil {
					t.Errorf("%s %s %d: an empty object passed", r.Method, r.Path, status)
				} else if strings.Contains(err.Error(), "compil") {
					t.Errorf("%s %s %d: %v", r.Method, r.Path, status, err)
				}
			}
		}
	}
}
