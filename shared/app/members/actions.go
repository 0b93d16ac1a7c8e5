package members

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Actions on a selection of a customer's users (seed 002, "Select the
// needed users → Send invites"): one action on up to MaxBulk users, each
// done by the single user's use case (its rules, its audit event, its
// effects after its commit), so that a selection guarantees what one user's
// route does: the last admin is kept, cooldowns hold, a refusal of one user
// is that user's outcome and changes nothing of theirs.

// Actions a selection takes.
const (
	ActionReinvite = "reinvite"
	ActionEnable   = "enable"
	ActionDisable  = "disable"
	ActionDelete   = "delete"
)

// Outcomes of one user of a selection.
const (
	Done     = "done"
	Refused  = "refused"
	NotFound = "not_found"
)

// ActionResult is the outcome of one user of a selection; Err is why a
// refused one was refused (its code is the API's).
type ActionResult struct {
	UserID  string `json:"userId"`
	Outcome string `json:"outcome"`
	Code    string `json:"code,omitempty"`
	Err     error  `json:"-"`
}

var (
	// ErrAction: not one of the actions.
	ErrAction = errs.Fields(errs.F("action", "invalid_action"))
	// ErrSelection: no user ids, or more than MaxBulk.
	ErrSelection = errs.Fields(errs.F("userIds", "count"))
)

// Act takes one action on a selection of a customer's users, at most
// bulkWorkers at once, each user once (in the order first given). A user
// that is not there (or an id of another shape) is not_found; a refusal is
// that user's outcome. A failure of ours fails the request once the users
// under way are done; a retry does the rest. With an idempotency key, a
// replay of a completed request answers its first answer and does nothing
// again. code names each refusal (the API's code of its error).
func (s *Service) Act(ctx context.Context, c *access.Caller, customerID, action string, userIDs []string, key *idem.Key, code func(error) string) ([]ActionResult, error) {
	const op = "members.Act"
	sc := domain.CustomerScope(customerID)
	if err := c.RequireManager(sc); err != nil {
		return nil, err
	}
	var do func(context.Context, *access.Caller, Target) error
	switch action {
	case ActionReinvite:
		do = func(ctx context.Context, c *access.Caller, t Target) error {
			_, err := s.Reinvite(ctx, c, t)
			return err
		}
	case ActionEnable:
		do = func(ctx context.Context, c *access.Caller, t Target) error { _, err := s.Enable(ctx, c, t); return err }
	case ActionDisable:
		do = func(ctx context.Context, c *access.Caller, t Target) error {
			_, err := s.Disable(ctx, c, t)
			return err
		}
	case ActionDelete:
		do = s.Delete
	default:
		return nil, ErrAction
	}
	ids := dedupe(userIDs)
	if len(userIDs) == 0 || len(userIDs) > MaxBulk {
		return nil, ErrSelection
	}
	key, err := idem.Look(ctx, s.Store, key, s.now())
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	if key != nil && key.Prior != nil && key.Prior.Response != "" {
		var res []ActionResult
		if err := json.Unmarshal([]byte(key.Prior.Response), &res); err != nil {
			return nil, errs.Wrap(op, err)
		}
		return res, nil
	}
	if key != nil && key.Prior == nil {
		// Written first: the request is many transactions.
		if err := s.Store.PutIdempotency(ctx, *key.Record("", s.now())); err != nil && !errors.Is(err, state.ErrIdempotencyRace) {
			return nil, errs.Wrap(op, err)
		} else if err != nil {
			if _, err := idem.LostRace(ctx, s.Store, key, err, s.now()); err != nil {
				return nil, errs.Wrap(op, err)
			}
		}
	}
	results := make([]ActionResult, len(ids))
	g, failed := errgroup.WithContext(ctx)
	g.SetLimit(bulkWorkers)
	for i, id := range ids {
		results[i].UserID = id
		g.Go(func() error {
			if failed.Err() != nil {
				return nil
			}
			err := do(ctx, c, User(customerID, id))
			r := &results[i]
			switch e := errs.As(err); {
			case err == nil:
				r.Outcome = Done
			case e != nil && e.Kind == errs.NotExist:
				r.Outcome = NotFound
			case e == nil || slices.Contains([]errs.Kind{errs.Internal, errs.Transient, errs.Unauthenticated, errs.Permission}, e.Kind):
				// Ours, or the caller lost the right meanwhile: no new user
				// starts; what is done stays, a retry does the rest.
				return err
			default:
				r.Outcome, r.Code, r.Err = Refused, code(err), err
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, errs.Wrap(op, err)
	}
	s.recordAnswer(ctx, key, results, "selection's answer not recorded; a replay does it again")
	return results, nil
}
