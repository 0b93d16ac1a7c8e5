package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/portalaccess/portalaccess/shared/domain"
)

// The counts of a scope's members by category live on its meta item (the
// customer item, or the provider's meta item, beside enabledAdmins) as
// enabledCount, disabledCount and unconfirmedCount. Every transaction that
// creates or deletes a member or changes its status adds to them in the
// same update as the count of enabled admins (one transaction may name an
// item once), so they are exact whatever runs at once, reading them is one
// GetItem, and a later condition (a seat limit) can compare them with an
// attribute of the same item.

// countAttr is the attribute counting a category.
func countAttr(st domain.Status) string {
	switch st {
	case domain.StatusEnabled:
		return "enabledCount"
	case domain.StatusDisabled:
		return "disabledCount"
	}
	return "unconfirmedCount"
}

// countDelta is what a change of a member adds to its scope's counts: the
// category it leaves (unless its item was never counted) and the one it
// enters.
func countDelta(before, after *domain.Member) map[string]int {
	d := map[string]int{}
	if before != nil && !before.Uncounted {
		d[countAttr(before.Status)]--
	}
	if after != nil {
		d[countAttr(after.Status)]++
	}
	for k, v := range d {
		if v == 0 {
			delete(d, k)
		}
	}
	return d
}

// metaUpdate is the one update of the scope's meta item that a member's
// change makes: the counts of its categories and of enabled admins; ok is
// false when there is nothing to add.
func metaUpdate(admins int, counts map[string]int) (u expression.UpdateBuilder, ok bool) {
	if admins != 0 {
		u = u.Add(expression.Name("enabledAdmins"), expression.Value(admins))
		ok = true
	}
	for _, st := range []domain.Status{domain.StatusEnabled, domain.StatusDisabled, domain.StatusUnconfirmed} {
		if n := counts[countAttr(st)]; n != 0 {
			u = u.Add(expression.Name(countAttr(st)), expression.Value(n))
			ok = true
		}
	}
	return u, ok
}

// countsItem reads the counts off a meta item.
type countsItem struct {
	domain.MemberCounts
}

// MemberCounts reads a scope's counts of members by category: one strongly
// consistent GetItem of its meta item, whatever the number of members.
// Exact is false until a scope older than the counts has been backfilled.
func (s *Store) MemberCounts(ctx context.Context, sc domain.Scope) (domain.MemberCounts, error) {
	pk, sk := metaKey(sc)
	var it countsItem
	if _, err := s.get(ctx, pk, sk, true, &it); err != nil {
		return domain.MemberCounts{}, err
	}
	return it.MemberCounts, nil
}
