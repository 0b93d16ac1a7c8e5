package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portalaccess/portalaccess/shared/apperr"
)

// Response is what an endpoint answers.
type Response struct {
	Status  int
	Body    any // encoded as JSON; nil for no body
	Headers map[string]string
}

// OK answers 200 with a JSON body.
func OK(body any) *Response { return &Response{Status: http.StatusOK, Body: body} }

// Created answers 201 with a JSON body and the new resource's location.
func Created(location string, body any) *Response {
	return &Response{Status: http.StatusCreated, Body: body, Headers: map[string]string{"Location": location}}
}

// NoContent answers 204.
func NoContent() *Response { return &Response{Status: http.StatusNoContent} }

// WithETag sets the ETag of a versioned resource.
func (r *Response) WithETag(version int) *Response {
	if r.Headers == nil {
		r.Headers = map[string]string{}
	}
	r.Headers["ETag"] = `"` + strconv.Itoa(version) + `"`
	return r
}

func baseHeaders(contentType, requestID string) map[string]string {
	h := map[string]string{
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
		"X-Request-Id":           requestID,
	}
	if contentType != "" {
		h["Content-Type"] = contentType
	}
	return h
}

func (r *Response) event(requestID string) (events.APIGatewayV2HTTPResponse, error) {
	out := events.APIGatewayV2HTTPResponse{StatusCode: r.Status}
	ct := ""
	if r.Body != nil {
		b, err := json.Marshal(r.Body)
		if err != nil {
			return out, err
		}
		out.Body = string(b)
		ct = "application/json"
	}
	out.Headers = baseHeaders(ct, requestID)
	for k, v := range r.Headers {
		out.Headers[k] = v
	}
	return out, nil
}

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	Code      string              `json:"code"`
	Errors    []apperr.FieldError `json:"errors,omitempty"`
	RequestID string              `json:"requestId"`
}

var statusOf = map[apperr.Kind]int{
	apperr.Internal:         http.StatusInternalServerError,
	apperr.Invalid:          http.StatusBadRequest,
	apperr.Unauthenticated:  http.StatusUnauthorized,
	apperr.Permission:       http.StatusForbidden,
	apperr.NotFound:         http.StatusNotFound,
	apperr.Conflict:         http.StatusConflict,
	apperr.Gone:             http.StatusGone,
	apperr.Precondition:     http.StatusPreconditionFailed,
	apperr.TooLarge:         http.StatusRequestEntityTooLarge,
	apperr.UnsupportedMedia: http.StatusUnsupportedMediaType,
	apperr.Unprocessable:    http.StatusUnprocessableEntity,
	apperr.TooManyRequests:  http.StatusTooManyRequests,
	apperr.Unavailable:      http.StatusServiceUnavailable,
}

// Status is the HTTP status of an error.
func Status(err error) int {
	if s, ok := statusOf[apperr.KindOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ProblemOf makes the problem answer of an error. Internal faults get a
// generic text and the request id; their cause goes to the log only.
func ProblemOf(err error, requestID string) (Problem, map[string]string) {
	e := apperr.As(err)
	status := Status(e)
	p := Problem{
		Type: "urn:portal-access:problem:" + e.Code, Title: http.StatusText(status), Status: status,
		Detail: e.Detail, Code: e.Code, Errors: e.Fields, RequestID: requestID,
	}
	if status >= 500 {
		p.Code = "internal"
		p.Type = "urn:portal-access:problem:internal"
		p.Detail = "Something went wrong on our side. Quote the request id if you contact support."
		p.Errors = nil
		if e.Kind == apperr.Unavailable {
			p.Code = "unavailable"
			p.Type = "urn:portal-access:problem:unavailable"
			p.Detail = "The service is busy. Try again in a moment."
		}
	}
	if p.Detail == "" {
		p.Detail = p.Title
	}
	h := map[string]string{}
	if status == http.StatusUnauthorized {
		h["WWW-Authenticate"] = `Bearer realm="portal-access"`
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		secs := int(e.RetryAfter.Seconds() + 0.999)
		if secs < 1 {
			secs = 1
		}
		h["Retry-After"] = strconv.Itoa(secs)
	}
	return p, h
}

func problemEvent(err error, requestID string) events.APIGatewayV2HTTPResponse {
	p, h := ProblemOf(err, requestID)
	b, _ := json.Marshal(p)
	out := events.APIGatewayV2HTTPResponse{StatusCode: p.Status, Body: string(b), Headers: baseHeaders("application/problem+json", requestID)}
	for k, v := range h {
		out.Headers[k] = v
	}
	return out
}
