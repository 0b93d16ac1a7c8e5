package origin

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

const (
	current  = "cUrReNt0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
	previous = "pReViOuS0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
)

// seen is what the wrapped handler was given, or nil when it did not run.
type seen struct {
	ev *events.APIGatewayV2HTTPRequest
}

func (s *seen) handler(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	s.ev = &ev
	return events.APIGatewayV2HTTPResponse{StatusCode: 200}, nil
}

func request(headers map[string]string) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{RouteKey: "POST /v1/invitations/inspect", Headers: headers}
	ev.RequestContext.RequestID = "rid-1"
	ev.RequestContext.HTTP.SourceIP = "130.176.1.1" // a CloudFront edge
	return ev
}

func TestRequestsWithoutTheSecretAreRefusedBeforeTheHandler(t *testing.T) {
	for name, headers := range map[string]map[string]string{
		"no header":       {"content-type": "application/json"},
		"empty":           {Header: ""},
		"wrong":           {Header: strings.Repeat("x", 64)},
		"a prefix":        {Header: current[:32]},
		"longer":          {Header: current + "x"},
		"other case":      {Header: strings.ToUpper(current)},
		"only the viewer": {ViewerAddressHeader: "203.0.113.7"},
	} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			var s seen
			h := Check("inspect-invitation", []string{current, previous}, s.handler, slog.New(slog.NewJSONHandler(&logs, nil)))
			res, err := h(context.Background(), request(headers))
			if err != nil || s.ev != nil {
				t.Fatalf("err %v, handler ran %v", err, s.ev != nil)
			}
			var p httpapi.Problem
			if res.StatusCode != 403 || res.Headers["Content-Type"] != "application/problem+json" || json.Unmarshal([]byte(res.Body), &p) != nil || p.Code != CodeRefused || p.RequestID != "rid-1" {
				t.Fatalf("answer %d %v %s", res.StatusCode, res.Headers, res.Body)
			}
			if !strings.Contains(logs.String(), `"code":"`+CodeRefused+`"`) || strings.Contains(logs.String(), current) {
				t.Errorf("log %s", logs.String())
			}
		})
	}
}

func TestTheSecretLetsTheRequestThroughWithTheViewersAddress(t *testing.T) {
	for _, secret := range []string{current, previous} {
		var s seen
		h := Check("inspect-invitation", []string{current, previous}, s.handler, slog.New(slog.DiscardHandler))
		in := request(map[string]string{Header: secret, ViewerAddressHeader: "203.0.113.7", "content-type": "application/json"})
		res, err := h(context.Background(), in)
		if err != nil || res.StatusCode != 200 || s.ev == nil {
			t.Fatalf("answer %d %v", res.StatusCode, err)
		}
		if _, ok := s.ev.Headers[Header]; ok {
			t.Error("the handler sees the secret")
		}
		if _, ok := s.ev.Headers[ViewerAddressHeader]; ok || s.ev.Headers["content-type"] != "application/json" {
			t.Errorf("headers %v", s.ev.Headers)
		}
		if got := s.ev.RequestContext.HTTP.SourceIP; got != "203.0.113.7" {
			t.Errorf("source address %s, want the viewer's", got)
		}
		if in.Headers[Header] != secret {
			t.Error("the caller's event was changed")
		}
	}
	// A viewer address that is not one leaves the gateway's.
	var s seen
	h := Check("x", []string{current}, s.handler, slog.New(slog.DiscardHandler))
	_, _ = h(context.Background(), request(map[string]string{Header: current, ViewerAddressHeader: "203.0.113.7, 10.0.0.1"}))
	if s.ev == nil || s.ev.RequestContext.HTTP.SourceIP != "130.176.1.1" {
		t.Errorf("a malformed viewer address was taken: %+v", s.ev)
	}
	h(context.Background(), request(map[string]string{Header: current, ViewerAddressHeader: "::ffff:203.0.113.9"}))
	if s.ev.RequestContext.HTTP.SourceIP != "203.0.113.9" {
		t.Errorf("mapped address %s", s.ev.RequestContext.HTTP.SourceIP)
	}
}

// Locally there is no secret: the handler is served as it is, and the
// viewer header, which nobody vouches for, is not read.
func TestNoSecretNoCheck(t *testing.T) {
	var s seen
	h := Check("x", nil, s.handler, slog.New(slog.DiscardHandler))
	_, _ = h(context.Background(), request(map[string]string{ViewerAddressHeader: "203.0.113.7"}))
	if s.ev == nil || s.ev.RequestContext.HTTP.SourceIP != "130.176.1.1" {
		t.Errorf("%+v", s.ev)
	}
}

func TestOriginSecretsFromTheEnvironment(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "ORIGIN_SECRET" {
				return v
			}
			return ""
		}
	}
	if got, err := config.OriginSecrets(env("")); err != nil || got != nil {
		t.Errorf("unset: %v %v", got, err)
	}
	if got, err := config.OriginSecrets(env(current + "," + previous)); err != nil || len(got) != 2 || got[0] != current || got[1] != previous {
		t.Errorf("two: %v %v", got, err)
	}
	for _, bad := range []string{"short", current + ",", current + ",short"} {
		if _, err := config.OriginSecrets(env(bad)); err == nil || !strings.Contains(err.Error(), "ORIGIN_SECRET") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
