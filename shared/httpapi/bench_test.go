package httpapi

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// Strict decoding of a typical invitation body: the duplicate and exact-key
// walk, then encoding/json.
func BenchmarkDecode(b *testing.B) {
	body := `{"email":"jane@acme.example","name":"Jane Doe","admin":false,"roles":["Portal managers","Billing"],"portalIds":["ptl_aaaaaaaaaaaaaaaaaaaaaaaaaa"]}`
	r := &Request{Event: events.APIGatewayV2HTTPRequest{Headers: map[string]string{"content-type": "application/json"}, Body: body}}
	b.ReportAllocs()
	for b.Loop() {
		var s fuzzBody
		if err := r.Decode(&s); err != nil {
			b.Fatal(err)
		}
	}
}
