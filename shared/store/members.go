package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// CreateMember writes a new member: the member, the record that keeps its
// e-mail unique in its scope, the token record of a pending invitation, the
// identity's copy when it has one, the scope's count of enabled admins and
// the audit event, in one transaction. A second member with the same e-mail
// fails with ErrEmailTaken, however many arrive at once.
func (s *Store) CreateMember(ctx context.Context, nm state.NewMember) error {
	err := s.createMemberTx(nm).commit(ctx)
	if sc := nm.Member.Scope(); !sc.IsProvider() {
		return s.gate(ctx, sc.CustomerID, err, state.ErrSeatLimit)
	}
	return err
}

// MemberItems are the items CreateMember puts for nm, for loading a large
// table with BatchWriteItem (the benchmarks): the same items, without the
// transaction's checks and counters.
func (s *Store) MemberItems(nm state.NewMember) ([]map[string]types.AttributeValue, error) {
	t := s.createMemberTx(nm)
	if t.err != nil {
		return nil, t.err
	}
	var items []map[string]types.AttributeValue
	for _, w := range t.items {
		if w.Put != nil {
			items = append(items, w.Put.Item)
		}
	}
	return items, nil
}

func (s *Store) createMemberTx(nm state.NewMember) *tx {
	m := nm.Member
	t := s.newTx()
	sc := m.Scope()
	t.putNew(emailItem{PK: scopeKey(sc), SK: emailSK(m.Email), Type: typeEmail, MemberID: m.ID}, state.ErrEmailTaken)
	t.putNew(newMemberItem(m), state.ErrConcurrent)
	if m.Invitation != nil && m.Invitation.State == domain.InvitationPending {
		t.putNew(newInvitationItem(m), state.ErrConcurrent)
	}
	if m.Sub != "" {
		t.putNew(newIdentityItem(m), state.ErrConcurrent)
	}
	// The scope's counts (of its category, of enabled admins, and for a
	// customer of its seats), in one update of its meta item. A customer's
	// member needs the customer, not being offboarded (once the offboarding
	// is accepted, nobody joins it any more), and a seat within its limit.
	// The provider's meta item is made by its first admin.
	admins := 0
	if m.CountsAsAdmin() {
		admins = 1
	}
	u, _ := metaUpdate(admins, countDelta(nil, &m))
	pk, sk := metaKey(sc)
	if sc.IsProvider() {
		t.update(pk, sk, u, nil, state.ErrNotFound)
	} else {
		c := customerOpen()
		if seats := domain.SeatDelta(nil, &m); seats != 0 {
			u = u.Add(expression.Name("seats"), expression.Value(seats))
			if seats > 0 {
				c = c.And(seatRoom())
			}
		}
		t.update(pk, sk, u, &c, errCustomerGate)
	}
	linkWrites(t, nil, &m)
	accessWrites(t, nil, &m)
	t.putNew(newAuditItem(nm.Event), nil)
	t.extras(nm.Extras, sc)
	return t
}

// seatRoom is the condition that the customer has a seat free: no seat
// limit, or fewer seats taken than it.
func seatRoom() expression.ConditionBuilder {
	return expression.AttributeNotExists(expression.Name("policy.seatLimit")).
		Or(expression.AttributeNotExists(expression.Name("seats"))).
		Or(expression.Name("seats").LessThan(expression.Name("policy.seatLimit")))
}

// Member reads one member; consistent reads see every committed change.
func (s *Store) Member(ctx context.Context, sc domain.Scope, id string) (domain.Member, error) {
	return getAs(ctx, s, scopeKey(sc), memberSK(id), (*memberItem).member)
}

// MemberByEmail reads the member of a scope with an e-mail address.
func (s *Store) MemberByEmail(ctx context.Context, sc domain.Scope, email string) (domain.Member, error) {
	var e emailItem
	if err := s.getOne(ctx, scopeKey(sc), emailSK(email), &e); err != nil {
		return domain.Member{}, err
	}
	return s.Member(ctx, sc, e.MemberID)
}

// ListMembers pages through a scope's members sorted by e-mail: of one
// status through the category index, or all through the listing index.
// search is a lower-case prefix of the e-mail. Each page is one Query whose
// cost depends on the page, not on the size of the scope or the table.
func (s *Store) ListMembers(ctx context.Context, sc domain.Scope, status domain.Status, search string, limit int32, start state.PageKey) (state.Page[domain.Member], error) {
	index, pkAttr, skAttr, pk := IndexListing, "listPk", "listSk", listingPK(sc)
	if status != "" {
		index, pkAttr, skAttr, pk = IndexCategory, "catPk", "catSk", categoryPK(sc, status)
	}
	kc := expression.Key(pkAttr).Equal(expression.Value(pk))
	if search != "" {
		kc = kc.And(expression.Key(skAttr).BeginsWith(search))
	}
	return listOf(ctx, s, index, kc, limit, start, func(it *memberItem) domain.Member { return it.member() })
}

