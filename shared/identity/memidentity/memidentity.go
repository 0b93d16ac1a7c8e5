// Package memidentity is an in-memory sign-in system for the fast test
// tier: identities by e-mail with a password and an enabled flag, as the
// Cognito adapter keeps them, with a hook to make a call fail.
package memidentity

import (
	"context"
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

var _ identity.Provider = (*Pool)(nil)

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
