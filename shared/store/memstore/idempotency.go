package memstore

import (
	"context"
	"strconv"
	"time"

	"github.com/portalaccess/portalaccess/shared/state"
)

// IdempotencyRecord reads the record of a key; nil when there is none, or
// when it is older than state.IdempotencyTTL at now.
func (s *Store) IdempotencyRecord(ctx context.Context, id string, now time.Time) (*state.Idempotency, error) {
	if err := s.read(ctx, "IdempotencyRecord"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	rec, ok := s.idem[id]
	if !ok || !now.Before(rec.CreatedAt.Add(state.IdempotencyTTL)) {
		return nil, nil
	}
	rec = cloneIdem(rec)
	rec.ID = id
	return &rec, nil
}

// PutIdempotency writes a record on its own; ErrIdempotencyRace when the
// key has one that has not expired by the record's creation. As in
// DynamoDB, whose TTL deletes a record some time after it expires, an
// expired record is still there until it is written over.
func (s *Store) PutIdempotency(ctx context.Context, rec state.Idempotency) error {
	if err := s.write(ctx, "PutIdempotency"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if s.idemTaken(rec.ID, rec.CreatedAt) {
		return state.ErrIdempotencyRace
	}
	s.idem[rec.ID] = cloneIdem(rec)
	return nil
}

// CompleteIdempotency records the final answer of a request, when the
// key's record is of that request (its fingerprint).
func (s *Store) CompleteIdempotency(ctx context.Context, id, fingerprint, response string) error {
	if err := s.write(ctx, "CompleteIdempotency"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if rec, ok := s.idem[id]; ok && rec.Fingerprint == fingerprint {
		rec.Response = response
		s.idem[id] = rec
	}
	return nil
}

// Take counts uses of a limited resource in the fixed window that holds
// rc.Now, and refuses with ErrRateLimited (saying when the window ends)
// once the limit would be passed.
func (s *Store) Take(ctx context.Context, rc state.RateCount) error {
	if err := s.writeRated(ctx, "Take", &rc); err != nil {
		return err
	}
	defer s.mu.Unlock()
	w := windowOf(rc)
	if s.rates[w.key] > rc.Limit-rc.N {
		return w.refusal
	}
	s.rates[w.key] += rc.N
	return nil
}

// window is one fixed window of a rate count.
type window struct {
	key     string
	refusal error
}

func windowOf(rc state.RateCount) window {
	start := rc.Now.Truncate(rc.Window)
	end := start.Add(rc.Window)
	return window{
		key:     rc.Key + "#" + strconv.FormatInt(start.Unix(), 10),
		refusal: state.ErrRateLimited.After(end.Sub(rc.Now)),
	}
}

// rateFull refuses a count that passes its limit on its own, before any
// write is tried (the DynamoDB store decides it while building the
// transaction).
func rateFull(rc *state.RateCount) error {
	if rc != nil && rc.N > rc.Limit {
		return windowOf(*rc).refusal
	}
	return nil
}

// idemTaken reports whether the key has a record that has not expired at now.
func (s *Store) idemTaken(id string, now time.Time) bool {
	rec, ok := s.idem[id]
	return ok && now.Before(rec.CreatedAt.Add(state.IdempotencyTTL))
}
