package store

import (
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// extras adds a change's extras to its transaction: the idempotency record
// of the request, the count of a rate limit, and the check that a portal
// admin acting is still one. They land with the change or not at all.
func (t *tx) extras(x state.Extras, sc domain.Scope) {
	if x.Idempotency != nil {
		c := idemFree(x.Idempotency.CreatedAt)
		t.put(newIdemItem(*x.Idempotency), &c, state.ErrIdempotencyRace)
	}
	if x.Rate != nil {
		w := rateWindowOf(*x.Rate)
		if w.full {
			t.fail(w.refusal)
		} else {
			t.update(w.pk, skRate, w.update, &w.cond, w.refusal)
		}
	}
	actorStillAdmin(t, x.ActingAdmin, sc)
	actorStillOperator(t, x.ActingOperator, x.ActingRole)
}

// epoch is the TTL attribute's form of a time.
func epoch(t time.Time) int64 { return t.Unix() }
