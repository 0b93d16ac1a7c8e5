package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/state"
)

// A customer's role catalogue lives in its partition:
//
//	C#<customer>   RO#<role>     a role
//	C#<customer>   RN#<name>     the record that keeps a name (without case)
//	                             unique, naming its role
//
// The catalogue is one Query of the RO# prefix (at most
// domain.MaxCatalogueRoles items); the customer's item counts the roles, so
// that the limit holds race-free. Renaming a role writes the role and moves
// its name record; nothing else changes, because members hold role ids.
// The offboarding's sweep of the partition takes both kinds with it.
const (
	skRolePre     = "RO#"
	skRoleNamePre = "RN#"
	typeRole      = "role"
	typeRoleName  = "role_name"
)

var roles = profileKind{prefix: skRolePre, count: "roleCount", max: domain.MaxCatalogueRoles}

type roleItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Type string `dynamodbav:"type"`
	domain.Role
}

type roleNameItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	Type   string `dynamodbav:"type"`
	RoleID string `dynamodbav:"roleId"`
}

func roleNameSK(name string) string { return skRoleNamePre + domain.RoleKey(name) }

// ChangeRole writes the creation, change or deletion of a role with its
// name record, the customer's count of roles and the audit event.
func (s *Store) ChangeRole(ctx context.Context, ch state.RoleChange) error {
	b, a := ch.Before, ch.After
	cur := a
	if a == nil {
		cur = b
	}
	pk := customerPK(cur.CustomerID)
	t := s.newTx()
	versionIs := expression.Name("version").Equal(expression.Value(0))
	if b != nil {
		versionIs = expression.Name("version").Equal(expression.Value(b.Version))
	}
	count := expression.Name(roles.count)
	renamed := b != nil && a != nil && domain.RoleKey(b.Name) != domain.RoleKey(a.Name)
	switch {
	case b == nil:
		room := customerOpen().And(expression.AttributeNotExists(count).Or(count.LessThan(expression.Value(roles.max))))
		t.update(pk, skCustomer, expression.Add(count, expression.Value(1)), &room, errCustomerGate)
		t.putNew(roleItem{PK: pk, SK: skRolePre + a.ID, Type: typeRole, Role: *a}, state.ErrConcurrent)
	case a == nil:
		t.del(pk, skRolePre+b.ID, &versionIs, state.ErrStale)
		exists := expression.AttributeExists(expression.Name(AttrPK))
		t.update(pk, skCustomer, expression.Add(count, expression.Value(-1)), &exists, state.ErrNotFound)
	default:
		t.put(roleItem{PK: pk, SK: skRolePre + a.ID, Type: typeRole, Role: *a}, &versionIs, state.ErrStale)
	}
	if b == nil || renamed {
		t.putNew(roleNameItem{PK: pk, SK: roleNameSK(a.Name), Type: typeRoleName, RoleID: a.ID}, state.ErrRoleNameTaken)
	}
	if a == nil || renamed {
		mine := expression.Name("roleId").Equal(expression.Value(b.ID))
		t.del(pk, roleNameSK(b.Name), &mine, state.ErrConcurrent)
	}
	t.putNew(newAuditItem(ch.Event), nil)
	t.extras(ch.Extras, domain.CustomerScope(cur.CustomerID))
	return s.gate(ctx, cur.CustomerID, t.commit(ctx), state.ErrLimit)
}

// Roles reads a customer's catalogue, by name (without case), in one
// strongly consistent Query.
func (s *Store) Roles(ctx context.Context, customerID string) ([]domain.Role, error) {
	var out []domain.Role
	err := s.profileItems(ctx, customerID, skRolePre, appendAs(&out, func(it *roleItem) domain.Role { return it.Role }))
	domain.SortRoles(out)
	return out, err
}
