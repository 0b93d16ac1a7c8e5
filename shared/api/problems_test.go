package api

import (
	"errors"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/app/invitations"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/cursor"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Each error a client can act on has its status and code, as the contract
// says, raised in any operation; anything else is a 500 that says nothing.
func TestEveryErrorHasItsAnswer(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{access.ErrUnauthenticated, 401, "unauthenticated"},
		{access.ErrForbidden, 403, "forbidden"},
		{state.ErrActorNotAdmin, 403, "forbidden"},
		{access.ErrNotFound, 404, "not_found"},
		{state.ErrNotFound, 404, "not_found"},
		{invitations.ErrInvalid, 410, "invitation_invalid"},
		{state.ErrEmailTaken, 409, "already_member"},
		{state.ErrLastAdmin, 409, "last_admin"},
		{members.ErrNotConfirmed, 409, "invalid_state"},
		{members.ErrNotUnconfirmed, 409, "invalid_state"},
		{state.ErrClaimHeld, 409, "invalid_state"},
		{state.ErrConcurrent, 409, "concurrent_change"},
		{state.ErrStale, 412, "version_mismatch"},
		{idem.ErrKeyReused, 422, "idempotency_key_reused"},
		{members.ErrTooSoon.After(1500 * time.Millisecond), 429, "reinvite_too_soon"},
		{state.ErrRateLimited.After(time.Second), 429, "rate_limited"},
		{state.ErrUnavailable, 503, "unavailable"},
		{identity.ErrUnavailable, 503, "unavailable"},
		{identity.ErrWeakPassword, 400, "invalid_request"},
		{cursor.ErrInvalid, 400, "invalid_request"},
		{members.ErrBulkCount, 400, "invalid_request"},
		{errors.New("dynamodb: arn:aws:secret"), 500, "internal"},
		{errs.Wrap("x", errors.New("boom")), 500, "internal"},
	} {
		for _, err := range []error{tc.err, errs.Wrap("members.Disable", tc.err)} {
			got := translate(err)
			if got.Status != tc.status || got.Code != tc.code {
				t.Errorf("%v: %d %s, want %d %s", err, got.Status, got.Code, tc.status, tc.code)
			}
			if tc.status < 500 && got.Detail == "" && len(got.Fields) == 0 {
				t.Errorf("%v: no text for the client", err)
			}
			for _, f := range got.Fields {
				if f.Message == "" || f.Code == "" {
					t.Errorf("%v: field %+v without its text", err, f)
				}
			}
		}
	}
	if got := translate(members.ErrTooSoon.After(1500 * time.Millisecond)); got.Detail != "An invitation was sent moments ago; wait 2 seconds before sending another." || got.RetryAfter != 1500*time.Millisecond {
		t.Errorf("%q %s", got.Detail, got.RetryAfter)
	}
}
