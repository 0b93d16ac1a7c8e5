package storetest

import (
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// An operator's enrolment (and a pending reset) is part of the member and
// of its identity's copy, which every request reads: set, it is seen by
// the very next read; cleared, it is gone from both.
func testMFAEnrolment(t *testing.T, w *world) {
	m := w.create(w.enabled(domain.ProviderScope, "op-mfa@provider.example", false))
	if ms := w.memberships(m.Sub); len(ms) != 1 || ms[0].MFAEnrolledAt != nil || ms[0].MFAResetPending {
		t.Fatalf("a new operator's membership: %+v", ms)
	}
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	enrolled := w.change(state.MemberChange{Before: m, After: next(m, func(a *domain.Member) { a.MFAEnrolledAt = &at })})
	ms := w.memberships(m.Sub)
	if len(ms) != 1 || ms[0].MFAEnrolledAt == nil || !ms[0].MFAEnrolledAt.Equal(at) {
		t.Fatalf("the membership after enrolling: %+v", ms)
	}
	if got := w.member(domain.ProviderScope, m.ID); got.MFAEnrolledAt == nil || !got.MFAEnrolledAt.Equal(at) {
		t.Fatalf("the member after enrolling: %+v", got)
	}
	reset := w.change(state.MemberChange{Before: enrolled, After: next(enrolled, func(a *domain.Member) {
		a.MFAEnrolledAt, a.MFAResetPending = nil, true
	})})
	ms = w.memberships(m.Sub)
	if len(ms) != 1 || ms[0].MFAEnrolledAt != nil || !ms[0].MFAResetPending {
		t.Fatalf("the membership after a reset: %+v", ms)
	}
	w.change(state.MemberChange{Before: reset, After: next(reset, func(a *domain.Member) { a.MFAResetPending = false })})
	if got := w.member(domain.ProviderScope, m.ID); got.MFAEnrolledAt != nil || got.MFAResetPending {
		t.Fatalf("the member after the reset is done: %+v", got)
	}
}
