// Package idem makes creating requests safe to retry: a request made with
// an Idempotency-Key records what it created in the creation's own
// transaction; a retry with the same key and body finds the record and
// answers what was created instead of creating again, and the same key with
// another body is refused.
package idem

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// ErrKeyReused: the key was used with another request within 24 hours.
var ErrKeyReused = errs.New(errs.Conflict, "idempotency_key_reused")

// Store is what idempotency reads and writes.
type Store interface {
	IdempotencyRecord(ctx context.Context, id string, now time.Time) (*state.Idempotency, error)
}

// Key is a request's idempotency key: ID names it (scoped to the caller
// and the operation, hashed), Fingerprint the request it came with.
type Key struct {
	ID          string
	Fingerprint string
	// Prior is the record of an earlier request with this key and body.
	Prior *state.Idempotency
}

// ID is the name of the key a caller (by identity) gave to an operation:
// only this hash of the three is kept.
func ID(sub, op, key string) string { return hashParts(sub, op, key) }

// Fingerprint is what tells a retry from another request with the same key.
func Fingerprint(method, path, body string) string { return hashParts(method, path, body) }

func hashParts(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Look reads the record of the key, if it has one; nil keys stay nil. A
// record of another request is ErrKeyReused.
func Look(ctx context.Context, s Store, k *Key, now time.Time) (*Key, error) {
	if k == nil {
		return nil, nil
	}
	rec, err := s.IdempotencyRecord(ctx, k.ID, now)
	if err != nil {
		return nil, err
	}
	if rec != nil && rec.Fingerprint != k.Fingerprint {
		return nil, ErrKeyReused
	}
	out := *k
	out.Prior = rec
	return &out, nil
}

// PriorRef is what an earlier request with this key created, if anything.
func (k *Key) PriorRef() string {
	if k == nil || k.Prior == nil {
		return ""
	}
	return k.Prior.Ref
}

// Record is the record to write with the creation of ref.
func (k *Key) Record(ref string, now time.Time) *state.Idempotency {
	if k == nil {
		return nil
	}
	return &state.Idempotency{ID: k.ID, Fingerprint: k.Fingerprint, Ref: ref, CreatedAt: now}
}

// LostRace re-reads the record after a creation failed on what a
// concurrent request with the same key may have made first, and returns
// what that one created. A creation refused because the thing exists
// already (errs.Exist: the e-mail's record, say, which a transaction may
// check before the key's) or lost on the key itself is such a failure when
// the key's record now names what was created; any other error, or one
// with no such record, is returned as it is.
func LostRace(ctx context.Context, s Store, k *Key, err error, now time.Time) (string, error) {
	onKey := errors.Is(err, state.ErrIdempotencyRace)
	if k == nil || !onKey && !errs.IsKind(err, errs.Exist) {
		return "", err
	}
	rec, rerr := s.IdempotencyRecord(ctx, k.ID, now)
	switch {
	case rerr != nil:
		return "", rerr
	case rec != nil && rec.Fingerprint != k.Fingerprint:
		return "", ErrKeyReused
	case rec == nil && onKey:
		return "", ErrKeyReused
	case !onKey && (rec == nil || rec.Ref == ""):
		return "", err // it existed before: not this key's doing
	}
	return rec.Ref, nil
}