// RecordDelivery records the outcome of sending the invitation whose token
// hash is given, while it is still pending: it does nothing when the token
// has since been rotated or the outcome is recorded already, so that a retry
// of the call (after a lost response) cannot count a send twice. It is
// bookkeeping, not a change a person made: the version stays, and a change
// read before it does not undo it (see ChangeMember); it counts in
// "bookkept", as RecordFeedback and ReminderFailed do.
func (s *Store) RecordDelivery(ctx context.Context, d state.Delivery) error {
	u := expression.Set(expression.Name("invitation.delivery"), expression.Value(d.Outcome)).
		Add(expression.Name("bookkept"), expression.Value(1))
	if d.Outcome == domain.DeliverySent {
		u = u.Set(expression.Name("invitation.lastSentAt"), expression.Value(d.At)).
			Set(expression.Name("invitation.sendCount"), expression.Value(d.SendCount))
	}
	// Recorded, it is no longer due to be sent again: back under its
	// reminder or expiry (the condition pins the invitation they are of).
	pk, sk := dueKeysOf(&domain.Invitation{State: domain.InvitationPending, Delivery: d.Outcome, RemindAt: d.RemindAt, ExpiresAt: d.ExpiresAt})
	u = u.Set(expression.Name("duePk"), expression.Value(pk)).Set(expression.Name("dueSk"), expression.Value(sk))
	_, err := s.updateIf(ctx, scopeKey(d.Scope), memberSK(d.MemberID), u, stillPending(d.TokenHash), "record delivery")
	if err == errConditionFailed {
		return nil // rotated, deleted or recorded meanwhile: that state stands
	}
	return err
}

// RecordFeedback records what the mail service reported of an invitation
// e-mail, while the invitation is the one read (f.TokenHash, f.Prior) and
// its member unconfirmed at that address; ErrConcurrent otherwise. An
// undeliverable address leaves the reminders: the due index holds the
// invitation under its expiry only.
func (s *Store) RecordFeedback(ctx context.Context, f state.Feedback) error {
	u := expression.Set(expression.Name("invitation.delivery"), expression.Value(f.Outcome)).
		Set(expression.Name("invitation.feedbackAt"), expression.Value(f.At)).
		Set(expression.Name("invitation.feedbackReason"), expression.Value(f.Reason)).
		Add(expression.Name("bookkept"), expression.Value(1))
	if f.Undeliverable {
		u = u.Set(expression.Name("invitation.undeliverable"), expression.Value(true)).
			Set(expression.Name("invitation.remindAt"), expression.Value(nil)).
			Set(expression.Name("duePk"), expression.Value(string(state.DueExpiry))).
			Set(expression.Name("dueSk"), expression.Value(dueSK(f.ExpiresAt)))
	}
	c := expression.Name("invitation.tokenHash").Equal(expression.Value(f.TokenHash)).
		And(expression.Name("invitation.delivery").Equal(expression.Value(f.Prior))).
		And(expression.Name("invitation.state").Equal(expression.Value(domain.InvitationPending))).
		And(expression.Name("email").Equal(expression.Value(f.Email))).
		And(expression.Name("status").Equal(expression.Value(domain.StatusUnconfirmed)))
	_, err := s.updateIf(ctx, scopeKey(f.Scope), memberSK(f.MemberID), u, c, "record delivery feedback")
	if err == errConditionFailed {
		return state.ErrConcurrent
	}
	return err
}

// ReminderFailed records that a reminder could not be sent, and puts the
// invitation back among the reminders due, so that the next sweep tries
// again (with a fresh link: this one never arrived).
func (s *Store) ReminderFailed(ctx context.Context, sc domain.Scope, id, tokenHash string, remindAt time.Time) error {
	u := expression.Set(expression.Name("invitation.delivery"), expression.Value(domain.DeliveryFailed)).
		Set(expression.Name("invitation.reminderSentAt"), expression.Value(nil)).
		Set(expression.Name("duePk"), expression.Value(string(state.DueReminder))).
		Set(expression.Name("dueSk"), expression.Value(dueSK(remindAt))).
		Add(expression.Name("bookkept"), expression.Value(1))
	_, err := s.updateIf(ctx, scopeKey(sc), memberSK(id), u, stillPending(tokenHash), "record a failed reminder")
	if err == errConditionFailed {
		return nil
	}
	return err
}

// stillPending is the condition of delivery records: the invitation of this
// token, whose outcome is not recorded yet.
func stillPending(tokenHash string) expression.ConditionBuilder {
	return expression.Name("invitation.tokenHash").Equal(expression.Value(tokenHash)).
		And(expression.Name("invitation.delivery").Equal(expression.Value(domain.DeliveryPending)))
}

// Memberships reads every membership of an identity, and its operator
// record if it has one, with one strongly consistent Query: a change
// committed a moment ago is seen by the very next request.
func (s *Store) Memberships(ctx context.Context, sub string) ([]domain.Member, error) {
	kc := expression.Key(AttrPK).Equal(expression.Value(identityPK(sub)))
	var out []domain.Member
	each := appendAs(&out, func(it *identityItem) domain.Member { return it.Member })
	if err := s.queryAll(ctx, kc, "read memberships", func(item map[string]types.AttributeValue) error {
		return errs.Wrap("store: decode a membership", each(item))
	}); err != nil {
		return nil, err
	}
	return out, nil
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return err != nil && errors.As(err, &ccf)
}
