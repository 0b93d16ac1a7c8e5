package api

import (
	"context"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/roles"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

// A customer's role catalogue.

type roleView struct {
	ID          string    `json:"id"`
	CustomerID  string    `json:"customerId"`
	Name        string    `json:"name"`
	Description *string   `json:"description"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
	Version     int       `json:"version"`
}

func viewRole(r *domain.Role) roleView {
	return roleView{ID: r.ID, CustomerID: r.CustomerID, Name: r.Name, Description: orNull(r.Description),
		CreatedAt: ts(r.CreatedAt), UpdatedAt: ts(r.UpdatedAt), Version: r.Version}
}

// roleInput is a role as a request writes it; "description" set to "" is
// removed (the API takes no nulls).
type roleInput struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (in roleInput) input() roles.Input {
	return roles.Input{Name: in.Name, Description: in.Description}
}

func rolePath(r *domain.Role) string { return "/v1/customers/" + r.CustomerID + "/roles/" + r.ID }

// ListRoles: GET /v1/customers/{customerId}/roles.
func ListRoles(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireUserManager, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		rs, err := s.Roles.List(ctx, c, cid)
		if err != nil {
			return nil, err
		}
		items := make([]roleView, 0, len(rs))
		for i := range rs {
			items = append(items, viewRole(&rs[i]))
		}
		return httpapi.OK(map[string]any{"items": items}), nil
	})
}

// CreateRole: POST /v1/customers/{customerId}/roles.
func CreateRole(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireUserManager, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		var in roleInput
		key, err := decodeCreate(r, c, "create-role:"+cid, &in)
		if err != nil {
			return nil, err
		}
		ro, err := s.Roles.Create(ctx, c, cid, in.input(), key)
		if err != nil {
			return nil, err
		}
		return httpapi.Created(rolePath(&ro), viewRole(&ro)).WithETag(ro.Version), nil
	})
}

// UpdateRole: PATCH /v1/customers/{customerId}/roles/{roleId}, If-Match honoured.
func UpdateRole(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireUserManager, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		var in roleInput
		want, err := decodeUpdate(r, &in)
		if err != nil {
			return nil, err
		}
		ro, err := s.Roles.Update(ctx, c, cid, r.Path("roleId"), in.input(), want)
		if err != nil {
			return nil, err
		}
		return httpapi.OK(viewRole(&ro)).WithETag(ro.Version), nil
	})
}

// DeleteRole: DELETE /v1/customers/{customerId}/roles/{roleId}, If-Match honoured.
func DeleteRole(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireUserManager, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		want, err := ifMatch(r)
		if err != nil {
			return nil, err
		}
		if err := s.Roles.Delete(ctx, c, cid, r.Path("roleId"), want); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	})
}
