// Package api holds the handlers of every operation. The Lambda functions
// and the local gateway run exactly this code.
package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/cursor"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/mail"
	"github.com/portalaccess/portalaccess/shared/store"
)

// Deps are what the handlers use. A function builds only the clients its
// operation needs; the others stay nil.
type Deps struct {
	Config   config.Config
	Store    *store.Store
	Identity identity.Provider
	Mail     mail.Sender
	Cursors  *cursor.Codec
	Log      *slog.Logger
	// Now is the clock; tests replace it.
	Now func() time.Time
}

func (d *Deps) now() time.Time {
	if d.Now != nil {
		return d.Now().UTC()
	}
	return time.Now().UTC()
}

// Operation builds the endpoint of one operation.
type Operation func(d *Deps) httpapi.Endpoint

// Handler builds the wrapped handler of an operation, as a function runs it.
func Handler(name string, op Operation, d *Deps) httpapi.Handler {
	return httpapi.Wrap(name, op(d), d.Log)
}

type authedEndpoint func(ctx context.Context, r *httpapi.Request, c *Caller) (*httpapi.Response, error)

// authed resolves the caller before the endpoint runs.
func (d *Deps) authed(ep authedEndpoint) httpapi.Endpoint {
	return func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
		c, err := d.authenticate(ctx, r)
		if err != nil {
			return nil, err
		}
		r.LogAttrs("caller", c.Sub)
		return ep(ctx, r, c)
	}
}
