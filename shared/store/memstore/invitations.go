package memstore

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Invitation finds the invitation of a token hash that may still be used
// at now.
func (s *Store) Invitation(ctx context.Context, hash string, now time.Time) (state.InvitationRef, error) {
	if err := s.read(ctx, "Invitation"); err != nil {
		return state.InvitationRef{}, err
	}
	defer s.mu.Unlock()
	t := s.tokens[hash]
	if t == nil || !t.ref.ExpiresAt.After(now) {
		return state.InvitationRef{}, state.ErrTokenInvalid
	}
	return t.ref, nil
}

// ClaimInvitation reserves a token for one accept until `until`: it may be
// taken when no claim is held, when the one held lapsed before now, or when
// it is this very claim.
func (s *Store) ClaimInvitation(ctx context.Context, hash, claimID string, now, until time.Time) (state.InvitationRef, error) {
	if err := s.write(ctx, "ClaimInvitation"); err != nil {
		return state.InvitationRef{}, err
	}
	defer s.mu.Unlock()
	t := s.tokens[hash]
	if t == nil || !t.ref.ExpiresAt.After(now) ||
		(t.claimed && !t.claimUntil.Before(now) && t.claimID != claimID) {
		return state.InvitationRef{}, state.ErrTokenInvalid
	}
	t.claimed, t.claimID, t.claimUntil = true, claimID, roundTrip(until)
	return t.ref, nil
}

// ReleaseClaim lets the token be claimed again, when claimID holds it.
func (s *Store) ReleaseClaim(ctx context.Context, hash, claimID string) error {
	if err := s.write(ctx, "ReleaseClaim"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if t := s.tokens[hash]; t != nil && t.claimed && t.claimID == claimID {
		t.claimed, t.claimID, t.claimUntil = false, "", time.Time{}
	}
	return nil
}

// SyncDone clears an identity's marker, unless a later change wrote
// another.
func (s *Store) SyncDone(ctx context.Context, sub, marker string) error {
	if err := s.write(ctx, "SyncDone"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if m, ok := s.syncs[sub]; ok && m.marker == marker {
		delete(s.syncs, sub)
	}
	return nil
}

// MarkSync marks an identity for syncing again under a new marker, due
// after the grace a change's marker gets, in place of the one there is.
func (s *Store) MarkSync(ctx context.Context, sub, marker string, now time.Time) error {
	const op = "MarkSync"
	if err := s.write(ctx, op); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.syncs[sub] = syncRec{marker: marker, due: now.Add(state.SyncGrace)}
	return nil
}

// PendingIdentity writes the marker of an accept (its claim) about to
// create or set up the e-mail's identity; it is due at due.
func (s *Store) PendingIdentity(ctx context.Context, email, claim string, due time.Time) error {
	const op = "PendingIdentity"
	if err := s.write(ctx, op); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if claim == "" {
		return invalid(op, "a key may not be empty (the claim)")
	}
	// Kept as the DynamoDB store keeps it: in UTC, to the nanosecond.
	setIn(s.pending, email, claim, due.UTC().Round(0))
	return nil
}

// PendingIdentities lists the pending-identity markers of an e-mail, by claim.
func (s *Store) PendingIdentities(ctx context.Context, email string) ([]state.PendingMarker, error) {
	if err := s.read(ctx, "PendingIdentities"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []state.PendingMarker
	for claim, due := range s.pending[email] {
		out = append(out, state.PendingMarker{Claim: claim, Due: due})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Claim < out[j].Claim })
	return out, nil
}

// ClearPending removes one pending-identity marker.
func (s *Store) ClearPending(ctx context.Context, email, claim string) error {
	const op = "ClearPending"
	if err := s.write(ctx, op); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if claim == "" {
		return invalid(op, "a key may not be empty (the claim)")
	}
	delete(s.pending[email], claim)
	return nil
}

// DueBy reads one page of the work of a kind due at now, oldest first.
func (s *Store) DueBy(ctx context.Context, kind state.DueKind, now time.Time, limit int32, start state.PageKey) (state.Page[state.Due], error) {
	const op = "DueBy"
	if err := s.read(ctx, op); err != nil {
		return state.Page[state.Due]{}, err
	}
	defer s.mu.Unlock()
	var items []keyed[state.Due]
	add := func(at time.Time, tie string, d state.Due) {
		if !at.After(now) {
			items = append(items, keyed[state.Due]{key: timeKey(at) + "\x00" + tie, v: d})
		}
	}
	switch kind {
	case state.DueResend, state.DueReminder, state.DueExpiry:
		for sc, ms := range s.members {
			for id, r := range ms {
				if r.due.kind == kind {
					add(r.due.at, scopeKey(sc)+"\x00"+id, state.Due{Scope: sc, MemberID: id})
				}
			}
		}
	case state.DueAccess:
		for sc, ms := range s.members {
			for id, r := range ms {
				if at, _, ok := r.m.AccessDue(); ok {
					add(at, scopeKey(sc)+"\x00"+id, state.Due{Scope: sc, MemberID: id})
				}
			}
		}
	case state.DueIdentity:
		for sub, m := range s.syncs {
			add(m.due, sub, state.Due{Sub: sub, Marker: m.marker})
		}
	case state.DuePending:
		for email, claims := range s.pending {
			for claim, due := range claims {
				add(due, email+"\x00"+claim, state.Due{Email: email, Marker: claim})
			}
		}
	case state.DuePortal:
		s.portalDues(now, add)
	case state.DueImport:
		for cid, imps := range s.imports {
			for id, r := range imps {
				if !r.gone && !r.imp.Queued {
					add(r.imp.CreatedAt.Add(state.ImportQueueGrace), "C#"+cid+"\x00IM#"+id, state.Due{Scope: domain.CustomerScope(cid), ImportID: id})
				}
			}
		}
	case state.DueJob:
		for id, j := range s.jobs {
			if !j.Done() {
				add(j.CreatedAt, id, state.Due{JobID: id})
			}
		}
	}
	return page(op, "due", items, false, limit, start)
}

// sortKeyed sorts items by key.
func sortKeyed[T any](items []keyed[T]) {
	sort.Slice(items, func(i, j int) bool { return strings.Compare(items[i].key, items[j].key) < 0 })
}

// RetireIdentity adds holder's lease, until until, to the leases on
// deleting an identity (see the DynamoDB store's invitations.go).
func (s *Store) RetireIdentity(ctx context.Context, sub, holder string, until time.Time) error {
	if err := s.write(ctx, "RetireIdentity"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if s.leases[sub] == nil {
		s.leases[sub] = map[string]time.Time{}
	}
	s.leases[sub][holder] = roundTrip(until)
	return nil
}

// ReleaseIdentity gives the holder's lease back, and drops those passed by
// now; the others stay.
func (s *Store) ReleaseIdentity(ctx context.Context, sub, holder string, now time.Time) error {
	if err := s.write(ctx, "ReleaseIdentity"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	for h, until := range s.leases[sub] {
		if h == holder || until.Before(now) {
			delete(s.leases[sub], h)
		}
	}
	return nil
}

// linkable answers whether a change at now may link a membership to sub:
// no lease on deleting it runs.
func (s *Store) linkable(sub string, now time.Time) bool {
	for _, until := range s.leases[sub] {
		if !until.Before(now) {
			return false
		}
	}
	return true
}
