package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/store"
)

// idemKey is a request's Idempotency-Key, checked and looked up.
type idemKey struct {
	id          string
	fingerprint string
	// prior is the record of an earlier request with this key and body.
	prior *store.Idempotency
}

var errIdemMismatch = apperr.New(apperr.Unprocessable, "idempotency_key_reused",
	"This Idempotency-Key was used with a different request in the last 24 hours.")

// idempotencyKey reads the optional Idempotency-Key of a creating request.
// It returns nil when there is none; a key whose earlier request had another
// body is refused with 422. The key is scoped to the caller and the
// operation, and only its hash is stored.
func (d *Deps) idempotencyKey(ctx context.Context, r *httpapi.Request, c *Caller, op string) (*idemKey, error) {
	raw := r.Header("idempotency-key")
	if raw == "" {
		return nil, nil
	}
	if len(raw) > 255 {
		return nil, apperr.Fields(apperr.Field("Idempotency-Key", "too_long", "The Idempotency-Key header must be 1 to 255 characters."))
	}
	for _, ch := range raw {
		if ch < 0x21 || ch > 0x7e {
			return nil, apperr.Fields(apperr.Field("Idempotency-Key", "invalid", "The Idempotency-Key header must be printable ASCII without spaces."))
		}
	}
	body := r.Event.Body
	k := &idemKey{
		id:          hashParts(c.Sub, op, raw),
		fingerprint: hashParts(r.Event.RequestContext.HTTP.Method, r.Event.RawPath, body),
	}
	rec, err := d.Store.IdempotencyRecord(ctx, k.id)
	if err != nil {
		return nil, err
	}
	if rec != nil && rec.Fingerprint != k.fingerprint {
		return nil, errIdemMismatch
	}
	k.prior = rec
	return k, nil
}

// record is the record to write with the creation of ref.
func (k *idemKey) record(ref string, d *Deps) *store.Idempotency {
	if k == nil {
		return nil
	}
	return &store.Idempotency{ID: k.id, Fingerprint: k.fingerprint, Ref: ref, CreatedAt: d.now()}
}

// writes are the extra writes of a creation of ref.
func (k *idemKey) writes(ref string, d *Deps) store.Writes {
	return store.WithIdempotency(k.record(ref, d))
}

// priorRef is what an earlier request with this key created, if anything.
func (k *idemKey) priorRef() string {
	if k == nil || k.prior == nil {
		return ""
	}
	return k.prior.Ref
}

// lostRace re-reads the record after a concurrent request with the same key
// committed first, and returns what it created.
func (d *Deps) lostRace(ctx context.Context, k *idemKey, err error) (string, error) {
	if k == nil || !errors.Is(err, store.ErrIdempotencyRace) {
		return "", err
	}
	rec, rerr := d.Store.IdempotencyRecord(ctx, k.id)
	if rerr != nil {
		return "", rerr
	}
	if rec == nil || rec.Fingerprint != k.fingerprint {
		return "", errIdemMismatch
	}
	return rec.Ref, nil
}

func hashParts(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
