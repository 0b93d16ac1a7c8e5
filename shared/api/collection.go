package api

import (
	"context"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

// collection is the HTTP side of one of a customer's collections: its
// roles, addresses, service agreements and webhooks. Their list, get,
// create, update and delete routes decode, check the caller and answer
// alike; what differs is the use case each calls, the wire input W (which
// makes the use case's input I) and the view V of an item T.
type collection[T any, W interface{ input() I }, I any, V any] struct {
	s      *Services
	policy func(*access.Caller, string) error
	// kind names a create's idempotency scope: "create-" + kind + ":" + the
	// customer's id.
	kind string
	// param is the path parameter that names one item: "roleId".
	param   string
	path    func(*T) string
	view    func(*T) V
	version func(*T) int
}

type customerEndpoint = func(ctx context.Context, r *httpapi.Request, c *access.Caller, customerID string) (*httpapi.Response, error)

func (k collection[T, W, I, V]) route(ep customerEndpoint) httpapi.Endpoint {
	return k.s.inCustomer(k.policy, ep)
}

// list answers the whole collection, {"items": [...]}, in the order the use
// case gives.
func (k collection[T, W, I, V]) list(all func(ctx context.Context, c *access.Caller, customerID string) ([]T, error)) httpapi.Endpoint {
	return k.route(func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		ts, err := all(ctx, c, cid)
		if err != nil {
			return nil, err
		}
		items := make([]V, 0, len(ts))
		for i := range ts {
			items = append(items, k.view(&ts[i]))
		}
		return httpapi.OK(map[string]any{"items": items}), nil
	})
}

// get answers one item, with its version as the ETag.
func (k collection[T, W, I, V]) get(one func(ctx context.Context, c *access.Caller, customerID, id string) (T, error)) httpapi.Endpoint {
	return k.route(func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		t, err := one(ctx, c, cid, r.Path(k.param))
		if err != nil {
			return nil, err
		}
		return httpapi.OK(k.view(&t)).WithETag(k.version(&t)), nil
	})
}

// create decodes the body, honours an Idempotency-Key, and answers 201 with
// the new item's location.
func (k collection[T, W, I, V]) create(add func(ctx context.Context, c *access.Caller, customerID string, in I, key *idem.Key) (T, error)) httpapi.Endpoint {
	return k.route(func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		var in W
		key, err := decodeCreate(r, c, "create-"+k.kind+":"+cid, &in)
		if err != nil {
			return nil, err
		}
		t, err := add(ctx, c, cid, in.input(), key)
		if err != nil {
			return nil, err
		}
		return httpapi.Created(k.path(&t), k.view(&t)).WithETag(k.version(&t)), nil
	})
}

// update decodes a partial body and honours If-Match.
func (k collection[T, W, I, V]) update(change func(ctx context.Context, c *access.Caller, customerID, id string, in I, want int) (T, error)) httpapi.Endpoint {
	return k.route(func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		var in W
		want, err := decodeUpdate(r, &in)
		if err != nil {
			return nil, err
		}
		t, err := change(ctx, c, cid, r.Path(k.param), in.input(), want)
		if err != nil {
			return nil, err
		}
		return httpapi.OK(k.view(&t)).WithETag(k.version(&t)), nil
	})
}

// delete honours If-Match and answers 204.
func (k collection[T, W, I, V]) delete(remove func(ctx context.Context, c *access.Caller, customerID, id string, want int) error) httpapi.Endpoint {
	return k.route(func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		want, err := ifMatch(r)
		if err != nil {
			return nil, err
		}
		if err := remove(ctx, c, cid, r.Path(k.param), want); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	})
}
