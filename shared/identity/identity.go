// Package identity is the port to the sign-in system (Cognito). It holds
// identities only: e-mail, password, enabled flag. Who may do what lives in
// the table.
package identity

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/portalaccess/portalaccess/shared/errs"
)

// Errors a Provider answers with; compare with errors.Is.
var (
	// ErrNotFound: no identity has this sub or e-mail.
	ErrNotFound = errs.New(errs.NotExist, "identity_not_found")
	// ErrExists: an identity signs in with the e-mail already.
	ErrExists = errs.New(errs.Exist, "identity_exists")
	// ErrWeakPassword: the password does not meet the policy.
	ErrWeakPassword = &errs.Error{Kind: errs.Invalid, Reason: "password_policy", Fields: []errs.Field{{Name: "password", Reason: "password_policy"}}}
	// ErrMFANotSetUp: the identity has no verified authenticator app.
	ErrMFANotSetUp = errs.New(errs.Conflict, "mfa_not_set_up")
	// ErrUnavailable: the sign-in system is throttled or unreachable for now.
	ErrUnavailable = errs.New(errs.Transient, "unavailable")
)

// Identity is a sign-in identity. Sub is its stable id, the token's "sub".
type Identity struct {
	Sub     string
	Email   string
	Enabled bool
}

// Provider is what the product asks of the sign-in system.
type Provider interface {
	// Lookup finds the identity that signs in with the e-mail.
	Lookup(ctx context.Context, email string) (Identity, bool, error)
	// Create makes an identity that signs in with the e-mail and password,
	// sending no message of its own. ErrWeakPassword when the policy refuses
	// it, ErrExists when the e-mail has one.
	Create(ctx context.Context, email, password string) (Identity, error)
	// SetPassword replaces the password of an identity.
	SetPassword(ctx context.Context, sub, password string) error
	Enable(ctx context.Context, sub string) error
	// Disable stops the identity from signing in and revokes its sessions.
	Disable(ctx context.Context, sub string) error
	// Delete removes the identity; deleting one that is gone is no error.
	Delete(ctx context.Context, sub string) error
}

// PasswordPolicy is the user pool's policy, one value read both by the CDK
// stack (which sets it on the pool) and by the accept handler (which checks
// it first, so that the answer names the field before anything is created).
// It follows ASVS 5.0 6.2: length, not composition rules.
type PasswordPolicy struct {
	MinLength int
	MaxLength int
}

// Policy is the product's password policy. Cognito's maximum is 256.
var Policy = PasswordPolicy{MinLength: 12, MaxLength: 256}

// Check returns ErrWeakPassword when the password does not meet the policy,
// or is one Cognito's pattern for passwords (^[\S]+.*[\S]+$, Java's regular
// expressions) refuses: it starts or ends with white space, or holds a line
// break. Cognito refuses those as a bad parameter, not as a weak password.
func (p PasswordPolicy) Check(password string) error {
	n := utf8.RuneCountInString(password)
	if !utf8.ValidString(password) || n < p.MinLength || n > p.MaxLength {
		return ErrWeakPassword
	}
	if javaSpace(password[0]) || javaSpace(password[len(password)-1]) || strings.ContainsAny(password, "\n\r\u0085\u2028\u2029") {
		return ErrWeakPassword
	}
	return nil
}

// javaSpace: the white space Java's \s means (and \S does not match).
func javaSpace(b byte) bool { return strings.IndexByte(" \t\n\x0b\f\r", b) >= 0 }

// ClientSpec is what an app client of the user pool is to be: a public
// client (no secret) that signs users in with the authorization code flow
// and PKCE and keeps them signed in with refresh tokens.
type ClientSpec struct {
	// Name finds the client again (FindClient): unique per portal setup.
	Name         string
	CallbackURLs []string
	LogoutURLs   []string
	// PasswordAuth also allows USER_PASSWORD_AUTH, for scripts and tests on
	// the local stack; never on AWS.
	PasswordAuth bool
	// ReadAttributes and WriteAttributes are the user attributes a person
	// signed in through the client may read, and change, with their own
	// access token (GetUser, UpdateUserAttributes). Cognito takes an empty
	// list as every standard attribute: see PortalReadAttributes.
	ReadAttributes  []string
	WriteAttributes []string
}

// The attributes a portal's app client reads and writes. The e-mail is the
// membership's key in the table, so no one changes their own in Cognito
// (nor whether it is verified). The product never writes a name to Cognito
// (names live in the table), but Cognito reads an empty WriteAttributes as
// every standard attribute, email included: "name" is the one attribute
// left writable, as for the console's client, and nothing reads it.
var (
	PortalReadAttributes  = []string{"email", "email_verified", "name"}
	PortalWriteAttributes = []string{"name"}
)

// Clients is what the product asks of the sign-in system about app clients.
type Clients interface {
	// CreateClient makes an app client (and its managed login style).
	CreateClient(ctx context.Context, spec ClientSpec) (clientID string, err error)
	// UpdateClient makes an existing app client what spec says.
	UpdateClient(ctx context.Context, clientID string, spec ClientSpec) error
	// DeleteClient removes an app client; one that is gone is no error.
	DeleteClient(ctx context.Context, clientID string) error
	// FindClient finds the app client of that name.
	FindClient(ctx context.Context, name string) (clientID string, found bool, err error)
}

// MFA is what the product asks of the sign-in system about an identity's
// second factor, an authenticator app (TOTP). The user sets the app up
// with their own access token (AssociateSoftwareToken, then
// VerifySoftwareToken); the product only reads what came of it, makes it
// the factor sign-in asks for, and takes it away on a reset.
type MFA interface {
	// TOTP reports whether the identity has a verified authenticator app
	// that sign-in asks for (enabled, in its MFA settings).
	TOTP(ctx context.Context, sub string) (bool, error)
	// PreferTOTP makes the authenticator app the identity's enabled and
	// preferred factor: from then on sign-in asks for its code.
	PreferTOTP(ctx context.Context, sub string) error
	// ResetTOTP turns the authenticator app off and signs the identity out
	// everywhere (its refresh tokens stop working), so that a new app must
	// be set up; resetting one that has none is no error.
	ResetTOTP(ctx context.Context, sub string) error
}
