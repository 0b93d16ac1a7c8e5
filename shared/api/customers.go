package api

import (
	"context"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

// Health answers that the API is up (httpapi.Health, which its function
// runs without linking anything of the rest).
func Health(d *Deps) httpapi.Endpoint { return httpapi.Health }

type createCustomerInput struct {
	Name   *string `json:"name"`
	Locale *string `json:"locale"`
}

// CreateCustomer: operator admins create customers.
func CreateCustomer(d *Deps) httpapi.Endpoint {
	return d.authed(func(ctx context.Context, r *httpapi.Request, c *Caller) (*httpapi.Response, error) {
		if err := c.requireOperatorAdmin(); err != nil {
			return nil, err
		}
		var in createCustomerInput
		if err := r.Decode(&in); err != nil {
			return nil, err
		}
		var fields []apperr.FieldError
		name := cleanName("name", in.Name, true, &fields)
		locale := domain.LocaleEN
		if in.Locale != nil {
			locale = *in.Locale
			if !domain.ValidLocale(locale) {
				fields = append(fields, apperr.Field("locale", "invalid_locale", `locale must be "en" or "nl".`))
			}
		}
		if len(fields) > 0 {
			return nil, apperr.Fields(fields...)
		}
		key, err := d.idempotencyKey(ctx, r, c, "create-customer")
		if err != nil {
			return nil, err
		}
		if ref := key.priorRef(); ref != "" {
			return d.replayCustomer(ctx, ref)
		}
		now := d.now()
		cu := domain.Customer{ID: domain.NewID(domain.PrefixCustomer), Name: name, Locale: locale, CreatedAt: now, UpdatedAt: now}
		ev := newEvent(now, c.actorIn(domain.ProviderScope), domain.ActionCustomerCreated,
			domain.Target{Kind: "customer", ID: cu.ID}, domain.CustomerScope(cu.ID))
		if err := d.Store.CreateCustomer(ctx, cu, ev, key.writes(cu.ID, d)); err != nil {
			ref, err := d.lostRace(ctx, key, err)
			if err != nil {
				return nil, err
			}
			return d.replayCustomer(ctx, ref)
		}
		return httpapi.Created("/v1/customers/"+cu.ID, viewCustomer(&cu)), nil
	})
}

func (d *Deps) replayCustomer(ctx context.Context, id string) (*httpapi.Response, error) {
	cu, err := d.Store.Customer(ctx, id)
	if err != nil {
		return nil, err
	}
	return httpapi.Created("/v1/customers/"+cu.ID, viewCustomer(&cu)), nil
}

// ListCustomers: operators page through every customer, by name.
func ListCustomers(d *Deps) httpapi.Endpoint {
	return d.authed(func(ctx context.Context, r *httpapi.Request, c *Caller) (*httpapi.Response, error) {
		if err := c.requireOperator(); err != nil {
			return nil, err
		}
		q, err := r.Query("limit", "cursor")
		if err != nil {
			return nil, err
		}
		limit, fe := q.Limit(50, 200)
		if fe != nil {
			return nil, apperr.Fields(*fe)
		}
		const binding = "customers"
		start, err := d.Cursors.Decode(binding, q["cursor"])
		if err != nil {
			return nil, err
		}
		items, next, err := d.Store.ListCustomers(ctx, limit, start)
		if err != nil {
			return nil, err
		}
		out := listView[customerView]{Items: make([]customerView, 0, len(items)), NextCursor: d.Cursors.Encode(binding, next)}
		for i := range items {
			out.Items = append(out.Items, viewCustomer(&items[i]))
		}
		return httpapi.OK(out), nil
	})
}

// GetCustomer: operators, and members of the customer.
func GetCustomer(d *Deps) httpapi.Endpoint {
	return d.authed(func(ctx context.Context, r *httpapi.Request, c *Caller) (*httpapi.Response, error) {
		id, err := customerParam(r)
		if err != nil {
			return nil, err
		}
		if err := c.requireCustomerReader(id); err != nil {
			return nil, err
		}
		cu, err := d.Store.Customer(ctx, id)
		if err != nil {
			return nil, err
		}
		return httpapi.OK(viewCustomer(&cu)), nil
	})
}

type createPortalInput struct {
	Name *string `json:"name"`
	URL  *string `json:"url"`
}

// CreatePortal: operator admins add a portal setup to a customer.
func CreatePortal(d *Deps) httpapi.Endpoint {
	return d.authed(func(ctx context.Context, r *httpapi.Request, c *Caller) (*httpapi.Response, error) {
		cid, err := customerParam(r)
		if err != nil {
			return nil, err
		}
		if err := c.requireOperatorAdminIn(cid); err != nil {
			return nil, err
		}
		var in createPortalInput
		if err := r.Decode(&in); err != nil {
			return nil, err
		}
		var fields []apperr.FieldError
		name := cleanName("name", in.Name, true, &fields)
		u, code := domain.CleanURL(deref(in.URL))
		if code != "" {
			fields = append(fields, apperr.Field("url", code, "url must be an absolute http(s) URL without credentials or fragment."))
		}
		if len(fields) > 0 {
			return nil, apperr.Fields(fields...)
		}
		key, err := d.idempotencyKey(ctx, r, c, "create-portal")
		if err != nil {
			return nil, err
		}
		if ref := key.priorRef(); ref != "" {
			return d.replayPortal(ctx, cid, ref)
		}
		now := d.now()
		p := domain.Portal{ID: domain.NewID(domain.PrefixPortal), CustomerID: cid, Name: name, URL: u, CreatedAt: now}
		sc := domain.CustomerScope(cid)
		ev := newEvent(now, c.actorIn(sc), domain.ActionPortalCreated, domain.Target{Kind: "portal", ID: p.ID}, sc)
		if err := d.Store.CreatePortal(ctx, p, ev, key.writes(p.ID, d)); err != nil {
			ref, err := d.lostRace(ctx, key, err)
			if err != nil {
				return nil, err
			}
			return d.replayPortal(ctx, cid, ref)
		}
		return httpapi.Created("/v1/customers/"+cid+"/portals/"+p.ID, viewPortal(&p)), nil
	})
}

func (d *Deps) replayPortal(ctx context.Context, cid, id string) (*httpapi.Response, error) {
	_, portals, err := d.Store.CustomerWithPortals(ctx, cid)
	if err != nil {
		return nil, err
	}
	for i := range portals {
		if portals[i].ID == id {
			return httpapi.Created("/v1/customers/"+cid+"/portals/"+id, viewPortal(&portals[i])), nil
		}
	}
	return nil, apperr.ErrNotFound
}

// ListPortals: operators, and the customer's portal admins.
func ListPortals(d *Deps) httpapi.Endpoint {
	return d.authed(func(ctx context.Context, r *httpapi.Request, c *Caller) (*httpapi.Response, error) {
		cid, err := customerParam(r)
		if err != nil {
			return nil, err
		}
		if err := c.requireUserManager(cid); err != nil {
			return nil, err
		}
		_, portals, err := d.Store.CustomerWithPortals(ctx, cid)
		if err != nil {
			return nil, err
		}
		items := make([]portalView, 0, len(portals))
		for i := range portals {
			items = append(items, viewPortal(&portals[i]))
		}
		return httpapi.OK(map[string]any{"items": items}), nil
	})
}

// cleanName validates a name field (1 to 100 characters, no control
// characters): absent is fine unless required.
func cleanName(field string, p *string, required bool, fields *[]apperr.FieldError) string {
	if p == nil && !required {
		return ""
	}
	name, code := domain.CleanName(deref(p))
	switch code {
	case "":
	case "link_not_allowed":
		*fields = append(*fields, apperr.Field(field, code, field+" must not hold a web address or anything that reads as one: it may appear in e-mails."))
	default:
		*fields = append(*fields, apperr.Field(field, code, field+" must be 1 to 100 characters."))
	}
	return name
}

// customerParam reads {customerId}; an id of the wrong shape names no
// customer, so it is a 404 without a read.
func customerParam(r *httpapi.Request) (string, error) {
	id := r.Path("customerId")
	if !domain.ValidID(domain.PrefixCustomer, id) {
		return "", apperr.ErrNotFound
	}
	r.LogAttrs("customer", id)
	return id, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
