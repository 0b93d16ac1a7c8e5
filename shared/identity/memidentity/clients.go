package memidentity

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/portalaccess/portalaccess/shared/identity"
)

var _ identity.Clients = (*Pool)(nil)

// checkURLs refuses what Cognito refuses of an app client's URLs: one of
// more than 1,024 characters.
func checkURLs(spec identity.ClientSpec) error {
	for _, u := range append(slices.Clone(spec.CallbackURLs), spec.LogoutURLs...) {
		if len(u) > 1024 {
			return fmt.Errorf("memidentity: InvalidParameterException: a URL of %d characters", len(u))
		}
	}
	return nil
}

// CreateClient makes an app client; names need not be unique, as in Cognito.
func (p *Pool) CreateClient(ctx context.Context, spec identity.ClientSpec) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.call("CreateClient", spec.Name); err != nil {
		return "", err
	}
	if err := checkURLs(spec); err != nil {
		return "", err
	}
	if p.clients == nil {
		p.clients = map[string]identity.ClientSpec{}
	}
	p.nextClient++
	id := fmt.Sprintf("client%04d", p.nextClient)
	p.clients[id] = clone(spec)
	return id, nil
}

// UpdateClient changes an app client.
func (p *Pool) UpdateClient(ctx context.Context, clientID string, spec identity.ClientSpec) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.call("UpdateClient", clientID); err != nil {
		return err
	}
	if _, ok := p.clients[clientID]; !ok {
		return identity.ErrNotFound
	}
	if err := checkURLs(spec); err != nil {
		return err
	}
	p.clients[clientID] = clone(spec)
	return nil
}

// DeleteClient removes an app client; one that is gone is no error.
func (p *Pool) DeleteClient(ctx context.Context, clientID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.call("DeleteClient", clientID); err != nil {
		return err
	}
	delete(p.clients, clientID)
	return nil
}

// FindClient finds the first app client of that name.
func (p *Pool) FindClient(ctx context.Context, name string) (string, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.call("FindClient", name); err != nil {
		return "", false, err
	}
	for _, id := range p.clientIDs() {
		if p.clients[id].Name == name {
			return id, true, nil
		}
	}
	return "", false, nil
}

// Client is an app client as the pool holds it.
func (p *Pool) Client(clientID string) (identity.ClientSpec, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.clients[clientID]
	return clone(c), ok
}

// ClientIDs lists the pool's app clients, in the order they were made.
func (p *Pool) ClientIDs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.clientIDs()
}

func (p *Pool) clientIDs() []string {
	ids := make([]string, 0, len(p.clients))
	for id := range p.clients {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func clone(c identity.ClientSpec) identity.ClientSpec {
	c.CallbackURLs, c.LogoutURLs = slices.Clone(c.CallbackURLs), slices.Clone(c.LogoutURLs)
	c.ReadAttributes, c.WriteAttributes = slices.Clone(c.ReadAttributes), slices.Clone(c.WriteAttributes)
	return c
}
