// Package mfa is the operators' second factor, an authenticator app (TOTP).
// Cognito holds the app's secret and checks its codes at sign-in; the table
// holds whether the product counts an operator as enrolled
// (Member.MFAEnrolledAt), and access refuses every request of an operator
// who is not, but GET /v1/me and the enrolment (mfa_required).
//
//   - Enrol (POST /v1/me/mfa): after the user set the app up with their own
//     token (AssociateSoftwareToken, VerifySoftwareToken), the backend makes
//     it their preferred factor (AdminSetUserMFAPreference; Cognito refuses
//     that for an app never verified), confirms it (AdminGetUser), and only
//     then records the enrolment with its audit event.
//   - Reset (DELETE /v1/operators/{operatorId}/mfa, operator admins): the
//     table first (the mark cleared, the reset pending, the event), then
//     Cognito (app off, signed out everywhere), then the pending flag goes;
//     a crash in between is finished by the sweep, or by the operator's
//     next enrolment, which then starts over.
//   - Check (the sweep): an operator who switched the app off with their
//     own token (SetUserMFAPreference) loses the mark, so their next request
//     answers mfa_required: it stays required.
package mfa

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/state"
)

// ErrNotSetUp: Cognito shows no verified authenticator app for the caller.
var ErrNotSetUp = identity.ErrMFANotSetUp

// Store is what the second factor reads and writes.
type Store interface {
	Member(ctx context.Context, sc domain.Scope, id string) (domain.Member, error)
	ListMembers(ctx context.Context, sc domain.Scope, status domain.Status, search string, limit int32, start state.PageKey) (state.Page[domain.Member], error)
	ChangeMember(ctx context.Context, ch state.MemberChange) error
}

