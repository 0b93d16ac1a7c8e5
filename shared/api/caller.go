package api

import (
	"context"
	"strconv"
	"time"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

// Caller is who makes a request and what they may do, read from the table
// on every request: a disabled or deleted user is refused at once, even
// while their token has not expired.
type Caller struct {
	Sub   string
	Email string
	// Operator is the caller's operator record when it is enabled.
	Operator *domain.Member
	// Memberships are the caller's enabled memberships, by customer id.
	Memberships map[string]*domain.Member
}

// authenticate checks what API Gateway's JWT authorizer does not (that the
// token is an access token of our app client) and resolves the caller.
func (d *Deps) authenticate(ctx context.Context, r *httpapi.Request) (*Caller, error) {
	claims := r.Claims()
	sub := claims["sub"]
	if sub == "" || claims["token_use"] != "access" || claims["client_id"] != d.Config.AppClientID {
		return nil, apperr.ErrUnauthenticated
	}
	// Token expiry is measured by the real clock, not the business clock
	// that tests move to expire invitations.
	if exp, err := strconv.ParseInt(claims["exp"], 10, 64); err != nil || exp <= time.Now().Unix() {
		return nil, apperr.ErrUnauthenticated
	}
	ms, err := d.Store.Memberships(ctx, sub)
	if err != nil {
		return nil, err
	}
	c := &Caller{Sub: sub, Memberships: map[string]*domain.Member{}}
	for i := range ms {
		m := &ms[i]
		if m.Status != domain.StatusEnabled {
			continue
		}
		c.Email = m.Email
		if m.Scope().IsProvider() {
			c.Operator = m
		} else {
			c.Memberships[m.CustomerID] = m
		}
	}
	if c.Operator == nil && len(c.Memberships) == 0 {
		return nil, apperr.ErrUnauthenticated
	}
	return c, nil
}

// IsOperator reports whether the caller is enabled provider staff.
func (c *Caller) IsOperator() bool { return c.Operator != nil }

// IsOperatorAdmin reports whether the caller is an enabled operator admin.
func (c *Caller) IsOperatorAdmin() bool {
	return c.Operator != nil && c.Operator.Role == domain.RoleAdmin
}

// Member is the caller's enabled membership of a customer, or nil.
func (c *Caller) Member(customerID string) *domain.Member { return c.Memberships[customerID] }

// Policies. Inside a customer the caller cannot see, the answer is 404,
// never 403, so that ids of other customers reveal nothing.

// requireOperator: any operator.
func (c *Caller) requireOperator() error {
	if c.IsOperator() {
		return nil
	}
	return apperr.ErrForbidden
}

// requireOperatorAdmin: operator admins only.
func (c *Caller) requireOperatorAdmin() error {
	if c.IsOperatorAdmin() {
		return nil
	}
	return apperr.ErrForbidden
}

// requireCustomerReader: operators, and enabled members of the customer.
func (c *Caller) requireCustomerReader(customerID string) error {
	if c.IsOperator() || c.Member(customerID) != nil {
		return nil
	}
	return apperr.ErrNotFound
}

// requireUserManager: operators, and the customer's enabled portal admins.
func (c *Caller) requireUserManager(customerID string) error {
	if c.IsOperator() {
		return nil
	}
	m := c.Member(customerID)
	if m == nil {
		return apperr.ErrNotFound
	}
	if !m.Admin {
		return apperr.ErrForbidden
	}
	return nil
}

// requireOperatorAdminIn: operator admins; others who can see the customer
// get 403, the rest 404.
func (c *Caller) requireOperatorAdminIn(customerID string) error {
	if c.IsOperatorAdmin() {
		return nil
	}
	if c.IsOperator() || c.Member(customerID) != nil {
		return apperr.ErrForbidden
	}
	return apperr.ErrNotFound
}

// actorIn is the caller as recorded in the audit trail of a scope.
func (c *Caller) actorIn(sc domain.Scope) domain.Actor {
	if c.Operator != nil {
		return domain.Actor{ID: c.Operator.ID, Email: c.Operator.Email, Kind: domain.ActorOperator, Name: c.Operator.Name}
	}
	if m := c.Member(sc.CustomerID); m != nil {
		return domain.Actor{ID: m.ID, Email: m.Email, Kind: domain.ActorPortalUser, Name: m.Name}
	}
	return domain.Actor{ID: c.Sub, Email: c.Email, Kind: domain.ActorPortalUser}
}

// actsAsPortalAdmin reports whether the caller acts in the customer through
// a portal admin membership rather than as an operator: the last-admin rule
// binds them.
func (c *Caller) actsAsPortalAdmin(customerID string) bool {
	return !c.IsOperator() && c.Member(customerID) != nil
}
