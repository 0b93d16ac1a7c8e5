// Package identitysync brings a sign-in identity in line with the
// memberships the table holds for it: deleted when none is left, enabled
// while one is enabled, otherwise disabled and signed out everywhere. It
// runs after a change has committed, driven by what was committed; when it
// fails, the change's marker stays and the sweep finishes the job. The
// table, which every request reads, is right all along.
//
// Two reconciles of one identity may run at once (two requests, or a
// request and the sweep), each acting on what it read, and one marker
// stands for both: the one that read first may act on the sign-in system
// last, after the other has cleared the marker. So each reads the
// memberships again after acting and acts again until what it read is what
// it applied: whichever acts last sees the table as it is after its own
// act, so the identity ends in line, or the marker of a later change is
// left for its own request or the sweep.
package identitysync

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Store is what syncing reads and clears.
type Store interface {
	// Memberships must be strongly consistent: a re-read after acting
	// has to see every change committed before it.
	Memberships(ctx context.Context, sub string) ([]domain.Member, error)
	SyncDone(ctx context.Context, sub, marker string) error
	MarkSync(ctx context.Context, sub, marker string, now time.Time) error
	// RetireIdentity adds a lease on deleting an identity, held as holder
	// until until; while one runs, no change links a membership to the
	// identity. ReleaseIdentity gives one back.
	RetireIdentity(ctx context.Context, sub, holder string, until time.Time) error
	ReleaseIdentity(ctx context.Context, sub, holder string, now time.Time) error
}

// Identities is what syncing changes in the sign-in system.
type Identities interface {
	Enable(ctx context.Context, sub string) error
	Disable(ctx context.Context, sub string) error
	Delete(ctx context.Context, sub string) error
}

// Syncer brings identities in line.
type Syncer struct {
	Store      Store
	Identities Identities
	Log        *slog.Logger
	Now        func() time.Time // nil: time.Now
}

// Rounds is how many times one reconcile acts on the sign-in system before
// it leaves the rest to the sweep: each round past the first needs another
// change of the identity's memberships to have committed meanwhile.
const Rounds = 4

// ErrStillMoving is a reconcile that gave up after Rounds acts because the
// memberships kept changing under it; it marks the identity again, so that
// the sweep finishes.
var ErrStillMoving = errors.New("identitysync: the memberships kept changing while the identity was brought in line")

// Sync brings the identity in line and clears the change's marker (when
// there is one); a failure is logged and left to the sweep.
func (s *Syncer) Sync(ctx context.Context, sub, marker string) {
	if sub == "" || s == nil || s.Identities == nil {
		return
	}
	if err := s.Reconcile(ctx, sub); err != nil {
		s.Log.WarnContext(ctx, "identity not yet in line; the sweep will finish", "sub", sub, "error", err.Error())
		return
	}
	if marker != "" {
		if err := s.Store.SyncDone(ctx, sub, marker); err != nil {
			s.Log.WarnContext(ctx, "identity marker not cleared", "sub", sub, "error", err.Error())
		}
	}
}

// want is what the sign-in system should do with an identity.
type want int

const (
	wantDelete want = iota
	wantEnable
	wantDisable
)

// wanted is what the memberships call for.
func wanted(ms []domain.Member) want {
	if len(ms) == 0 {
		return wantDelete
	}
	for _, m := range ms {
		if m.Status == domain.StatusEnabled {
			return wantEnable
		}
	}
	return wantDisable
}

// Reconcile makes the identity what its memberships say, reading them again
// after each act (see the package comment), and deleting it only under a
// lease (see Retire). Only once a read after its act agrees with the act
// may the caller clear its marker. When the reads keep
// disagreeing, its marker may already be gone (cleared by the other,
// whose act this one's came after), so it writes one again before giving
// up: the sweep then finishes.
func (s *Syncer) Reconcile(ctx context.Context, sub string) error {
	ms, err := s.Store.Memberships(ctx, sub)
	if err != nil {
		return err
	}
	w := wanted(ms)
	for range Rounds {
		if w == wantDelete {
			// Deleted under the lease, the identity stays so: no
			// membership held it, and none can come to (see Retire).
			ms, err := s.Retire(ctx, sub)
			if err != nil || len(ms) == 0 {
				return err
			}
			w = wanted(ms)
			continue
		}
		if err := s.apply(ctx, sub, w); err != nil {
			return err
		}
		ms, err := s.Store.Memberships(ctx, sub)
		if err != nil {
			return err
		}
		now := wanted(ms)
		if now == w {
			return nil
		}
		w = now
	}
	if err := s.Store.MarkSync(ctx, sub, domain.NewID("sync"), s.now()); err != nil {
		return errors.Join(ErrStillMoving, err)
	}
	return ErrStillMoving
}

func (s *Syncer) apply(ctx context.Context, sub string, w want) error {
	if w == wantEnable {
		return s.Identities.Enable(ctx, sub)
	}
	return s.Identities.Disable(ctx, sub)
}

// Retire deletes an identity that no membership holds, and answers the
// memberships it found instead when one does. A membership may come to
// hold an identity while it is read (an accept linking an account it
// looked up before): so a lease on deleting it is taken first, which
// refuses such links until it is given back or lapses (state.RetireLease,
// longer than any accept runs), and the memberships are read again under
// it. Only then is it deleted: an accept that looked it up before cannot
// link to it after. Reconciles of one identity each take a lease of their
// own, and one that gives its lease back leaves the others'.
func (s *Syncer) Retire(ctx context.Context, sub string) ([]domain.Member, error) {
	holder := domain.NewID("retire")
	if err := s.Store.RetireIdentity(ctx, sub, holder, s.now().Add(state.RetireLease)); err != nil {
		return nil, err
	}
	ms, err := s.Store.Memberships(ctx, sub)
	if err != nil {
		return nil, err // the lease lapses
	}
	if len(ms) > 0 {
		return ms, s.Store.ReleaseIdentity(ctx, sub, holder, s.now())
	}
	return nil, s.Identities.Delete(ctx, sub)
}

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
