package members

import (
	"context"
	"encoding/json"
	"errors"

	"golang.org/x/sync/errgroup"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/check"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// MaxBulk is the most e-mails one bulk invite takes.
const MaxBulk = 100

// bulkWorkers is how many invitations of one bulk request run at once.
const bulkWorkers = 8

// BulkResult is the outcome of one e-mail of a bulk invite.
type BulkResult struct {
	Email   string         `json:"email"`
	Outcome string         `json:"outcome"`
	User    *domain.Member `json:"user,omitempty"`
	// Reason says why an invalid e-mail was refused.
	Reason string `json:"reason,omitempty"`
}

// ErrBulkCount: no e-mails, or more than MaxBulk.
var ErrBulkCount = errs.Fields(errs.F("emails", "count"))

// BulkInvite invites up to MaxBulk e-mails into a customer with the same
// settings; each gets its own outcome (invited, already_member, invalid). A
// new user's name is the e-mail's local part. With an idempotency key, a
// retry of an attempt that did not complete finishes it, and a replay of one
// that did answers its first answer and creates nobody again.
func (s *Service) BulkInvite(ctx context.Context, c *access.Caller, sc Scope, emails []string, p Profile, key *idem.Key) ([]BulkResult, error) {
	const op = "members.BulkInvite"
	if err := c.RequireManager(sc.Scope); err != nil {
		return nil, err
	}
	if sc.err != nil {
		return nil, errs.Wrap(op, sc.err)
	}
	if len(emails) == 0 || len(emails) > MaxBulk {
		return nil, ErrBulkCount
	}
	key, err := idem.Look(ctx, s.Store, key, s.now())
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	if key != nil && key.Prior != nil && key.Prior.Response != "" {
		// The same request answered already, checked as it was then: an
		// end date passed since, or a role deleted, does not turn its
		// replay into a refusal.
		res, err := s.replayBulk(ctx, c, sc, key.Prior.Response)
		return res, errs.Wrap(op, err)
	}
	if p.Roles != nil {
		if err := s.load(ctx, sc.Scope, sc.roles); err != nil {
			return nil, errs.Wrap(op, err)
		}
	}
	var fs check.Fields
	p.Name = nil
	_, roles, portals := sc.checkProfile(p, &fs)
	until, _ := parseAccessUntil("accessUntil", p.AccessUntil, s.now(), &fs)
	if err := fs.Err(); err != nil {
		return nil, err
	}
	results := make([]BulkResult, len(emails))
	firstOf := map[string]int{}
	var jobs []int
	for i, raw := range emails {
		email, code := domain.NormalizeEmail(raw)
		results[i].Email = raw
		if code != "" {
			results[i].Outcome, results[i].Reason = domain.OutcomeInvalid, code
			continue
		}
		results[i].Email = email
		if !sc.allowed(email) {
			results[i].Outcome, results[i].Reason = domain.OutcomeInvalid, ErrDomainNotAllowed.Reason
			continue
		}
		if selfInvite(c, sc.Scope, email) {
			results[i].Outcome, results[i].Reason = domain.OutcomeInvalid, ErrSelfInvite.Reason
			continue
		}
		if _, dup := firstOf[email]; dup {
			results[i].Outcome = domain.OutcomeAlreadyMember // the same address earlier in this request
			continue
		}
		firstOf[email] = i
		jobs = append(jobs, i)
	}
	// The first attempt counts its invitations at once, before it writes
	// its idempotency record: a request the rate limit refuses leaves no
	// trace, its key free. The record is then written before any member
	// (the request is many transactions, and each member it creates
	// carries its id). A retry of an attempt that did not complete counts
	// each invitation it still has to create, in that invitation's own
	// transaction.
	var requestID string
	retry := key != nil && key.Prior != nil
	later := p.SendInvitation != nil && !*p.SendInvitation
	var counted *state.RateCount
	if !retry && !later && len(jobs) > 0 {
		counted = s.countInvites(sc.Scope, len(jobs))
		if err := s.Store.Take(ctx, *counted); err != nil {
			return nil, errs.Wrap(op, err)
		}
	}
	if key != nil {
		requestID = key.ID
		if key.Prior == nil {
			err := s.Store.PutIdempotency(ctx, *key.Record("", s.now()))
			if err != nil && !errors.Is(err, state.ErrIdempotencyRace) {
				return nil, errs.Wrap(op, err)
			}
			if err != nil {
				// A copy of this request got there first: work beside it as
				// a retry does (its invitations counted already, if any).
				if _, err := idem.LostRace(ctx, s.Store, key, err, s.now()); err != nil {
					return nil, errs.Wrap(op, err)
				}
				key.Prior = key.Record("", s.now())
				retry = true
			}
		}
	}
	// Once one invitation fails, no new one starts (the request fails, and a
	// retry does the rest); those already under way finish with the
	// request's own context, so that a member committed is also e-mailed.
	g, failed := errgroup.WithContext(ctx)
	g.SetLimit(bulkWorkers)
	admin := p.Admin != nil && *p.Admin
	for _, i := range jobs {
		g.Go(func() error {
			if failed.Err() != nil {
				return nil
			}
			var x state.Extras
			if retry && !later && counted == nil {
				x.Rate = s.countInvites(sc.Scope, 1)
			}
			res, err := s.bulkOne(ctx, c, sc, newMember{Email: results[i].Email, Admin: admin, RoleIDs: roles, PortalIDs: portals, Request: requestID, Later: later, AccessUntil: until}, x)
			if errors.Is(err, state.ErrActorNotAdmin) {
				// The sender lost the right meanwhile: this row is refused
				// (and every row after it, each in its own transaction).
				res.Outcome, res.Reason = domain.OutcomeInvalid, ReasonNotAllowed
				err = nil
			}
			if err != nil {
				return err
			}
			results[i] = res
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		// Nothing is lost: the users made so far stay, and a retry with the
		// same key completes the rest.
		return nil, errs.Wrap(op, err)
	}
	s.giveBack(ctx, counted, results, jobs)
	if lostRight(results) {
		// Lost before any row was made: the request is refused whole, as it
		// would have been a moment later. Lost part-way, the rows made stay
		// and the answer says which were refused, never a 403 after some
		// were done.
		return nil, state.ErrActorNotAdmin
	}
	// Recorded once complete: a replay answers this again and creates
	// nobody, even users deleted since. If recording fails, a replay
	// resumes instead, which is still safe.
	s.recordAnswer(ctx, key, true, results, "bulk answer not recorded; a replay resumes instead")
	return results, nil
}

// giveBack returns to the rate window what the first attempt counted for
// rows that sent no e-mail (already members, refused for a seat or for the
// sender's right lost meanwhile): the limit counts invitation e-mails, and
// a request refused whole leaves the window as it found it. It goes to the
// window the count was taken in; if it cannot be written, the window keeps
// the count until it ends (logged).
func (s *Service) giveBack(ctx context.Context, counted *state.RateCount, results []BulkResult, jobs []int) {
	if counted == nil {
		return
	}
	unsent := 0
	for _, i := range jobs {
		if results[i].Outcome != domain.OutcomeInvited {
			unsent++
		}
	}
	if unsent == 0 {
		return
	}
	back := *counted
	back.N = -unsent
	if err := s.Store.Take(context.WithoutCancel(ctx), back); err != nil {
		s.Log.WarnContext(ctx, "invitation count not given back; the window keeps it", "unsent", unsent, "error", err.Error())
	}
}

// ReasonNotAllowed is the reason of a bulk invite's or an import's row
// refused because its sender no longer has the right.
const ReasonNotAllowed = "not_allowed"

// lostRight reports whether rows were refused for the sender's right and
// none was made: nothing of the request was done.
func lostRight(results []BulkResult) bool {
	lost := false
	for _, r := range results {
		switch {
		case r.Reason == ReasonNotAllowed:
			lost = true
		case r.Outcome == domain.OutcomeInvited:
			return false
		}
	}
	return lost
}

func (s *Service) bulkOne(ctx context.Context, c *access.Caller, sc Scope, nm newMember, x state.Extras) (BulkResult, error) {
	res := BulkResult{Email: nm.Email}
	m, err := s.invite(ctx, c, sc, nm, x)
	if errors.Is(err, state.ErrEmailTaken) {
		existing, gerr := s.Store.MemberByEmail(ctx, sc.Scope, nm.Email)
		if gerr != nil && !errors.Is(gerr, state.ErrNotFound) {
			// Whether this request made it is unknown: fail, so that a retry
			// finishes it, rather than call its own user someone else's.
			return res, gerr
		}
		if gerr == nil && nm.Request != "" && existing.Request == nm.Request {
			// Made by the first attempt of this very request: finish it.
			if m, err = s.resume(ctx, c, sc, existing.ID); err != nil {
				return res, err
			}
			res.Outcome, res.User = domain.OutcomeInvited, &m
			return res, nil
		}
		res.Outcome = domain.OutcomeAlreadyMember
		return res, nil
	}
	if errors.Is(err, state.ErrSeatLimit) {
		// The customer is full: this row is refused, the others go on (a
		// seat freed meanwhile is taken by whichever row comes next).
		res.Outcome, res.Reason = domain.OutcomeInvalid, "seat_limit"
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.Outcome, res.User = domain.OutcomeInvited, &m
	return res, nil
}

// replayBulk answers a bulk invite that completed before: its first answer,
// creating nobody again (not even users deleted since), but finishing what
// that attempt could not — an e-mail that failed or whose outcome is unknown
// goes out again, with a fresh link — and showing those users as they are
// now.
func (s *Service) replayBulk(ctx context.Context, c *access.Caller, sc Scope, recorded string) ([]BulkResult, error) {
	var results []BulkResult
	if err := json.Unmarshal([]byte(recorded), &results); err != nil {
		return nil, err
	}
	g, failed := errgroup.WithContext(ctx)
	g.SetLimit(bulkWorkers)
	for i := range results {
		r := &results[i]
		if r.User == nil {
			continue
		}
		g.Go(func() error {
			if failed.Err() != nil {
				return nil
			}
			m, err := s.resume(ctx, c, sc, r.User.ID)
			if errors.Is(err, state.ErrNotFound) {
				return nil // deleted since: the first answer stands
			}
			if err != nil {
				return err
			}
			r.User = &m
			return nil
		})
	}
	return results, g.Wait()
}

// recordAnswer completes the idempotency key (if any) with a request's
// whole answer: it writes the key's record when the request wrote none
// before (!written, a first attempt), else completes the one there. When
// that fails, unrecorded says what a replay does.
func (s *Service) recordAnswer(ctx context.Context, key *idem.Key, written bool, answer any, unrecorded string) {
	if key == nil {
		return
	}
	b, err := json.Marshal(answer)
	if err != nil {
		return
	}
	if !written {
		rec := key.Record("", s.now())
		rec.Response = string(b)
		err = s.Store.PutIdempotency(ctx, *rec)
	} else {
		err = s.Store.CompleteIdempotency(ctx, key.ID, key.Fingerprint, string(b))
	}
	if err != nil {
		s.Log.WarnContext(ctx, unrecorded, "error", err.Error())
	}
}
