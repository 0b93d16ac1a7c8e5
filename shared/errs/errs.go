// Package errs is the product's error model, after upspin's errors package:
// an error says what kind of thing went wrong (the input is invalid, the
// caller may not, the thing does not exist, the state does not allow it,
// try again later…), in which operation, and why, in a reason a program can
// compare. It says nothing of HTTP: the HTTP adapters alone turn kinds and
// sentinels into statuses, client codes and text.
package errs

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind is what went wrong, in terms a caller can act on.
type Kind uint8

const (
	Internal        Kind = iota // a fault of ours
	Invalid                     // the input is not acceptable
	Unauthenticated             // no usable identity: the caller is nobody, or no longer anybody
	Permission                  // a known caller who may not do this
	NotExist                    // no such thing (or none the caller may see)
	Exist                       // the thing exists already
	Conflict                    // the thing's state does not allow it
	Stale                       // the caller's idea of the thing is out of date (a version)
	Exhausted                   // a limit is reached for now: wait (see RetryAfter)
	Transient                   // a dependency failed for now: try again
)

var kindNames = [...]string{"internal", "invalid", "unauthenticated", "permission", "not exist", "exist", "conflict", "stale", "exhausted", "transient"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Field names one unacceptable field of an input and why, as a reason code
// ("required", "too_long", "link_not_allowed"…).
type Field struct {
	Name   string
	Reason string
}

// Error is an error of the product.
type Error struct {
	// Op is the operation that failed, e.g. "members.Disable".
	Op string
	// Kind is what went wrong.
	Kind Kind
	// Reason tells errors of one kind apart ("last_admin", "already_member");
	// sentinels carry one, and the HTTP layer maps them to client codes.
	Reason string
	// Fields lists each unacceptable field of an Invalid input.
	Fields []Field
	// RetryAfter says how long to wait, for Exhausted and Transient errors.
	RetryAfter time.Duration
	// Err is the cause, for the log.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op + ": ")
	}
	b.WriteString(e.Kind.String())
	if e.Reason != "" {
		b.WriteString(" (" + e.Reason + ")")
	}
	for _, f := range e.Fields {
		b.WriteString(" " + f.Name + ":" + f.Reason)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes a sentinel match every error made from it (with its own Op,
// RetryAfter or cause): errors.Is(err, members.ErrLastAdmin).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason != "" && t.Reason == e.Reason && t.Kind == e.Kind
}

// New makes a sentinel: a kind and the reason that names it.
func New(kind Kind, reason string) *Error { return &Error{Kind: kind, Reason: reason} }

// In returns a copy of the sentinel e raised in operation op, after cause.
func (e *Error) In(op string, cause error) *Error {
	c := *e
	c.Op, c.Err = op, cause
	return &c
}

// After returns a copy of e that says how long to wait.
func (e *Error) After(wait time.Duration) *Error {
	c := *e
	c.RetryAfter = wait
	return &c
}

// Fields makes an Invalid error listing each unacceptable field.
func Fields(fields ...Field) *Error {
	return &Error{Kind: Invalid, Reason: "invalid_fields", Fields: fields}
}

// ErrEmptyChange: a change (a PATCH) that names nothing to change.
var ErrEmptyChange = Fields(F("body", "empty"))

// F makes one Field.
func F(name, reason string) Field { return Field{Name: name, Reason: reason} }

// Wrap marks a foreign error as a fault of the operation: Internal, unless
// it is one of ours already (then only the operation is added if missing).
func Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Op == "" {
			c := *e
			c.Op = op
			return &c
		}
		return err
	}
	return &Error{Op: op, Kind: Internal, Err: err}
}

// Transientf is a dependency failing for now.
func Transientf(op string, cause error) *Error {
	return &Error{Op: op, Kind: Transient, Reason: "unavailable", Err: cause}
}

// KindOf is the kind of err: Internal when it is not one of ours.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns err as an *Error, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// IsKind reports whether err is one of ours of the kind.
func IsKind(err error, k Kind) bool { return err != nil && KindOf(err) == k }
