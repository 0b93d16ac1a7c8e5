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
	start := now.Truncate(window)
	end := start.Add(window)
	if n > limit {
		return rateLimited(end.Sub(now))
	}
	u := expression.Add(expression.Name("used"), expression.Value(n)).
		Set(expression.Name(AttrTTL), expression.Value(epoch(end.Add(time.Hour))))
	c := expression.AttributeNotExists(expression.Name("used")).
		Or(expression.Name("used").LessThanEqual(expression.Value(limit - n)))
	_, err := s.updateIf(ctx, "RATE#"+key+"#"+strconv.FormatInt(start.Unix(), 10), "RATE", u, c, "count a rate limit")
	if err == errConditionFailed {
		return rateLimited(end.Sub(now))
	}
	return err
}

// WithRate adds the count of a rate limit to an operation's transaction,
// so that counting costs no call of its own: the operation fails with the
// 429 when the window is full, and nothing is counted when it fails.
func WithRate(key string, n, limit int, window time.Duration, now time.Time) Writes {
	return Writes{func(t *tx) {
		start := now.Truncate(window)
		end := start.Add(window)
		if n > limit {
			t.err = errors.Join(t.err, rateLimited(end.Sub(now)))
			return
		}
		c := expression.AttributeNotExists(expression.Name("used")).
			Or(expression.Name("used").LessThanEqual(expression.Value(limit - n)))
		t.update("RATE#"+key+"#"+strconv.FormatInt(start.Unix(), 10), "RATE",
			expression.Add(expression.Name("used"), expression.Value(n)).
				Set(expression.Name(AttrTTL), expression.Value(epoch(end.Add(time.Hour)))),
			&c, rateLimited(end.Sub(now)))
	}}
}

func rateLimited(wait time.Duration) error {
	e := apperr.Newf(apperr.TooManyRequests, "rate_limited", "Too many requests; try again in %d seconds.", int(wait.Seconds()+0.999))
	e.RetryAfter = wait
	return e
}
