// Package memidentity is an in-memory sign-in system for the fast test
// tier: identities by e-mail with a password and an enabled flag, as the
// Cognito adapter keeps them, with a hook to make a call fail.
package memidentity

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/identity"
)

// Identity is one identity as the pool holds it.
type Identity struct {
	identity.Identity
	Password  string
	SignedOut int // how many times it was signed out everywhere
	// TOTPVerified: the user set an authenticator app up and verified a
	// code (VerifySoftwareToken); TOTP: it is enabled for sign-in.
	TOTPVerified, TOTP bool
}

// Pool is an in-memory identity.Provider.
type Pool struct {
	mu    sync.Mutex
	bySub map[string]*Identity
	// Fail, when set, is asked before each call ("Create", "Delete"…) and
	// fails it with the error it returns.
	Fail func(op string) error
	// Calls lists every call made, e.g. "Disable sub-1".
	Calls []string

	clients    map[string]identity.ClientSpec
	nextClient int
}

var (
	_ identity.Provider = (*Pool)(nil)
	_ identity.MFA      = (*Pool)(nil)
)

// FailOn is a Fail that fails every call of op with err, and no other.
func FailOn(op string, err error) func(string) error {
	return func(o string) error {
		if o == op {
			return err
		}
		return nil
	}
}

// New makes an empty pool.
func New() *Pool { return &Pool{bySub: map[string]*Identity{}} }

func (p *Pool) call(op, arg string) error {
	p.Calls = append(p.Calls, op+" "+arg)
	if p.Fail != nil {
		return p.Fail(op)
	}
	return nil
}

func (p *Pool) byEmail(email string) *Identity {
	for _, id := range p.bySub {
		if strings.EqualFold(id.Email, email) {
			return id
		}
	}
	return nil
}

func (p *Pool) Lookup(ctx context.Context, email string) (identity.Identity, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.call("Lookup", email); err != nil {
		return identity.Identity{}, false, err
	}
	if id := p.byEmail(email); id != nil {
		return id.Identity, true, nil
	}
	return identity.Identity{}, false, nil
}

func (p *Pool) Create(ctx context.Context, email, password string) (identity.Identity, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.call("Create", email); err != nil {
		return identity.Identity{}, err
	}
	if p.byEmail(email) != nil {
		return identity.Identity{}, identity.ErrExists
	}
	if err := identity.Policy.Check(password); err != nil {
		return identity.Identity{}, err
	}
	id := &Identity{Identity: identity.Identity{Sub: domain.NewID("sub"), Email: email, Enabled: true}, Password: password}
	p.bySub[id.Sub] = id
	return id.Identity, nil
}

func (p *Pool) withSub(op, sub string, f func(*Identity)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.call(op, sub); err != nil {
		return err
	}
	id, ok := p.bySub[sub]
	if !ok {
		return identity.ErrNotFound
	}
	f(id)
	return nil
}

func (p *Pool) SetPassword(ctx context.Context, sub, password string) error {
	if err := identity.Policy.Check(password); err != nil {
		return err
	}
	return p.withSub("SetPassword", sub, func(id *Identity) { id.Password = password })
}

func (p *Pool) Enable(ctx context.Context, sub string) error {
	return p.withSub("Enable", sub, func(id *Identity) { id.Enabled = true })
}

func (p *Pool) Disable(ctx context.Context, sub string) error {
	return p.withSub("Disable", sub, func(id *Identity) { id.Enabled = false; id.SignedOut++ })
}

// Delete removes an identity; deleting one that is gone is no error.
func (p *Pool) Delete(ctx context.Context, sub string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.call("Delete", sub); err != nil {
		return err
	}
	delete(p.bySub, sub)
	return nil
}

// Get returns a copy of the identity of an e-mail.
func (p *Pool) Get(email string) (Identity, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if id := p.byEmail(email); id != nil {
		return *id, true
	}
	return Identity{}, false
}

// SignIn reports whether the e-mail signs in with the password: the
// identity exists, is enabled, and the password is its own.
func (p *Pool) SignIn(email, password string) bool {
	id, ok := p.Get(email)
	return ok && id.Enabled && id.Password == password
}

// All returns a copy of every identity.
func (p *Pool) All() []Identity {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Identity, 0, len(p.bySub))
	for _, id := range p.bySub {
		out = append(out, *id)
	}
	return out
}

// SetUpTOTP is what the user does with their own token: associate an
// authenticator app and verify a code (enabled says whether they also
// turned it on, as VerifySoftwareToken leaves it on Cognito for a user
// with no other factor).
func (p *Pool) SetUpTOTP(email string, enabled bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if id := p.byEmail(email); id != nil {
		id.TOTPVerified, id.TOTP = true, enabled
	}
}

// SwitchOffTOTP is the user turning the app off with their own token
// (SetUserMFAPreference).
func (p *Pool) SwitchOffTOTP(email string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if id := p.byEmail(email); id != nil {
		id.TOTP = false
	}
}

func (p *Pool) TOTP(ctx context.Context, sub string) (bool, error) {
	var on bool
	err := p.withSub("TOTP", sub, func(id *Identity) { on = id.TOTP })
	return on, err
}

// PreferTOTP fails as Cognito does when no app was verified.
func (p *Pool) PreferTOTP(ctx context.Context, sub string) error {
	var verified bool
	if err := p.withSub("PreferTOTP", sub, func(id *Identity) {
		if verified = id.TOTPVerified; verified {
			id.TOTP = true
		}
	}); err != nil {
		return err
	}
	if !verified {
		return identity.ErrMFANotSetUp
	}
	return nil
}

// ResetTOTP turns the app off and signs out; as on Cognito, which has no
// call to remove a user's app, the verified one stays associated until the
// user associates a new one.
func (p *Pool) ResetTOTP(ctx context.Context, sub string) error {
	err := p.withSub("ResetTOTP", sub, func(id *Identity) { id.TOTP = false; id.SignedOut++ })
	if errors.Is(err, identity.ErrNotFound) {
		return nil
	}
	return err
}
