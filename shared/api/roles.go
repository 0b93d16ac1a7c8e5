package api

import (
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

func roleRoutes(s *Services) collection[domain.Role, roleInput, roles.Input, roleView] {
	return collection[domain.Role, roleInput, roles.Input, roleView]{s: s, policy: (*access.Caller).RequireUserManager,
		kind: "role", param: "roleId", path: rolePath, view: viewRole, version: func(r *domain.Role) int { return r.Version }}
}

// ListRoles: GET /v1/customers/{customerId}/roles.
func ListRoles(s *Services) httpapi.Endpoint { return roleRoutes(s).list(s.Roles.List) }

// CreateRole: POST /v1/customers/{customerId}/roles.
func CreateRole(s *Services) httpapi.Endpoint { return roleRoutes(s).create(s.Roles.Create) }

// UpdateRole: PATCH /v1/customers/{customerId}/roles/{roleId}, If-Match honoured.
func UpdateRole(s *Services) httpapi.Endpoint { return roleRoutes(s).update(s.Roles.Update) }

// DeleteRole: DELETE /v1/customers/{customerId}/roles/{roleId}, If-Match honoured.
func DeleteRole(s *Services) httpapi.Endpoint { return roleRoutes(s).delete(s.Roles.Delete) }
