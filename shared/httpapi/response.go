package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
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

// WithHeaders adds headers to the answer.
func (r *Response) WithHeaders(h map[string]string) *Response {
	if r.Headers == nil {
		r.Headers = map[string]string{}
	}
	for k, v := range h {
		r.Headers[k] = v
	}
	return r
}

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
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail"`
	Code      string         `json:"code"`
	Errors    []FieldProblem `json:"errors,omitempty"`
	RequestID string         `json:"requestId"`
}

// FieldProblem names one invalid field of a request.
type FieldProblem struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is an error that is already an HTTP answer: a status, a client
// code and a text a person can read. The HTTP adapters turn the product's
// errors into these; the decoding here makes its own.
type Error struct {
	Status     int
	Code       string
	Detail     string
	Fields     []FieldProblem
	RetryAfter time.Duration
	// Headers are added to the answer (CORS, for instance).
	Headers map[string]string
	// Err is the cause, logged but never sent to the client.
	Err error
}

func (e *Error) Error() string {
	msg := strconv.Itoa(e.Status) + " " + e.Code
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Invalid is a 400 naming each invalid field.
func Invalid(fields ...FieldProblem) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_request", Detail: "The request has invalid fields.", Fields: fields}
}

// Field makes one FieldProblem.
func Field(field, code, message string) FieldProblem {
	return FieldProblem{Field: field, Code: code, Message: message}
}

// Translate turns an endpoint's error into its HTTP answer; nil (or an
// answer it does not know) is a 500.
type Translate func(error) *Error

// ProblemOf makes the problem answer of an error. Faults of ours get a
// generic text and the request id; their cause goes to the log only.
func ProblemOf(err error, translate Translate, requestID string) (Problem, map[string]string) {
	var e *Error
	if !errors.As(err, &e) && translate != nil {
		e = translate(err)
	}
	if e == nil || e.Status == 0 {
		e = &Error{Status: http.StatusInternalServerError, Code: "internal"}
	}
	status := e.Status
	p := Problem{
		Type: "urn:portal-access:problem:" + e.Code, Title: http.StatusText(status), Status: status,
		Detail: e.Detail, Code: e.Code, Errors: e.Fields, RequestID: requestID,
	}
	if status >= 500 {
		p.Code = "internal"
		p.Type = "urn:portal-access:problem:internal"
		p.Detail = "Something went wrong on our side. Quote the request id if you contact support."
		p.Errors = nil
		if status == http.StatusServiceUnavailable {
			p.Code = "unavailable"
			p.Type = "urn:portal-access:problem:unavailable"
			p.Detail = "The service is busy. Try again in a moment."
		}
	}
	if p.Detail == "" {
		p.Detail = p.Title
	}
	h := map[string]string{}
	for k, v := range e.Headers {
		h[k] = v
	}
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

func problemEvent(err error, translate Translate, requestID string) events.APIGatewayV2HTTPResponse {
	p, h := ProblemOf(err, translate, requestID)
	b, _ := json.Marshal(p)
	out := events.APIGatewayV2HTTPResponse{StatusCode: p.Status, Body: string(b), Headers: baseHeaders("application/problem+json", requestID)}
	for k, v := range h {
		out.Headers[k] = v
	}
	return out
}

// Status is the HTTP status an error answers with here: an *Error's own, or 500.
func Status(err error) int {
	var e *Error
	if errors.As(err, &e) && e.Status != 0 {
		return e.Status
	}
	return http.StatusInternalServerError
}
