package memstore

import (
	"context"
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Conditions are checked in the order the DynamoDB store lists the writes
// of its transaction, and the first that fails is the answer, as DynamoDB's
// cancellation reasons tell it; only then is anything written.

// CreateMember writes a new member, the record that keeps its e-mail unique
// in its scope, the token record of a pending invitation, the identity's
// copy when it has one, the scope's count of enabled admins, the audit
// event and the extras, or nothing.
func (s *Store) CreateMember(ctx context.Context, nm state.NewMember) error {
	const op = "CreateMember"
	if err := s.writeRated(ctx, op, nm.Rate); err != nil {
		return err
	}
	defer s.mu.Unlock()
	m := cloneMember(nm.Member)
	sc := m.Scope()
	pendingInv := m.Invitation != nil && m.Invitation.State == domain.InvitationPending
	if !sc.IsProvider() && !m.CountsAsAdmin() && !s.open(sc.CustomerID) {
		return state.ErrNotFound
	}
	if _, taken := s.emails[sc][m.Email]; taken {
		return state.ErrEmailTaken
	}
	if s.members[sc][m.ID] != nil {
		return state.ErrConcurrent
	}
	if pendingInv && s.tokens[m.Invitation.TokenHash] != nil {
		return state.ErrConcurrent
	}
	if m.Sub != "" {
		if _, ok := s.identities[m.Sub][sc]; ok {
			return state.ErrConcurrent
		}
	}
	if m.CountsAsAdmin() && !sc.IsProvider() && !s.open(sc.CustomerID) {
		return state.ErrNotFound
	}
	if domain.SeatDelta(nil, &m) > 0 && !s.seatFree(sc) {
		return state.ErrSeatLimit
	}
	if err := s.checkAudit(nm.Event); err != nil {
		return err
	}
	if err := s.checkExtras(nm.Extras, sc); err != nil {
		return err
	}

	setIn(s.emails, sc, m.Email, m.ID)
	setIn(s.members, sc, m.ID, &memberRec{m: m, due: dueOf(m.Invitation)})
	if pendingInv {
		s.tokens[m.Invitation.TokenHash] = tokenOf(m)
	}
	if m.Sub != "" {
		setIn(s.identities, m.Sub, sc, identityCopy(m))
	}
	if m.CountsAsAdmin() {
		s.countAdmins(sc, 1)
	}
	s.countMember(sc, nil, &m)
	s.countSeats(sc, domain.SeatDelta(nil, &m))
	s.link(nil, &m)
	s.putAudit(nm.Event)
	s.applyExtras(nm.Extras)
	return nil
}

// ChangeMember writes a change of a member, with everything that changes
// with it, or nothing. The delivery bookkeeping recorded since Before was
// read stays (keepBookkeeping); a change that replaces the invitation is
// stale once any was.
func (s *Store) ChangeMember(ctx context.Context, ch state.MemberChange) error {
	const op = "ChangeMember"
	if err := s.writeRated(ctx, op, ch.Rate); err != nil {
		return err
	}
	defer s.mu.Unlock()
	b := cloneMember(ch.Before)
	sc := b.Scope()
	var a *domain.Member
	if ch.After != nil {
		c := cloneMember(*ch.After)
		a = &c
	}
	writeToken := ch.NewToken && a != nil && a.Invitation != nil
	// One transaction may not name one item twice: DynamoDB refuses it as
	// malformed before it looks at any condition.
	var hashes []string
	for _, h := range []string{ch.RevokeToken, ch.UseToken} {
		if h != "" {
			hashes = append(hashes, h)
		}
	}
	if writeToken {
		hashes = append(hashes, a.Invitation.TokenHash)
	}
	for i := range hashes {
		for j := range i {
			if hashes[i] == hashes[j] {
				return invalid(op, "the transaction names one token record twice")
			}
		}
	}

	// The member, on condition of its version (where After is put, or
	// Before deleted).
	at, id := sc, b.ID
	if a != nil {
		at, id = a.Scope(), a.ID
	}
	cur := s.members[at][id]
	if cur == nil || cur.m.Version != b.Version || ch.ReplacesInvitation() && cur.m.Bookkept != b.Bookkept {
		return state.ErrStale
	}
	wasAdmin := b.CountsAsAdmin()
	isAdmin := a != nil && a.CountsAsAdmin()
	if wasAdmin && !isAdmin && ch.GuardLastAdmin && s.enabledAdmins(sc) <= 1 {
		return state.ErrLastAdmin
	}
	seats := domain.SeatDelta(&b, a)
	if seats > 0 && !s.seatFree(sc) {
		return state.ErrSeatLimit
	}
	if ch.RevokeToken != "" {
		if t := s.tokens[ch.RevokeToken]; t != nil && t.claimed && !t.claimUntil.Before(ch.Now) {
			return state.ErrClaimHeld
		}
	}
	if ch.UseToken != "" {
		if t := s.tokens[ch.UseToken]; t == nil || !t.claimed || t.claimID != ch.ClaimID {
			return state.ErrTokenInvalid
		}
	}
	if writeToken && s.tokens[a.Invitation.TokenHash] != nil {
		return state.ErrConcurrent
	}
	if a != nil && a.Sub != "" && a.Sub != b.Sub && !s.linkable(a.Sub, ch.Now) {
		return state.ErrConcurrent // an identity being deleted
	}
	if !ch.Unaudited {
		if err := s.checkAudit(ch.Event); err != nil {
			return err
		}
	}
	x := ch.Extras
	if x.ActingAdmin == b.Sub {
		x.ActingAdmin = "" // acting on itself: its version condition covers it
	}
	if x.ActingOperator == b.Sub && b.Scope().IsProvider() {
		x.ActingOperator = ""
	}
	if err := s.checkExtras(x, sc); err != nil {
		return err
	}

	if a == nil {
		delete(s.members[sc], b.ID)
		delete(s.emails[sc], b.Email)
		if b.Sub != "" {
			delete(s.identities[b.Sub], sc)
		}
	} else {
		setIn(s.members, a.Scope(), a.ID, keepBookkeeping(cur, &b, a, ch.KeepsInvitation()))
		if a.Sub != "" {
			setIn(s.identities, a.Sub, a.Scope(), identityCopy(*a))
		}
		if b.Sub != "" && b.Sub != a.Sub {
			delete(s.identities[b.Sub], sc)
		}
	}
	if wasAdmin != isAdmin {
		if isAdmin {
			s.countAdmins(sc, 1)
		} else {
			s.countAdmins(sc, -1)
		}
	}
	s.countMember(sc, &b, a)
	s.countSeats(sc, seats)
	if ch.RevokeToken != "" {
		delete(s.tokens, ch.RevokeToken)
	}
	if ch.UseToken != "" {
		delete(s.tokens, ch.UseToken)
	}
	if writeToken {
		s.tokens[a.Invitation.TokenHash] = tokenOf(*a)
	}
	if ch.SyncIdentity {
		sub := b.Sub
		if a != nil && a.Sub != "" {
			sub = a.Sub
		}
		if sub != "" {
			s.syncs[sub] = syncRec{marker: ch.Event.ID, due: ch.Now.Add(state.SyncGrace)}
		}
	}
	if ch.ClearPending != "" {
		delete(s.pending[b.Email], ch.ClearPending)
	}
	s.link(&b, a)
	if !ch.Unaudited {
		s.putAudit(ch.Event)
	}
	s.applyExtras(x)
	return nil
}

// keepBookkeeping is the record of a change's After: on an invitation the
// change keeps, the delivery bookkeeping and the due slot as the store has
// them (recorded since b was read, without a new version), except where the
// change itself changed them, as the DynamoDB store's update writes it.
func keepBookkeeping(cur *memberRec, b, a *domain.Member, keep bool) *memberRec {
	a.Bookkept = cur.m.Bookkept
	due := dueOf(a.Invitation)
	ci, bi, ai := cur.m.Invitation, b.Invitation, a.Invitation
	if !keep || ci == nil {
		return &memberRec{m: *a, due: due}
	}
	if ai.Delivery == bi.Delivery {
		ai.Delivery = ci.Delivery
	}
	if sameTime(ai.LastSentAt, bi.LastSentAt) {
		ai.LastSentAt = ci.LastSentAt
	}
	if ai.SendCount == bi.SendCount {
		ai.SendCount = ci.SendCount
	}
	if sameTime(ai.FeedbackAt, bi.FeedbackAt) {
		ai.FeedbackAt = ci.FeedbackAt
	}
	if ai.FeedbackReason == bi.FeedbackReason {
		ai.FeedbackReason = ci.FeedbackReason
	}
	if ai.Undeliverable == bi.Undeliverable {
		ai.Undeliverable = ci.Undeliverable
	}
	if sameTime(ai.RemindAt, bi.RemindAt) {
		ai.RemindAt = ci.RemindAt
	}
	if sameTime(ai.ReminderSentAt, bi.ReminderSentAt) {
		ai.ReminderSentAt = ci.ReminderSentAt
	}
	if was := dueOf(bi); due.kind == was.kind && due.at.Equal(was.at) {
		due = cur.due
	}
	return &memberRec{m: *a, due: due}
}

func sameTime(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}

// open reports whether a customer's item exists (a phantom one too, as
// DynamoDB's condition sees it) and its offboarding has not begun: what
// adding to it needs.
func (s *Store) open(customerID string) bool {
	r := s.customers[customerID]
	return r != nil && !r.c.Offboarding()
}

// tokenOf is the token record of a member's invitation.
func tokenOf(m domain.Member) *tokenRec {
	return &tokenRec{ref: state.InvitationRef{
		Scope: m.Scope(), MemberID: m.ID, Email: m.Email, ExpiresAt: roundTrip(m.Invitation.ExpiresAt),
	}}
}

// enabledAdmins is the scope's count of enabled admins (0 when the item
// that counts them does not exist).
func (s *Store) enabledAdmins(sc domain.Scope) int {
	if sc.IsProvider() {
		return s.providerAdmins
	}
	if c := s.customers[sc.CustomerID]; c != nil {
		return c.c.EnabledAdmins
	}
	return 0
}

// countAdmins adds to the scope's count of enabled admins; as DynamoDB's
// update does, it makes the counting item of a customer that has none.
func (s *Store) countAdmins(sc domain.Scope, delta int) {
	if sc.IsProvider() {
		s.providerAdmins += delta
		return
	}
	c := s.customers[sc.CustomerID]
	if c == nil {
		c = &customerRec{phantom: true}
		s.customers[sc.CustomerID] = c
	}
	c.c.EnabledAdmins += delta
}

// countMember moves a member between its scope's counts by category, as
// the DynamoDB store's update of the meta item does (making the counting
// item of a customer that has none).
func (s *Store) countMember(sc domain.Scope, before, after *domain.Member) {
	c := &s.providerCounts
	if !sc.IsProvider() {
		r := s.customers[sc.CustomerID]
		if r == nil {
			r = &customerRec{phantom: true}
			s.customers[sc.CustomerID] = r
		}
		c = &r.c.Members
	}
	if before != nil {
		c.Add(before.Status, -1)
	}
	if after != nil {
		c.Add(after.Status, 1)
	}
}

// MemberCounts reads a scope's counts of members by category.
func (s *Store) MemberCounts(ctx context.Context, sc domain.Scope) (domain.MemberCounts, error) {
	if err := s.read(ctx, "MemberCounts"); err != nil {
		return domain.MemberCounts{}, err
	}
	defer s.mu.Unlock()
	if sc.IsProvider() {
		return s.providerCounts, nil
	}
	if r := s.customers[sc.CustomerID]; r != nil {
		return r.c.Members, nil
	}
	return domain.MemberCounts{}, nil
}

// BackfillCounts marks every scope's counts exact: the in-memory store has
// kept them from the start, and only the provider's, like the DynamoDB
// store's meta item made by the first operator admin, waits for it.
func (s *Store) BackfillCounts(ctx context.Context, limit int) (bool, error) {
	if err := s.write(ctx, "BackfillCounts"); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	s.providerCounts.Exact = true
	for _, r := range s.customers {
		r.c.Members.Exact = true
	}
	return false, nil
}

// Member reads one member.
func (s *Store) Member(ctx context.Context, sc domain.Scope, id string) (domain.Member, error) {
	if err := s.read(ctx, "Member"); err != nil {
		return domain.Member{}, err
	}
	defer s.mu.Unlock()
	return s.member(sc, id)
}

func (s *Store) member(sc domain.Scope, id string) (domain.Member, error) {
	r := s.members[sc][id]
	if r == nil {
		return domain.Member{}, state.ErrNotFound
	}
	return cloneMember(r.m), nil
}

// MemberByEmail reads the member of a scope that the e-mail's record names.
func (s *Store) MemberByEmail(ctx context.Context, sc domain.Scope, email string) (domain.Member, error) {
	if err := s.read(ctx, "MemberByEmail"); err != nil {
		return domain.Member{}, err
	}
	defer s.mu.Unlock()
	id, ok := s.emails[sc][email]
	if !ok {
		return domain.Member{}, state.ErrNotFound
	}
	return s.member(sc, id)
}

// ListMembers pages through a scope's members sorted by e-mail, all or of
// one status; search is a prefix of the e-mail.
func (s *Store) ListMembers(ctx context.Context, sc domain.Scope, status domain.Status, search string, limit int32, start state.PageKey) (state.Page[domain.Member], error) {
	const op = "ListMembers"
	if err := s.read(ctx, op); err != nil {
		return state.Page[domain.Member]{}, err
	}
	defer s.mu.Unlock()
	var items []keyed[domain.Member]
	for _, r := range s.members[sc] {
		if (status == "" || r.m.Status == status) && strings.HasPrefix(r.m.Email, search) {
			items = append(items, keyed[domain.Member]{key: r.m.Email + "\x00" + r.m.ID, v: cloneMember(r.m)})
		}
	}
	return page(op, "member", items, false, limit, start)
}

// RecordDelivery records the outcome of sending the invitation of the
// token, while its delivery is pending and the token unchanged; otherwise
// it does nothing. The version stays.
func (s *Store) RecordDelivery(ctx context.Context, d state.Delivery) error {
	if err := s.write(ctx, "RecordDelivery"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r := s.stillPending(d.Scope, d.MemberID, d.TokenHash)
	if r == nil {
		return nil
	}
	r.m.Invitation.Delivery = d.Outcome
	r.m.Bookkept++
	if d.Outcome == domain.DeliverySent {
		at := roundTrip(d.At)
		r.m.Invitation.LastSentAt = &at
		r.m.Invitation.SendCount = d.SendCount
	}
	r.due = dueOf(r.m.Invitation) // recorded: no longer due to be sent again
	return nil
}

// RecordFeedback records what the mail service reported, while the
// invitation is the one read and its member unconfirmed at that address.
func (s *Store) RecordFeedback(ctx context.Context, f state.Feedback) error {
	if err := s.write(ctx, "RecordFeedback"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r := s.members[f.Scope][f.MemberID]
	if r == nil || r.m.Invitation == nil || r.m.Status != domain.StatusUnconfirmed || r.m.Email != f.Email {
		return state.ErrConcurrent
	}
	inv := r.m.Invitation
	if inv.TokenHash != f.TokenHash || inv.Delivery != f.Prior || inv.State != domain.InvitationPending {
		return state.ErrConcurrent
	}
	at := roundTrip(f.At)
	inv.Delivery, inv.FeedbackAt, inv.FeedbackReason = f.Outcome, &at, f.Reason
	r.m.Bookkept++
	if f.Undeliverable {
		inv.Undeliverable, inv.RemindAt = true, nil
		r.due = dueSlot{kind: state.DueExpiry, at: f.ExpiresAt}
	}
	return nil
}

// ReminderFailed records that a reminder could not be sent and puts the
// invitation back among the reminders due at remindAt, while its delivery
// is pending and the token unchanged.
func (s *Store) ReminderFailed(ctx context.Context, sc domain.Scope, id, tokenHash string, remindAt time.Time) error {
	if err := s.write(ctx, "ReminderFailed"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	r := s.stillPending(sc, id, tokenHash)
	if r == nil {
		return nil
	}
	r.m.Invitation.Delivery = domain.DeliveryFailed
	r.m.Invitation.ReminderSentAt = nil
	r.m.Bookkept++
	r.due = dueSlot{kind: state.DueReminder, at: remindAt}
	return nil
}

// stillPending is the member whose invitation has this token and an
// outcome not yet recorded, or nil.
func (s *Store) stillPending(sc domain.Scope, id, tokenHash string) *memberRec {
	r := s.members[sc][id]
	if r == nil || r.m.Invitation == nil || r.m.Invitation.TokenHash != tokenHash || r.m.Invitation.Delivery != domain.DeliveryPending {
		return nil
	}
	return r
}

// Memberships reads every membership of an identity: customers by id, then
// the provider's.
func (s *Store) Memberships(ctx context.Context, sub string) ([]domain.Member, error) {
	if err := s.read(ctx, "Memberships"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var items []keyed[domain.Member]
	for sc, m := range s.identities[sub] {
		items = append(items, keyed[domain.Member]{key: scopeKey(sc), v: identityCopy(m)})
	}
	sortKeyed(items)
	var out []domain.Member
	for _, it := range items {
		out = append(out, it.v)
	}
	return out, nil
}

// setIn sets m[k1][k2], making the inner map when needed.
func setIn[K1, K2 comparable, V any](m map[K1]map[K2]V, k1 K1, k2 K2, v V) {
	inner := m[k1]
	if inner == nil {
		inner = map[K2]V{}
		m[k1] = inner
	}
	inner[k2] = v
}

// seatFree reports whether the customer may take one more seat: it has no
// seat limit, or fewer seats taken.
func (s *Store) seatFree(sc domain.Scope) bool {
	c := s.customers[sc.CustomerID]
	return sc.IsProvider() || c == nil || c.c.Policy.SeatLimit == 0 || c.c.Seats < c.c.Policy.SeatLimit
}

// countSeats adds to a customer's count of seats; as DynamoDB's update
// does, it makes the counting item of a customer that has none.
func (s *Store) countSeats(sc domain.Scope, delta int) {
	if sc.IsProvider() || delta == 0 {
		return
	}
	c := s.customers[sc.CustomerID]
	if c == nil {
		c = &customerRec{phantom: true}
		s.customers[sc.CustomerID] = c
	}
	c.c.Seats += delta
}
