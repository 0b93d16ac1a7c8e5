// Package origin refuses the API requests that did not come through the
// product's CloudFront distribution. On AWS the distribution adds a secret
// header (Header) to every request it forwards to the HTTP API; a request
// sent straight to the API's execute-api address lacks it and is answered
// 403 before the operation runs, so that the edge's AWS WAF rules (managed
// rules, per-address rate limits) cannot be walked around. Locally no CDN
// stands in front of the gateway and the check is off.
package origin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portalaccess/portalaccess/shared/httpapi"
)

const (
	// Header carries the origin secret; CloudFront adds it as an origin
	// custom header, replacing any header of that name a viewer sent.
	Header = "x-origin-verify"
	// ViewerAddressHeader carries the viewer's IP address, set by the
	// distribution's viewer-request function (replacing any a viewer sent):
	// behind CloudFront, API Gateway's sourceIp is the edge server's.
	ViewerAddressHeader = "x-viewer-address"
	// CodeRefused is the problem code of a refused request.
	CodeRefused = "direct_access_refused"
)

// Check wraps an API handler: with no secrets it is the handler itself;
// otherwise a request whose Header matches none of the secrets is answered
// 403 (problem+json, logged as refused) without reaching the handler. An
// accepted request loses both headers, so nothing downstream sees the
// secret, and its source address becomes the viewer's (which the public
// routes' per-address limit counts).
func Check(name string, secrets []string, next httpapi.Handler, log *slog.Logger) httpapi.Handler {
	if len(secrets) == 0 {
		return next
	}
	sums := make([][sha256.Size]byte, len(secrets))
	for i, s := range secrets {
		sums[i] = sha256.Sum256([]byte(s))
	}
	refuse := httpapi.Wrap(name, func(context.Context, *httpapi.Request) (*httpapi.Response, error) {
		return nil, &httpapi.Error{
			Status: http.StatusForbidden, Code: CodeRefused,
			Detail: "Call the API at the address it is published at, not at its execute-api endpoint.",
		}
	}, nil, log)
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if !matches(sums, ev.Headers[Header]) {
			return refuse(ctx, ev)
		}
		viewer := ev.Headers[ViewerAddressHeader]
		// A copy: the caller's map stays as it was.
		headers := make(map[string]string, len(ev.Headers))
		for k, v := range ev.Headers {
			if k != Header && k != ViewerAddressHeader {
				headers[k] = v
			}
		}
		ev.Headers = headers
		if a, err := netip.ParseAddr(viewer); err == nil {
			ev.RequestContext.HTTP.SourceIP = a.Unmap().String()
		}
		return next(ctx, ev)
	}
}

// matches compares in constant time: both sides are hashed first, so that
// neither the value nor its length shows in the time taken, and every
// secret is compared every time.
func matches(sums [][sha256.Size]byte, got string) bool {
	g := sha256.Sum256([]byte(got))
	ok := 0
	for _, s := range sums {
		ok |= subtle.ConstantTimeCompare(s[:], g[:])
	}
	return got != "" && ok == 1
}
