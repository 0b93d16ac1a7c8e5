package api

import (
	"context"
	"sync"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

// both runs two independent calls at once and returns their errors.
func both(f, g func() error) (error, error) {
	var ef, eg error
	var wg sync.WaitGroup
	wg.Go(func() { ef = f() })
	eg = g()
	wg.Wait()
	return ef, eg
}

// authedInScope resolves the caller and reads the customer (with its portal
// setups) at the same time: neither needs the other. A refusal to
// authenticate or authorise is still what the client hears first.
func (d *Deps) authedInScope(allow func(c *Caller, customerID string) error,
	ep func(ctx context.Context, r *httpapi.Request, c *Caller, sx scopeContext) (*httpapi.Response, error)) httpapi.Endpoint {
	return func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
		cid, err := customerParam(r)
		if err != nil {
			return nil, err
		}
		var c *Caller
		var sx scopeContext
		authErr, scopeErr := both(func() error {
			var err error
			c, err = d.authenticate(ctx, r)
			return err
		}, func() error {
			var err error
			sx, err = d.loadScope(ctx, domain.CustomerScope(cid))
			return err
		})
		if authErr != nil {
			return nil, authErr
		}
		r.LogAttrs("caller", c.Sub)
		if err := allow(c, cid); err != nil {
			return nil, err
		}
		if scopeErr != nil {
			return nil, scopeErr
		}
		return ep(ctx, r, c, sx)
	}
}
