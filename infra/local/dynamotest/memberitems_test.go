package dynamotest

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// The benchmarks load a backlog with the items CreateMember writes, through
// BatchWriteItem: the member they make reads back as the store's own, is
// found by e-mail, and is swept when due.
func TestMemberItemsLoadTheMemberCreateMemberWrites(t *testing.T) {
	now := seedNow
	s := newTable(t)
	cid := customer(t, s, "Batch")
	m := user(cid, "batched@acme.example", domain.StatusUnconfirmed, now.Add(-time.Minute))
	ev := domain.NewEvent(now, domain.SystemActor, domain.Action(m.Kind(), domain.ActionInvited), domain.TargetOf(&m), m.Scope())
	items, err := s.MemberItems(state.NewMember{Member: m, Event: ev})
	if err != nil || len(items) < 3 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	var req []types.WriteRequest
	for _, it := range items {
		req = append(req, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
	}
	out, err := db.BatchWriteItem(t.Context(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{s.Table(): req}})
	if err != nil || len(out.UnprocessedItems) != 0 {
		t.Fatalf("%v %v", out, err)
	}
	got, err := s.Member(t.Context(), m.Scope(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != m.Email || got.Status != m.Status || got.Version != 1 || got.Invitation == nil || got.Invitation.TokenHash != m.Invitation.TokenHash {
		t.Fatalf("read back %+v", got)
	}
	byEmail, err := s.MemberByEmail(t.Context(), m.Scope(), m.Email)
	if err != nil || byEmail.ID != m.ID {
		t.Fatalf("by e-mail: %+v %v", byEmail, err)
	}
	// Creating it again through the store is refused: the e-mail is taken.
	if err := s.CreateMember(t.Context(), state.NewMember{Member: m, Event: ev}); err == nil {
		t.Fatal("a second member with the e-mail was created")
	}
	rep, err := sweeper(s, now).Run(t.Context(), time.Minute)
	if err != nil || rep.Expired != 1 || rep.Failed != 0 {
		t.Fatalf("%+v %v", rep, err)
	}
	after, _ := s.Member(t.Context(), m.Scope(), m.ID)
	if after.Invitation.State != domain.InvitationExpired {
		t.Fatalf("after the sweep: %+v", after.Invitation)
	}
}