// Service runs enrolment, reset and the sweep's check.
type Service struct {
	Store Store
	MFA   identity.MFA
	Log   *slog.Logger
	Now   func() time.Time

	mu   sync.Mutex
	next state.PageKey // where the sweep's check goes on
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// modify changes the operator with f (nil: nothing to write), retrying a
// few times when it changed meanwhile. first, when given, is the member as
// just read (the caller's own copy, or what the request committed): the
// first attempt writes from it without reading again.
func (s *Service) modify(ctx context.Context, id string, first *domain.Member, f func(m domain.Member, now time.Time) *state.MemberChange) (domain.Member, *state.MemberChange, error) {
	for attempt := 1; ; attempt++ {
		var m domain.Member
		if attempt == 1 && first != nil {
			m = *first
		} else {
			var err error
			if m, err = s.Store.Member(ctx, domain.ProviderScope, id); err != nil {
				return m, nil, err
			}
		}
		ch := f(m, s.now())
		if ch == nil {
			return m, nil, nil
		}
		err := s.Store.ChangeMember(ctx, *ch)
		switch {
		case err == nil:
			return *ch.Result(), ch, nil
		case errors.Is(err, state.ErrStale) && attempt < 4:
			continue
		case errors.Is(err, state.ErrStale):
			return m, nil, state.ErrConcurrent
		default:
			return m, nil, err
		}
	}
}

func change(m domain.Member, now time.Time, actor domain.Actor, action string) (*domain.Member, *state.MemberChange) {
	after := m
	after.Version = m.Version + 1
	after.UpdatedAt = now
	ch := &state.MemberChange{Before: m, After: &after, Now: now,
		Event: domain.NewEvent(now, actor, domain.Action(m.Kind(), action), domain.TargetOf(&m), m.Scope())}
	return &after, ch
}

// Enrol records that the calling operator's authenticator app is set up.
// Enrolling again is no error and changes nothing. A portal user has no
// product requirement: they may set an app up in Cognito, and this route
// is not theirs (forbidden).
func (s *Service) Enrol(ctx context.Context, c *access.Caller) (domain.Member, error) {
	const op = "mfa.Enrol"
	if c.Operator == nil {
		return domain.Member{}, access.ErrForbidden
	}
	if c.Operator.MFAResetPending {
		// A reset Cognito was not yet told of: the app found could be the
		// old one. Finish the reset; the operator sets a new app up.
		if _, err := s.finishReset(ctx, *c.Operator, false); err != nil {
			return domain.Member{}, errs.Wrap(op, err)
		}
		return domain.Member{}, ErrNotSetUp
	}
	if c.Operator.MFAEnrolledAt != nil {
		return *c.Operator, nil
	}
	if err := s.MFA.PreferTOTP(ctx, c.Sub); err != nil {
		return domain.Member{}, errs.Wrap(op, err)
	}
	on, err := s.MFA.TOTP(ctx, c.Sub)
	if err != nil {
		return domain.Member{}, errs.Wrap(op, err)
	}
	if !on {
		return domain.Member{}, ErrNotSetUp
	}
	m, _, err := s.modify(ctx, c.Operator.ID, nil, func(m domain.Member, now time.Time) *state.MemberChange {
		if m.Sub != c.Sub || m.Status != domain.StatusEnabled || m.MFAEnrolledAt != nil || m.MFAResetPending {
			return nil
		}
		after, ch := change(m, now, c.ActorIn(m.Scope()), domain.ActionMFAEnrolled)
		after.MFAEnrolledAt = &now
		return ch
	})
	if err != nil {
		return m, errs.Wrap(op, err)
	}
	if m.MFAResetPending {
		return domain.Member{}, ErrNotSetUp // a reset came first
	}
	if m.MFAEnrolledAt == nil {
		// The table refused: the operator was disabled, or their account
		// changed, since the request was let in. Cognito was told to
		// prefer the app first because only an app it has verified may be
		// recorded; that preference of a refused operator opens nothing.
		return domain.Member{}, access.ErrForbidden
	}
	return m, nil
}

// Reset takes an operator's authenticator app away (a lost phone): they
// must set a new one up before anything else. Operator admins only; an
// operator without an enrolment has nothing to reset and it is no error.
func (s *Service) Reset(ctx context.Context, c *access.Caller, operatorID string) (domain.Member, error) {
	const op = "mfa.Reset"
	if err := c.RequireOperatorAdmin(); err != nil {
		return domain.Member{}, err
	}
	if !domain.ValidID(domain.ProviderScope.IDPrefix(), operatorID) {
		return domain.Member{}, state.ErrNotFound
	}
	m, ch, err := s.modify(ctx, operatorID, nil, func(m domain.Member, now time.Time) *state.MemberChange {
		if m.Sub == "" || m.MFAEnrolledAt == nil {
			return nil // never signed in, or reset already (a retry): a pending reset is finished below
		}
		after, ch := change(m, now, c.ActorIn(m.Scope()), domain.ActionMFAReset)
		after.MFAEnrolledAt = nil
		after.MFAResetPending = true
		c.ActIn(m.Scope(), &ch.Extras) // still an operator admin when it lands
		return ch
	})
	if err != nil {
		return m, errs.Wrap(op, err)
	}
	if ch == nil && !m.MFAResetPending {
		// Nothing committed and nothing pending (never enrolled, or reset
		// and finished already): Cognito is not touched, so that an admin
		// who lost the right meanwhile signs nobody out.
		return m, nil
	}
	// After the commit, from what was committed. Retrying the request does
	// this again, as does the sweep while the reset is pending.
	done, err := s.finishReset(ctx, m, ch != nil)
	if err != nil {
		s.Log.WarnContext(ctx, "authenticator reset not yet done in Cognito; the sweep will finish", "member", m.ID, "error", err.Error())
		return m, nil
	}
	return done, nil
}

// finishReset turns the app off in Cognito and clears the pending flag of
// m; written, when true, says m is the member as this request committed it
// (not a copy or a listing's), which the clearing then writes from. It
// returns the member after.
func (s *Service) finishReset(ctx context.Context, m domain.Member, written bool) (domain.Member, error) {
	if err := s.MFA.ResetTOTP(ctx, m.Sub); err != nil {
		return m, err
	}
	if !m.MFAResetPending {
		return m, nil
	}
	var first *domain.Member
	if written {
		first = &m
	}
	after, _, err := s.modify(ctx, m.ID, first, func(m domain.Member, now time.Time) *state.MemberChange {
		if !m.MFAResetPending {
			return nil
		}
		after, ch := change(m, now, domain.Actor{}, domain.ActionMFAReset)
		after.MFAResetPending = false
		ch.Unaudited = true // the reset's own event says it
		return ch
	})
	return after, err
}

// PerRun is how many operators one sweep asks Cognito about; the next run
// goes on where this one stopped, round the provider's staff, so that an
// app switched off is noticed within ceil(operators / PerRun) runs.
const PerRun = 10

// Report is what one check did.
type Report struct {
	Checked int `json:"mfaChecked"`
	Lapsed  int `json:"mfaLapsed"`
	Reset   int `json:"mfaResetsFinished"`
	Failed  int `json:"mfaFailed"`
}

// Check asks Cognito about the next PerRun enabled operators (by e-mail,
// round the list; where the last run stopped is kept in the service, and
// a new container starts at the top): an enrolled one whose app is no
// longer on loses the mark (mfa_lapsed, on the provider's trail), and a
// pending reset is finished. Errors are counted and left to the next run.
func (s *Service) Check(ctx context.Context) (Report, error) {
	var rep Report
	s.mu.Lock()
	start := s.next
	s.mu.Unlock()
	p, err := s.Store.ListMembers(ctx, domain.ProviderScope, domain.StatusEnabled, "", PerRun, start)
	if err != nil {
		return rep, errs.Wrap("mfa.Check", err)
	}
	s.mu.Lock()
	s.next = p.Next // nil: the next run starts at the top
	s.mu.Unlock()
	for _, m := range p.Items {
		if m.Sub == "" {
			continue
		}
		switch {
		case m.MFAResetPending:
			if _, err := s.finishReset(ctx, m, false); err != nil {
				rep.Failed++
				s.Log.WarnContext(ctx, "authenticator reset not finished; the next sweep retries", "member", m.ID, "error", err.Error())
				continue
			}
			rep.Reset++
		case m.MFAEnrolledAt != nil:
			rep.Checked++
			on, err := s.MFA.TOTP(ctx, m.Sub)
			if err != nil {
				if !errors.Is(err, identity.ErrNotFound) {
					rep.Failed++
					s.Log.WarnContext(ctx, "authenticator not checked; the next sweep retries", "member", m.ID, "error", err.Error())
					continue
				}
				on = false
			}
			if on {
				continue
			}
			_, ch, err := s.modify(ctx, m.ID, nil, func(cur domain.Member, now time.Time) *state.MemberChange {
				if cur.MFAEnrolledAt == nil || cur.Sub != m.Sub || !cur.MFAEnrolledAt.Equal(*m.MFAEnrolledAt) {
					return nil // enrolled again, or reset, meanwhile
				}
				after, ch := change(cur, now, domain.SystemActor, domain.ActionMFALapsed)
				after.MFAEnrolledAt = nil
				return ch
			})
			if err != nil {
				rep.Failed++
				continue
			}
			if ch != nil {
				rep.Lapsed++
			}
		}
	}
	return rep, nil
}
