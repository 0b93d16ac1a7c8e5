package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/app/imports"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/app/portals"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/mail"
	"github.com/portalaccess/portalaccess/shared/state"
)

// clientAnswer is how the API answers one of the product's errors: a status, the
// client's code and a text (which may say how long to wait).
type clientAnswer struct {
	err    *errs.Error
	status int
	code   string
	text   func(wait time.Duration) string
}

func say(s string) func(time.Duration) string { return func(time.Duration) string { return s } }

func waitSeconds(format string) func(time.Duration) string {
	return func(wait time.Duration) string { return fmt.Sprintf(format, int(wait.Seconds()+0.999)) }
}

// answers are the errors a client can act on, most specific first.
var answers = []clientAnswer{
	{access.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated", say("A valid access token of an enabled user is required.")},
	{access.ErrForbidden, http.StatusForbidden, "forbidden", say("You are not allowed to do this.")},
	{access.ErrMFARequired, http.StatusForbidden, "mfa_required", say("Set up an authenticator app first: operators sign in with a second factor.")},
	{identity.ErrMFANotSetUp, http.StatusConflict, "mfa_not_set_up", say("No verified authenticator app was found: set one up and enter its code first.")},
	{portals.ErrNoPortalAccess, http.StatusForbidden, "no_portal_access", say("This person may not enter this portal: they are not linked to it.")},
	{state.ErrActorNotAdmin, http.StatusForbidden, "forbidden", say("You are not allowed to do this.")},
	{access.ErrNotFound, http.StatusNotFound, "not_found", say("No such resource.")},
	{state.ErrNotFound, http.StatusNotFound, "not_found", say("No such resource.")},
	{state.ErrTokenInvalid, http.StatusGone, "invitation_invalid", say("This invitation link is no longer valid. Ask for a new invitation.")},
	{state.ErrEmailTaken, http.StatusConflict, "already_member", say("A user with this e-mail address already exists here.")},
	{state.ErrLastAdmin, http.StatusConflict, "last_admin", say("This would leave the customer without an enabled admin.")},
	{members.ErrNotConfirmed, http.StatusConflict, "invalid_state", say("An unconfirmed user has not accepted the invitation yet: re-invite or delete them.")},
	{members.ErrNotUnconfirmed, http.StatusConflict, "invalid_state", say("Only unconfirmed users can be re-invited.")},
	{members.ErrUndeliverable, http.StatusConflict, "undeliverable", say("Invitations to this address bounced or were marked as spam; delete the user and add them again with the right address.")},
	{state.ErrClaimHeld, http.StatusConflict, "invalid_state", say("The invitation is being accepted right now.")},
	{state.ErrConcurrent, http.StatusConflict, "concurrent_change", say("The resource was changed at the same time; try again.")},
	{state.ErrRoleNameTaken, http.StatusConflict, "role_exists", say("The customer has a role of this name already.")},
	{state.ErrSeatLimit, http.StatusConflict, "seat_limit", say("The customer has as many enabled and unconfirmed members as its seat limit allows: disable or delete one first.")},
	{members.ErrOwnAccess, http.StatusForbidden, "own_access", say("Nobody gives their own membership more access: another admin must make this change.")},
	{members.ErrAccessEnded, http.StatusConflict, "access_ended", say("This member's access has ended: extend or clear accessUntil first.")},
	{imports.ErrNotFinished, http.StatusConflict, "import_running", say("The import is still running: its outcomes can be read once every row has one.")},
	{state.ErrLimit, http.StatusConflict, "limit_reached", say("The customer has as many of these as it may have: remove one first.")},
	{state.ErrIdempotencyRace, http.StatusConflict, "concurrent_change", say("A request with the same Idempotency-Key was processed at the same time.")},
	{state.ErrStale, http.StatusPreconditionFailed, "version_mismatch", say("The resource has changed since you read it (If-Match does not match).")},
	{idem.ErrKeyReused, http.StatusUnprocessableEntity, "idempotency_key_reused", say("This Idempotency-Key was used with a different request in the last 24 hours.")},
	{members.ErrTooSoon, http.StatusTooManyRequests, "reinvite_too_soon", waitSeconds("An invitation was sent moments ago; wait %d seconds before sending another.")},
	{state.ErrRateLimited, http.StatusTooManyRequests, "rate_limited", waitSeconds("Too many requests; try again in %d seconds.")},
	{state.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", say("")},
	{identity.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", say("")},
	{mail.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", say("")},
}

// byKind answers the errors no sentinel above names.
var byKind = map[errs.Kind]struct {
	status int
	code   string
}{
	errs.Invalid:         {http.StatusBadRequest, "invalid_request"},
	errs.Unauthenticated: {http.StatusUnauthorized, "unauthenticated"},
	errs.Permission:      {http.StatusForbidden, "forbidden"},
	errs.NotExist:        {http.StatusNotFound, "not_found"},
	errs.Exist:           {http.StatusConflict, "conflict"},
	errs.Conflict:        {http.StatusConflict, "conflict"},
	errs.Stale:           {http.StatusPreconditionFailed, "version_mismatch"},
	errs.Exhausted:       {http.StatusTooManyRequests, "rate_limited"},
	errs.Transient:       {http.StatusServiceUnavailable, "unavailable"},
}

// translate turns the product's errors into answers; anything else is a
// fault of ours (500), its cause logged, never sent.
func translate(err error) *httpapi.Error {
	e := errs.As(err)
	if e == nil {
		return &httpapi.Error{Status: http.StatusInternalServerError, Code: "internal", Err: err}
	}
	if len(e.Fields) > 0 {
		fields := make([]httpapi.FieldProblem, len(e.Fields))
		for i, f := range e.Fields {
			fields[i] = httpapi.Field(f.Name, f.Reason, fieldText(f))
		}
		out := httpapi.Invalid(fields...)
		out.Err = err
		if e.Reason == members.ErrDomainNotAllowed.Reason {
			out.Code, out.Detail = e.Reason, "The customer does not allow new members with this e-mail domain."
		}
		if e.Reason == members.ErrSelfInvite.Reason {
			out.Code, out.Detail = e.Reason, "You cannot invite your own e-mail address into a customer."
		}
		return out
	}
	for _, a := range answers {
		if errors.Is(err, a.err) {
			return &httpapi.Error{Status: a.status, Code: a.code, Detail: a.text(e.RetryAfter), RetryAfter: e.RetryAfter, Err: err}
		}
	}
	if k, ok := byKind[e.Kind]; ok {
		return &httpapi.Error{Status: k.status, Code: k.code, RetryAfter: e.RetryAfter, Err: err}
	}
	return &httpapi.Error{Status: http.StatusInternalServerError, Code: "internal", Err: err}
}

// fieldTexts say what a field must be, by its name (without an index) and,
// where one field has several rules, its reason.
var fieldTexts = map[string]string{
	"email":                    "email must be one valid e-mail address.",
	"adminEmail":               "adminEmail must be one valid e-mail address.",
	"name":                     "name must be 1 to 100 characters.",
	"name link_not_allowed":    "name must not hold a web address or anything that reads as one: it may appear in e-mails.",
	"roles":                    `roles is "all" or holds at most 100 names of the customer's roles.`,
	"roles unknown_role":       "The customer's role catalogue has no role of this name.",
	"name semicolon":           `A role's name must not hold ";": it separates the roles of an import's roles column.`,
	"portalIds":                "portalIds holds at most 50 ids.",
	"portalIds unknown_portal": "No portal setup of this customer has this id.",
	"role":                     `role must be "admin" or "technician".`,
	"locale":                   `locale must be "en" or "nl".`,
	"url":                      "url must be an absolute http(s) URL without credentials or fragment.",
	"emails":                   "emails must hold 1 to 100 addresses.",
	"body":                     "Send at least one field to change.",
	"token":                    "token is required.",
	"password":                 "Choose a password: this e-mail has no account yet.",
	"password password_policy": "The password must be 12 to 256 characters long.",
	"cursor":                   "The cursor is not one this listing gave out.",
	// The organization profile.
	"kind":                `kind must be "actual", "legal" or "shipping".`,
	"label":               "label must be at most 64 characters.",
	"lines":               "lines holds 1 to 4 lines of 1 to 100 characters.",
	"postalCode":          "postalCode must be 1 to 16 letters, digits, spaces or hyphens.",
	"city":                "city must be 1 to 100 characters.",
	"region":              "region must be at most 100 characters.",
	"country":             "country must be an ISO 3166-1 alpha-2 code, e.g. NL.",
	"reference":           "reference must be 1 to 64 characters.",
	"startsOn":            "startsOn must be a date, e.g. 2026-01-31.",
	"endsOn":              "endsOn must be a date, e.g. 2026-12-31.",
	"endsOn before_start": "endsOn must not be before startsOn.",
	// Access that ends, and the customer's policy.
	"email domain_not_allowed": "The customer allows new members only at the e-mail domains of its policy.",
	"email self_invite":        "This is your own e-mail address: nobody invites themselves into a customer.",
	// Imports.
	"file malformed_csv":        "The file is not CSV in UTF-8 (RFC 4180).",
	"file no_rows":              "The file needs a header row and at least one row.",
	"file too_many_rows":        "The file may hold at most 10,000 rows.",
	"file email_column_missing": "The header row must name an email column.",
	"file unknown_column":       "Columns may be email, name, admin, roles, portalIds and sendInvitation (the field names the column's position, from 0).",
	"file duplicate_column":     "A column is named twice.",
	"accessUntil":               "accessUntil must be a moment in the future (RFC 3339), or null to clear it.",
	"policy":                    "policy.allowedDomains holds at most 50 e-mail domains (e.g. acme.example); policy.invitationLifetimeSeconds is 3600 (1 hour) to 2592000 (30 days); policy.seatLimit is 1 to 100000.",
}

func fieldText(f errs.Field) string {
	base, _, _ := strings.Cut(f.Name, ".")
	if t, ok := fieldTexts[base+" "+f.Reason]; ok {
		return t
	}
	if t, ok := fieldTexts[base]; ok {
		return t
	}
	return "The field is not valid (" + f.Reason + ")."
}
