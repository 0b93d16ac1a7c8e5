// Package httpapi is the HTTP edge shared by every function: it decodes API
// Gateway (HTTP API, payload 2.0) events strictly, turns errors into
// application/problem+json, and logs each request once, without secrets.
package httpapi

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Request is one API request.
type Request struct {
	Event events.APIGatewayV2HTTPRequest
	// Log fields added by handlers (caller, customer) for the request's log line.
	logAttrs []any
}

// RequestID is API Gateway's id of the request.
func (r *Request) RequestID() string { return r.Event.RequestContext.RequestID }

// Header returns a header; API Gateway lower-cases their names.
func (r *Request) Header(name string) string {
	name = strings.ToLower(name)
	if v, ok := r.Event.Headers[name]; ok {
		return v
	}
	for k, v := range r.Event.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Path returns a path parameter.
func (r *Request) Path(name string) string { return r.Event.PathParameters[name] }

// Claims are the verified JWT claims API Gateway's authorizer passed on.
func (r *Request) Claims() map[string]string {
	if a := r.Event.RequestContext.Authorizer; a != nil && a.JWT != nil {
		return a.JWT.Claims
	}
	return nil
}

// LogAttrs adds key/value pairs to the request's log line.
func (r *Request) LogAttrs(kv ...any) { r.logAttrs = append(r.logAttrs, kv...) }

// Query reads the query string strictly: only the allowed parameters, each
// at most once. Anything else is a 400 naming the parameter.
func (r *Request) Query(allowed ...string) (Query, error) {
	vals, err := url.ParseQuery(r.Event.RawQueryString)
	if err != nil {
		return nil, badBody("malformed_query", "The query string is malformed.")
	}
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	var fields []FieldProblem
	q := Query{}
	for k, v := range vals {
		switch {
		case !ok[k]:
			fields = append(fields, Field(k, "unknown_parameter", "There is no such query parameter."))
		case len(v) > 1:
			fields = append(fields, Field(k, "repeated", "The parameter appears more than once."))
		default:
			q[k] = v[0]
		}
	}
	if len(fields) > 0 {
		return nil, Invalid(fields...)
	}
	return q, nil
}

// Query holds the parameters of a query string.
type Query map[string]string

// Limit reads "limit": def when absent, 1..max otherwise.
func (q Query) Limit(def, max int) (int32, *FieldProblem) {
	s, ok := q["limit"]
	if !ok {
		return int32(def), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		fe := Field("limit", "out_of_range", "limit must be a whole number from 1 to "+strconv.Itoa(max)+".")
		return 0, &fe
	}
	return int32(n), nil
}
