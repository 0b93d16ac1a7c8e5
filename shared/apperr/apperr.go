// Package apperr is the one error model of the product: every error a handler
// returns carries a Kind, and exactly one place (the HTTP layer) turns kinds
// into status codes. Modelled on upspin's errors package.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind says what went wrong in terms a client can act on.
type Kind int

const (
	Internal         Kind = iota // a fault of ours: 500, generic body
	Invalid                      // bad input: 400
	Unauthenticated              // no usable identity: 401
	Permission                   // known caller, not allowed: 403
	NotFound                     // no such thing, or not visible to the caller: 404
	Conflict                     // state does not allow it: 409
	Gone                         // invitation no longer usable: 410
	Precondition                 // If-Match mismatch: 412
	TooLarge                     // body over the limit: 413
	UnsupportedMedia             // not application/json: 415
	Unprocessable                // idempotency key reused with another body: 422
	TooManyRequests              // cooldown or throttling: 429
	Unavailable                  // a dependency is down: 503
)

// FieldError names one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is the error type handlers return.
type Error struct {
	Kind   Kind
	Code   string // machine-readable, e.g. "already_member"
	Detail string // safe to show to the client
	Fields []FieldError
	// RetryAfter, when set, becomes the Retry-After header of a 429.
	RetryAfter time.Duration
	// Err is the cause, logged but never sent to the client.
	Err error
}

func (e *Error) Error() string {
	msg := e.Code
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// New makes an error of a kind with a code and a client-safe detail.
func New(kind Kind, code, detail string) *Error {
	return &Error{Kind: kind, Code: code, Detail: detail}
}

// Newf is New with a formatted detail.
func Newf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Wrap marks err as an internal fault; the cause is logged, not shown.
func Wrap(err error, what string) *Error {
	return &Error{Kind: Internal, Code: "internal", Detail: what, Err: err}
}

// Fields makes a 400 listing every invalid field.
func Fields(fields ...FieldError) *Error {
	return &Error{Kind: Invalid, Code: "invalid_request", Detail: "The request has invalid fields.", Fields: fields}
}

// Field makes one FieldError.
func Field(field, code, message string) FieldError {
	return FieldError{Field: field, Code: code, Message: message}
}

// KindOf returns the kind of err: Internal when it is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns err as an *Error, wrapping foreign errors as internal faults.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Wrap(err, "")
}

// Is reports whether err is an *Error of the kind and code.
func Is(err error, kind Kind, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == kind && (code == "" || e.Code == code)
}

// Common errors, shared so that every route answers the same way.
var (
	ErrUnauthenticated = New(Unauthenticated, "unauthenticated", "A valid access token of an enabled user is required.")
	ErrForbidden       = New(Permission, "forbidden", "You are not allowed to do this.")
	ErrNotFound        = New(NotFound, "not_found", "No such resource.")
	ErrInvitation      = New(Gone, "invitation_invalid", "This invitation link is no longer valid. Ask for a new invitation.")
	ErrAlreadyMember   = New(Conflict, "already_member", "A user with this e-mail address already exists here.")
	ErrLastAdmin       = New(Conflict, "last_admin", "This would leave the customer without an enabled admin.")
	ErrVersion         = New(Precondition, "version_mismatch", "The resource has changed since you read it (If-Match does not match).")
)
