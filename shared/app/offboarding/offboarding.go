// Package offboarding takes a customer away for good. Deleting a customer is
// accepted in one transaction that marks it offboarding (from then on every
// call about it is refused, its portals' tokens at once), starts a job and
// writes the one event of it that is kept, on the provider's trail. The
// work itself runs afterwards in bounded steps, which the sweep drives:
// every member removed (invitations revoked, each identity that no other
// membership keeps deleted once the table has let it go), every portal
// setup and its app client deleted, the customer's own records deleted,
// and last the customer. Each step only removes, and reads what is left, so
// a run that dies anywhere is resumed by the next one.
package offboarding

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/identitysync"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Store is what offboarding reads and writes.
type Store interface {
	CustomerWithPortals(ctx context.Context, id string) (domain.Customer, []domain.Portal, error)
	ChangeCustomer(ctx context.Context, ch state.CustomerChange) error
	Job(ctx context.Context, id string) (domain.Job, error)
	UpdateJob(ctx context.Context, u state.JobUpdate) error
	FinishOffboarding(ctx context.Context, j domain.Job, now time.Time) error
	CustomerMembers(ctx context.Context, customerID string, limit int32) ([]domain.Member, error)
	ChangeMember(ctx context.Context, ch state.MemberChange) error
	DeleteCustomerRecords(ctx context.Context, customerID string, limit int32) (int, error)
}

// Portals removes portal setups and their app clients.
type Portals interface {
	Remove(ctx context.Context, p domain.Portal) error
}

// Service offboards customers.
type Service struct {
	Store Store
	// Sync brings identities in line after their memberships went; nil
	// leaves that to the sweep, through the markers.
	Sync    *identitysync.Syncer
	Portals Portals
	Log     *slog.Logger
	Now     func() time.Time
	// Clock measures a run's time budget (the real clock, whatever Now
	// says); nil is time.Now.
	Clock func() time.Time
}

func (s *Service) now() time.Time { return s.Now().UTC() }

func (s *Service) clock() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

// Begin accepts the offboarding of a customer (operator admins) and
// answers its job. Asked again while it runs (a retry whose answer was
// lost), it answers the same job.
func (s *Service) Begin(ctx context.Context, c *access.Caller, customerID string) (domain.Job, error) {
	if err := c.RequireOperatorAdminIn(customerID); err != nil {
		return domain.Job{}, err
	}
	j, err := s.begin(ctx, c, customerID)
	if errors.Is(err, state.ErrStale) || errors.Is(err, state.ErrNotFound) {
		// Renamed meanwhile, or offboarded by another request at the same
		// moment: read it again, once.
		j, err = s.begin(ctx, c, customerID)
		if errors.Is(err, state.ErrStale) {
			err = state.ErrConcurrent
		}
	}
	return j, err
}

func (s *Service) begin(ctx context.Context, c *access.Caller, customerID string) (domain.Job, error) {
	const op = "offboarding.Begin"
	cu, ps, err := s.Store.CustomerWithPortals(ctx, customerID)
	if err != nil {
		return domain.Job{}, errs.Wrap(op, err)
	}
	if cu.Offboarding() {
		j, err := s.Store.Job(ctx, cu.OffboardingJob)
		return j, errs.Wrap(op, err)
	}
	now := s.now()
	actor := c.ActorIn(domain.ProviderScope)
	j := domain.Job{ID: domain.NewID(domain.PrefixJob), Kind: domain.JobOffboarding, CustomerID: cu.ID, CustomerName: cu.Name,
		Step: domain.JobMembers, RequestedBy: actor, CreatedAt: now, UpdatedAt: now}
	after := cu
	after.OffboardingJob, after.Version, after.UpdatedAt = j.ID, cu.Version+1, now
	name := cu.Name
	ev := domain.NewEvent(now, actor, domain.ActionCustomerOffboarded, domain.Target{Kind: domain.TargetCustomer, ID: cu.ID, Name: &name}, domain.ProviderScope)
	ch := state.CustomerChange{Before: cu, After: after, Portals: ps, Job: &j, Events: []domain.AuditEvent{ev}, Now: now}
	c.ActIn(domain.ProviderScope, &ch.Extras) // still an operator admin when it lands
	err = s.Store.ChangeCustomer(ctx, ch)
	if err != nil {
		return domain.Job{}, errs.Wrap(op, err)
	}
	return j, nil
}

// Job reads a job's progress: operator admins.
func (s *Service) Job(ctx context.Context, c *access.Caller, id string) (domain.Job, error) {
	if err := c.RequireOperatorAdmin(); err != nil {
		return domain.Job{}, err
	}
	if !domain.ValidID(domain.PrefixJob, id) {
		return domain.Job{}, state.ErrNotFound
	}
	j, err := s.Store.Job(ctx, id)
	return j, errs.Wrap("offboarding.Job", err)
}

// Sizes of the bounded steps: how many members are read at once, how many
// are removed at the same time, how many records one step deletes.
const (
	membersPage   = 50
	workers       = 8
	recordsPage   = 200
	portalsAtOnce = 10
)

