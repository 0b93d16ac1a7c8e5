package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/portalaccess/portalaccess/shared/apperr"
)

// Take counts n uses of a limited resource (e.g. the invitations of one
// customer) in the current fixed window, and refuses with a 429 that says
// when the window ends once the limit would be passed. One conditional
// write: it holds across every function instance, on AWS as locally.
func (s *Store) Take(ctx context.Context, key string, n, limit int, window time.Duration, now time.Time) error {
	w := rateWindowOf(key, n, limit, window, now)
	if w.full {
		return w.refusal
	}
	_, err := s.updateIf(ctx, w.pk, "RATE", w.update, w.cond, "count a rate limit")
	if err == errConditionFailed {
		return w.refusal
	}
	return err
}

// WithRate adds the count of a rate limit to an operation's transaction,
// so that counting costs no call of its own: the operation fails with the
// 429 when the window is full, and nothing is counted when it fails.
func WithRate(key string, n, limit int, window time.Duration, now time.Time) Writes {
	return Writes{func(t *tx) {
		w := rateWindowOf(key, n, limit, window, now)
		if w.full {
			t.err = errors.Join(t.err, w.refusal)
			return
		}
		t.update(w.pk, "RATE", w.update, &w.cond, w.refusal)
	}}
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

func rateWindowOf(key string, n, limit int, window time.Duration, now time.Time) rateWindow {
	start := now.Truncate(window)
	end := start.Add(window)
	return rateWindow{
		pk: "RATE#" + key + "#" + strconv.FormatInt(start.Unix(), 10),
		update: expression.Add(expression.Name("used"), expression.Value(n)).
			Set(expression.Name(AttrTTL), expression.Value(epoch(end.Add(time.Hour)))),
		cond: expression.AttributeNotExists(expression.Name("used")).
			Or(expression.Name("used").LessThanEqual(expression.Value(limit - n))),
		refusal: rateLimited(end.Sub(now)),
		full:    n > limit,
	}
}

func rateLimited(wait time.Duration) error {
	e := apperr.Newf(apperr.TooManyRequests, "rate_limited", "Too many requests; try again in %d seconds.", int(wait.Seconds()+0.999))
	e.RetryAfter = wait
	return e
}
