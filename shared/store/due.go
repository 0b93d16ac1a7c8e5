package store

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/state"
)

// DueBy reads one page of the work of a kind that is due at now, oldest
// first. It reads only what is due: the sparse due index holds nothing else.
func (s *Store) DueBy(ctx context.Context, kind state.DueKind, now time.Time, limit int32, start state.PageKey) (state.Page[state.Due], error) {
	kc := expression.Key("duePk").Equal(expression.Value(string(kind))).
		And(expression.Key("dueSk").LessThanEqual(expression.Value(dueSK(now))))
	var out state.Page[state.Due]
	next, err := s.queryIndex(ctx, IndexDue, kc, limit, start, func(item map[string]types.AttributeValue) error {
		pk, _ := stringAttr(item, AttrPK)
		sk, _ := stringAttr(item, AttrSK)
		d := state.Due{}
		if sub, ok := strings.CutPrefix(pk, "SYNC#"); ok {
			d.Sub = sub
			d.Marker, _ = stringAttr(item, "marker")
		} else if email, ok := strings.CutPrefix(pk, "PID#"); ok {
			d.Email, d.Marker = email, sk
		} else if strings.HasPrefix(pk, "PSYNC#") {
			marker, _ := stringAttr(item, "marker")
			if d, ok = dueOfPortalSync(pk, sk, marker); !ok {
				return nil
			}
		} else if j, ok := jobOfDue(pk); ok {
			d = j
		} else if sc, ok := scopeFromKey(pk); ok && strings.HasPrefix(sk, skImportPre) {
			d.Scope, d.ImportID = sc, strings.TrimPrefix(sk, skImportPre)
		} else if sc, ok := scopeFromKey(pk); ok {
			d.Scope, d.MemberID = sc, strings.TrimPrefix(strings.TrimPrefix(sk, skMemberPre), skAccessPre)
		} else {
			return nil
		}
		out.Items = append(out.Items, d)
		return nil
	})
	out.Next = next
	return out, err
}