// Run works on a job in bounded steps until it is done, or the deadline
// passes (more), or a step cannot go on now (a member's invitation held by
// an accept): its error, and the next run goes on. Two runs of one job at
// once are safe: every removal is conditional, and the step moves only
// from where it was.
func (s *Service) Run(ctx context.Context, jobID string, deadline time.Time) (more bool, err error) {
	const op = "offboarding.Run"
	j, err := s.Store.Job(ctx, jobID)
	if err != nil {
		return false, errs.Wrap(op, err)
	}
	for !j.Done() {
		if s.clock().After(deadline) {
			return true, nil
		}
		var removed domain.JobCounts
		finished := false
		switch j.Step {
		case domain.JobMembers:
			removed, finished, err = s.removeMembers(ctx, j)
		case domain.JobPortals:
			removed, finished, err = s.removePortals(ctx, j)
		case domain.JobRecords:
			var n int
			n, err = s.Store.DeleteCustomerRecords(ctx, j.CustomerID, recordsPage)
			removed.Records, finished = n, n == 0 && err == nil
		case domain.JobCustomer:
			err = s.Store.FinishOffboarding(ctx, j, s.now())
			if err == nil {
				s.Log.InfoContext(ctx, "customer offboarded", "customer", j.CustomerID, "job", j.ID,
					"members", j.Removed.Members, "portals", j.Removed.Portals, "records", j.Removed.Records)
			}
		default:
			return false, errs.Wrap(op, errors.New("a job at an unknown step: "+string(j.Step)))
		}
		if removed != (domain.JobCounts{}) || finished {
			u := state.JobUpdate{ID: j.ID, Removed: removed, Now: s.now()}
			if finished {
				u.From, u.To = j.Step, domain.NextStep(j.Step)
			}
			uerr := s.Store.UpdateJob(ctx, u)
			if uerr != nil && !errors.Is(uerr, state.ErrStale) { // stale: another run moved it on
				return false, errs.Wrap(op, errors.Join(err, uerr))
			}
		}
		if err != nil && !errors.Is(err, state.ErrStale) {
			return false, errs.Wrap(op, err)
		}
		if j, err = s.Store.Job(ctx, jobID); err != nil {
			return false, errs.Wrap(op, err)
		}
	}
	return false, nil
}

// errHeld: no member of a page could be removed now.
var errHeld = errors.New("the members left are held by accepts in progress; the next run goes on")

// removeMembers removes one page of the customer's members, several at a
// time: each in a transaction of its own (the member, its e-mail, its
// identity's copy, its links, its token, a marker for its identity), then
// its identity brought in line (deleted when no other membership keeps it).
// finished reports that none was left.
func (s *Service) removeMembers(ctx context.Context, j domain.Job) (domain.JobCounts, bool, error) {
	ms, err := s.Store.CustomerMembers(ctx, j.CustomerID, membersPage)
	if err != nil || len(ms) == 0 {
		return domain.JobCounts{}, err == nil, err
	}
	var mu sync.Mutex
	var removed domain.JobCounts
	var firstErr error
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for _, m := range ms {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			revoked, err := s.removeMember(ctx, m)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				removed.Members++
				if revoked {
					removed.Invitations++
				}
			case errors.Is(err, state.ErrStale) || errors.Is(err, state.ErrClaimHeld):
				// Changed meanwhile, or its token claimed by an accept: the
				// next page reads it again.
			case firstErr == nil:
				firstErr = err
			}
		})
	}
	wg.Wait()
	if firstErr == nil && removed.Members == 0 {
		firstErr = errHeld
	}
	return removed, false, firstErr
}

// removeMember removes one member; revoked reports that its pending
// invitation was revoked with it.
func (s *Service) removeMember(ctx context.Context, m domain.Member) (bool, error) {
	now := s.now()
	ch := state.MemberChange{Before: m, Now: now, Unaudited: true, SyncIdentity: m.Sub != "",
		// Not written (Unaudited): its id names the identity's marker.
		Event: domain.NewEvent(now, domain.SystemActor, domain.Action(m.Kind(), domain.ActionDeleted), domain.TargetOf(&m), m.Scope())}
	revoked := m.Invitation != nil && m.Invitation.State == domain.InvitationPending
	if revoked {
		ch.RevokeToken = m.Invitation.TokenHash
	}
	if err := s.Store.ChangeMember(ctx, ch); err != nil {
		return false, err
	}
	if ch.SyncIdentity {
		s.Sync.Sync(ctx, m.Sub, ch.Event.ID) // a failure is left to the sweep, through the marker
	}
	return revoked, nil
}

// removePortals removes up to portalsAtOnce of the customer's portal
// setups, each with its app client; finished reports that none was left.
func (s *Service) removePortals(ctx context.Context, j domain.Job) (domain.JobCounts, bool, error) {
	_, ps, err := s.Store.CustomerWithPortals(ctx, j.CustomerID)
	if errors.Is(err, state.ErrNotFound) {
		return domain.JobCounts{}, true, nil
	}
	if err != nil || len(ps) == 0 {
		return domain.JobCounts{}, err == nil, err
	}
	var removed domain.JobCounts
	for _, p := range ps[:min(len(ps), portalsAtOnce)] {
		err := s.Portals.Remove(ctx, p)
		if errors.Is(err, state.ErrStale) {
			continue // changed meanwhile: read again
		}
		if err != nil {
			return removed, false, err
		}
		removed.Portals++
	}
	return removed, false, nil
}
