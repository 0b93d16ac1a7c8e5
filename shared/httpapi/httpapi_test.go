package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

type sample struct {
	Email  *string         `json:"email"`
	Admin  *bool           `json:"admin"`
	Roles  []string        `json:"roles"`
	Limits *sampleLimit    `json:"limits"`
	Items  []sampleItem    `json:"items"`
	Raw    json.RawMessage `json:"raw"`
}

type sampleLimit struct {
	Seats *int `json:"seats"`
}

type sampleItem struct {
	Name  *string     `json:"name"`
	Limit sampleLimit `json:"limit"`
}

func req(ct, body string) *Request {
	return &Request{Event: events.APIGatewayV2HTTPRequest{Headers: map[string]string{"content-type": ct}, Body: body}}
}

func TestDecodeAccepts(t *testing.T) {
	var s sample
	if err := req("application/json; charset=UTF-8", `{"email":"a@b.example","admin":true,"roles":["x"]}`).Decode(&s); err != nil {
		t.Fatal(err)
	}
	if *s.Email != "a@b.example" || !*s.Admin || s.Roles[0] != "x" {
		t.Fatalf("%+v", s)
	}
	// Nested objects: exact names pass; null there is as if left out; a
	// value that decodes itself keeps its own keys.
	body := `{"limits":{"seats":null},"items":[{"name":"a","limit":{"seats":2}}],"raw":{"Any":1,"any":2}}`
	if err := req("application/json", body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	if s.Limits == nil || s.Limits.Seats != nil || *s.Items[0].Name != "a" || *s.Items[0].Limit.Seats != 2 {
		t.Fatalf("%+v", s)
	}
	r := req("application/json", "")
	r.Event.Body = base64.StdEncoding.EncodeToString([]byte(`{"email":"x@y.example"}`))
	r.Event.IsBase64Encoded = true
	if err := r.Decode(&s); err != nil || *s.Email != "x@y.example" {
		t.Fatalf("base64 body: %v", err)
	}
}

func TestDecodeRefuses(t *testing.T) {
	big := `{"email":"` + strings.Repeat("a", MaxBody) + `"}`
	cases := []struct {
		name, ct, body string
		status         int
		field, code    string
	}{
		{"no content type", "", `{"email":"x"}`, 415, "", "unsupported_media_type"},
		{"text/plain", "text/plain", `{"email":"x"}`, 415, "", "unsupported_media_type"},
		{"form", "application/x-www-form-urlencoded", `email=x`, 415, "", "unsupported_media_type"},
		{"latin1", "application/json; charset=latin1", `{}`, 415, "", "unsupported_media_type"},
		{"too large", "application/json", big, 413, "", "body_too_large"},
		{"empty", "application/json", "", 400, "", "body_required"},
		{"malformed", "application/json", `{"email":`, 400, "", "malformed_body"},
		{"array", "application/json", `[1,2]`, 400, "", "malformed_body"},
		{"string", "application/json", `"x"`, 400, "", "malformed_body"},
		{"trailing", "application/json", `{"email":"x"} {"email":"y"}`, 400, "", "malformed_body"},
		{"trailing garbage", "application/json", `{"email":"x"}garbage`, 400, "", "malformed_body"},
		{"unknown field", "application/json", `{"email":"x","isAdmin":true}`, 400, "isAdmin", "unknown_field"},
		{"wrong case", "application/json", `{"EMAIL":"x"}`, 400, "EMAIL", "unknown_field"},
		{"duplicate", "application/json", `{"email":"x","email":"y"}`, 400, "email", "duplicate"},
		{"null", "application/json", `{"email":null}`, 400, "email", "null"},
		{"wrong type", "application/json", `{"email":42}`, 400, "email", "wrong_type"},
		{"wrong type bool", "application/json", `{"admin":"yes"}`, 400, "admin", "wrong_type"},
		{"wrong element", "application/json", `{"roles":["a",1]}`, 400, "roles", "wrong_type"},
		{"nested duplicate", "application/json", `{"roles":[{"a":1,"a":2}]}`, 400, "roles.0.a", "duplicate"},
		{"nested wrong case", "application/json", `{"limits":{"Seats":5}}`, 400, "limits.Seats", "unknown_field"},
		{"nested case-folded twin", "application/json", `{"limits":{"seats":5,"Seats":7}}`, 400, "limits.Seats", "unknown_field"},
		{"nested exact duplicate", "application/json", `{"limits":{"seats":5,"seats":7}}`, 400, "limits.seats", "duplicate"},
		{"nested unknown", "application/json", `{"limits":{"nope":5}}`, 400, "limits.nope", "unknown_field"},
		{"nested folded letter", "application/json", "{\"limits\":{\"\u017feats\":5}}", 400, "limits.\u017feats", "unknown_field"}, // ſ: Go's decoder folds it to s
		{"array element unknown", "application/json", `{"items":[{"name":"a"},{"Name":"b"}]}`, 400, "items.1.Name", "unknown_field"},
		{"deeper unknown", "application/json", `{"items":[{"limit":{"seats":1,"SEATS":2}}]}`, 400, "items.0.limit.SEATS", "unknown_field"},
		{"nested wrong type", "application/json", `{"limits":{"seats":"5"}}`, 400, "limits.seats", "wrong_type"},
		{"nested object not an object", "application/json", `{"limits":[1]}`, 400, "limits", "wrong_type"},
		{"invalid utf8 escape", "application/json", "{\"email\":\"\xff\"}", 0, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s sample
			err := req(c.ct, c.body).Decode(&s)
			if c.status == 0 { // must not panic; any 4xx or success is fine
				if err != nil && Status(err) >= 500 {
					t.Fatalf("5xx: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if got := Status(err); got != c.status {
				t.Fatalf("status %d, want %d (%v)", got, c.status, err)
			}
			var e *Error
			errors.As(err, &e)
			if c.field != "" {
				if len(e.Fields) == 0 || e.Fields[0].Field != c.field || e.Fields[0].Code != c.code {
					t.Fatalf("fields %+v, want %s/%s", e.Fields, c.field, c.code)
				}
			} else if e.Code != c.code {
				t.Fatalf("code %q, want %q", e.Code, c.code)
			}
		})
	}
}

func TestQuery(t *testing.T) {
	r := &Request{Event: events.APIGatewayV2HTTPRequest{RawQueryString: "status=enabled&limit=5"}}
	q, err := r.Query("status", "limit")
	if err != nil || q["status"] != "enabled" {
		t.Fatal(err)
	}
	if n, fe := q.Limit(50, 200); fe != nil || n != 5 {
		t.Fatal(n, fe)
	}
	for _, raw := range []string{"status=a&status=b", "sort=email", "limit=%zz"} {
		r := &Request{Event: events.APIGatewayV2HTTPRequest{RawQueryString: raw}}
		if _, err := r.Query("status", "limit"); Status(err) != 400 {
			t.Errorf("%q: %v", raw, err)
		}
	}
	for _, l := range []string{"0", "201", "-1", "abc", "1.5", "99999999999999999999"} {
		if _, fe := (Query{"limit": l}).Limit(50, 200); fe == nil {
			t.Errorf("limit=%s accepted", l)
		}
	}
}

func TestWrapHidesInternalsAndRecoversPanics(t *testing.T) {
	var logs strings.Builder
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	h := Wrap("x", func(ctx context.Context, r *Request) (*Response, error) {
		return nil, errors.New("dynamodb: secret table arn:aws:…")
	}, nil, log)
	ev := events.APIGatewayV2HTTPRequest{RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "r-1"}}
	resp, err := h(context.Background(), ev)
	if err != nil || resp.StatusCode != 500 || resp.Headers["Content-Type"] != "application/problem+json" {
		t.Fatalf("%v %+v", err, resp)
	}
	if strings.Contains(resp.Body, "arn:aws") || !strings.Contains(resp.Body, `"requestId":"r-1"`) {
		t.Fatalf("body leaks internals or lacks the request id: %s", resp.Body)
	}
	if !strings.Contains(logs.String(), "arn:aws") {
		t.Fatal("the cause should be logged")
	}
	panicky := Wrap("y", func(ctx context.Context, r *Request) (*Response, error) { panic("boom") }, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	resp, err = panicky(context.Background(), ev)
	if err != nil || resp.StatusCode != 500 {
		t.Fatalf("panic: %v %+v", err, resp)
	}
	var p Problem
	if err := json.Unmarshal([]byte(resp.Body), &p); err != nil || p.Code != "internal" || p.Status != 500 {
		t.Fatalf("%+v %v", p, err)
	}
}

func TestProblemHeaders(t *testing.T) {
	p, h := ProblemOf(&Error{Status: 401, Code: "unauthenticated"}, nil, "r")
	if p.Status != 401 || h["WWW-Authenticate"] == "" {
		t.Fatal(p, h)
	}
	e := &Error{Status: 429, Code: "reinvite_too_soon", Detail: "wait", RetryAfter: 1500e6}
	p, h = ProblemOf(e, nil, "r")
	if p.Status != 429 || h["Retry-After"] != "2" || p.Code != "reinvite_too_soon" {
		t.Fatal(p, h)
	}
}
