package store

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
)

// DueKind is a partition of the due index.
type DueKind string

const (
	DueReminder DueKind = dueRemind // pending invitations whose reminder is due
	DueExpiry   DueKind = dueExpire // pending invitations that have expired
	DueIdentity DueKind = dueSync   // identities to bring in line with Cognito
	// DuePending are accepts that began to create an identity and did not
	// finish: the identity they may have left has no membership.
	DuePending DueKind = duePend
)

// Due is one item of the due index.
type Due struct {
	// Scope and MemberID name a member (reminders, expiries).
	Scope    domain.Scope
	MemberID string
	// Sub and Marker name an identity marker.
	Sub    string
	Marker string
	// Email names a pending identity (Marker is then the accept's claim).
	Email string
}

// DueBy reads one page of the items of a kind that are due at now, oldest
// first. It reads only what is due: the index holds nothing else.
func (s *Store) DueBy(ctx context.Context, kind DueKind, now time.Time, limit int32, start Key) ([]Due, Key, error) {
	kc := expression.Key("duePk").Equal(expression.Value(string(kind))).
		And(expression.Key("dueSk").LessThanEqual(expression.Value(dueSK(now))))
	var out []Due
	next, err := s.queryIndex(ctx, IndexDue, kc, limit, start, func(item map[string]types.AttributeValue) error {
		pk := item[AttrPK].(*types.AttributeValueMemberS).Value
		sk := item[AttrSK].(*types.AttributeValueMemberS).Value
		d := Due{}
		if sub, ok := strings.CutPrefix(pk, "SYNC#"); ok {
			d.Sub = sub
			if m, ok := item["marker"].(*types.AttributeValueMemberS); ok {
				d.Marker = m.Value
			}
		} else if email, ok := strings.CutPrefix(pk, "PID#"); ok {
			d.Email, d.Marker = email, sk
		} else if sc, ok := scopeFromKey(pk); ok {
			d.Scope, d.MemberID = sc, strings.TrimPrefix(sk, skMemberPre)
		} else {
			return nil
		}
		out = append(out, d)
		return nil
	})
	return out, next, err
}
