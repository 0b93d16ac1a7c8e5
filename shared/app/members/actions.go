package members

import (
	"context"
	"encoding/json"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
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
	// The key is recorded once the request is complete, with its answer:
	// a request refused or failed before then leaves it free (a retry
	// does again what was not done; each action is safe to repeat).
	results := make([]ActionResult, len(ids))
	// A portal admin acting on their own membership goes last, once the
	// others are done: disabling or deleting themselves ends their right
	// to act on the rest.
	self := -1
	if c.ActsAsPortalAdmin(customerID) {
		if m := c.Member(customerID); m != nil {
			self = slices.Index(ids, m.ID)
		}
	}
	one := func(i int) error {
		err := do(ctx, c, User(customerID, ids[i]))
		r := &results[i]
		switch e := errs.As(err); {
		case err == nil:
			r.Outcome = Done
		case e != nil && e.Kind == errs.NotExist:
			r.Outcome = NotFound
		case e == nil || slices.Contains([]errs.Kind{errs.Internal, errs.Transient, errs.Unauthenticated}, e.Kind):
			// Ours: no new user starts; what is done stays, a retry does
			// the rest.
			return err
		default:
			// A refusal of this user, or the caller's right lost meanwhile
			// (Permission): that user's outcome, as some may be done.
			r.Outcome, r.Code, r.Err = Refused, code(err), err
		}
		return nil
	}
	g, failed := errgroup.WithContext(ctx)
	g.SetLimit(bulkWorkers)
	for i, id := range ids {
		results[i].UserID = id
		if i == self {
			continue
		}
		g.Go(func() error {
			if failed.Err() != nil {
				return nil
			}
			return one(i)
		})
	}
	err = g.Wait()
	if err == nil && self >= 0 {
		err = one(self)
	}
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	s.recordAnswer(ctx, key, key != nil && key.Prior != nil, results, "selection's answer not recorded; a replay does it again")
	return results, nil
}
