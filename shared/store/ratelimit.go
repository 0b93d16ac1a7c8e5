package store

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/portalaccess/portalaccess/shared/state"
)

const skRate = "RATE"

// Take counts uses of a limited resource in the current fixed window, and
// refuses with ErrRateLimited (saying when the window ends) once the limit
// would be passed. One conditional write: it holds across every function
// instance. A change that counts with its own transaction sets
// state.Extras.Rate instead, and costs no call of its own.
func (s *Store) Take(ctx context.Context, rc state.RateCount) error {
	w := rateWindowOf(rc)
	if w.full {
		return w.refusal
	}
	_, err := s.updateIf(ctx, w.pk, skRate, w.update, w.cond, "count a rate limit")
	if err == errConditionFailed {
		return w.refusal
	}
	return err
}

// rateWindow is the count of one fixed window: its item, the update that
// adds n, the condition that keeps it within the limit, and the refusal.
type rateWindow struct {
	pk      string
	update  expression.UpdateBuilder
	cond    expression.ConditionBuilder
	refusal error
	full    bool // n alone passes the limit
}

func rateWindowOf(rc state.RateCount) rateWindow {
	start := rc.Now.Truncate(rc.Window)
	end := start.Add(rc.Window)
	return rateWindow{
		pk: "RATE#" + rc.Key + "#" + strconv.FormatInt(start.Unix(), 10),
		update: expression.Add(expression.Name("used"), expression.Value(rc.N)).
			Set(expression.Name(AttrTTL), expression.Value(epoch(end.Add(time.Hour)))),
		cond: expression.AttributeNotExists(expression.Name("used")).
			Or(expression.Name("used").LessThanEqual(expression.Value(rc.Limit - rc.N))),
		refusal: state.ErrRateLimited.After(end.Sub(rc.Now)),
		full:    rc.N > rc.Limit,
	}
}
