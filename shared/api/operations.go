package api

// Operations maps each function of the route table to its operation. The
// local gateway serves these; each Lambda's main names its own operation
// directly, so that it links only what that operation uses.
var Operations = map[string]Operation{
	"health":             Health,
	"me":                 Me,
	"list-customers":     ListCustomers,
	"create-customer":    CreateCustomer,
	"get-customer":       GetCustomer,
	"list-portals":       ListPortals,
	"create-portal":      CreatePortal,
	"update-portal":      UpdatePortal,
	"delete-portal":      DeletePortal,
	"list-portal-users":  ListPortalUsers,
	"portal-access":      PortalAccess,
	"portal-preflight":   PortalPreflight,
	"list-audit-events":  ListAuditEvents,
	"list-users":         ListUsers,
	"invite-user":        InviteUser,
	"bulk-invite-users":  BulkInviteUsers,
	"get-user":           GetUser,
	"update-user":        UpdateUser,
	"enable-user":        EnableUser,
	"disable-user":       DisableUser,
	"reinvite-user":      ReinviteUser,
	"delete-user":        DeleteUser,
	"list-operators":     ListOperators,
	"invite-operator":    InviteOperator,
	"get-operator":       GetOperator,
	"update-operator":    UpdateOperator,
	"enable-operator":    EnableOperator,
	"disable-operator":   DisableOperator,
	"reinvite-operator":  ReinviteOperator,
	"delete-operator":    DeleteOperator,
	"inspect-invitation": InspectInvitation,
	"accept-invitation":  AcceptInvitation,
}
