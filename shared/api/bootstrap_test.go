package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
)

// The deploy-time bootstrap invites the first operator admin once, however
// often CloudFormation runs it.
func TestBootstrapInvitesTheFirstAdminOnce(t *testing.T) {
	s := newTable(t)
	d, _, ml := newDeps(t, s, time.Now)
	id1, err := d.BootstrapAdmin(context.Background(), " Admin@Provider.Example ")
	if err != nil {
		t.Fatal(err)
	}
	id2, err := d.BootstrapAdmin(context.Background(), "admin@provider.example")
	if err != nil || id2 != id1 {
		t.Fatalf("second run: %s %v", id2, err)
	}
	m, err := s.Member(context.Background(), domain.ProviderScope, id1, true)
	if err != nil || m.Role != domain.RoleAdmin || m.Status != domain.StatusUnconfirmed || m.Email != "admin@provider.example" {
		t.Fatalf("%+v %v", m, err)
	}
	if ml.count() != 1 {
		t.Fatalf("%d invitation e-mails, want 1", ml.count())
	}
	// A first send that failed (an unverified SES identity) is sent again by
	// the next run.
	ml.fail = true
	id3, err := d.BootstrapAdmin(context.Background(), "second@provider.example")
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Member(context.Background(), domain.ProviderScope, id3, true); m.Invitation.Delivery != domain.DeliveryFailed {
		t.Fatalf("delivery %s", m.Invitation.Delivery)
	}
	ml.fail = false
	sent := ml.count()
	if _, err := d.BootstrapAdmin(context.Background(), "second@provider.example"); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Member(context.Background(), domain.ProviderScope, id3, true); m.Invitation.Delivery != domain.DeliverySent || ml.count() != sent+1 {
		t.Fatalf("not sent again: %s, %d e-mails", m.Invitation.Delivery, ml.count()-sent)
	}
	if _, err := d.BootstrapAdmin(context.Background(), "not an address"); err == nil {
		t.Fatal("a bad adminEmail was accepted")
	}
}
