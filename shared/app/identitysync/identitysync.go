// Package identitysync brings a sign-in identity in line with the
// memberships the table holds for it: deleted when none is left, enabled
// while one is enabled, otherwise disabled and signed out everywhere. It
// runs after a change has committed, driven by what was committed; when it
// fails, the change's marker stays and the sweep finishes the job. The
// table, which every request reads, is right all along.
package identitysync

import (
	"context"
	"log/slog"

	"github.com/portalaccess/portalaccess/shared/domain"
)

// Store is what syncing reads and clears.
type Store interface {
	Memberships(ctx context.Context, sub string) ([]domain.Member, error)
	SyncDone(ctx context.Context, sub, marker string) error
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
}

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

// Reconcile makes the identity what its memberships say.
func (s *Syncer) Reconcile(ctx context.Context, sub string) error {
	ms, err := s.Store.Memberships(ctx, sub)
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		return s.Identities.Delete(ctx, sub)
	}
	for _, m := range ms {
		if m.Status == domain.StatusEnabled {
			return s.Identities.Enable(ctx, sub)
		}
	}
	return s.Identities.Disable(ctx, sub)
}
