package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

type fuzzBody struct {
	Email     *string  `json:"email"`
	Name      *string  `json:"name"`
	Admin     *bool    `json:"admin"`
	Roles     []string `json:"roles"`
	PortalIDs []string `json:"portalIds"`
	Policy    *struct {
		SeatLimit *int `json:"seatLimit"`
	} `json:"policy"`
}

// Whatever a client sends, decoding answers with a value or a 4xx, never
// a panic or a 5xx; and an accepted body is one object of known fields.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"email":"jane@acme.example","name":"Jane","admin":true,"roles":["a"],"portalIds":["p"]}`,
		`{"email":"x","email":"y"}`, `{"EMAIL":"x"}`, `{"email":null}`, `[1]`, `{"roles":[{"a":1,"a":2}]}`,
		`{"email":"a"} trailing`, `{"admin":"true"}`, "{\"email\":\"\xff\"}", `{"a":{"b":{"c":[[[[]]]]}}}`,
		`{"policy":{"seatLimit":5}}`, `{"policy":{"SeatLimit":5}}`, `{"policy":{"seatLimit":5,"seatLimit":7}}`,
	} {
		f.Add([]byte(s), "application/json", false)
	}
	f.Add([]byte(`{"email":"a@b.example"}`), "application/json; charset=utf-8", true)
	f.Add([]byte(`email=a`), "application/x-www-form-urlencoded", false)
	f.Fuzz(func(t *testing.T, body []byte, contentType string, encode bool) {
		ev := events.APIGatewayV2HTTPRequest{Headers: map[string]string{"content-type": contentType}, Body: string(body)}
		if encode {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
		var out fuzzBody
		err := (&Request{Event: ev}).Decode(&out)
		if err != nil {
			if s := Status(err); s < 400 || s >= 500 {
				t.Fatalf("status %d for %q: %v", s, body, err)
			}
			return
		}
		// Accepted: the body is a JSON object whose keys are all known,
		// the policy's too.
		var m map[string]json.RawMessage
		if jerr := json.Unmarshal(body, &m); jerr != nil {
			t.Fatalf("accepted a body that is not one object: %q", body)
		}
		top := fieldsOf(reflect.TypeOf(&out))
		for k := range m {
			if _, ok := top[k]; !ok {
				t.Fatalf("accepted unknown key %q", k)
			}
		}
		var p map[string]json.RawMessage
		if json.Unmarshal(m["policy"], &p) == nil {
			for k := range p {
				if _, ok := fieldsOf(top["policy"].t)[k]; !ok {
					t.Fatalf("accepted unknown key policy.%s", k)
				}
			}
		}
	})
}
