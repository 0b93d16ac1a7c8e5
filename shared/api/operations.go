package api

// Operations maps each function of the route table to its operation. The
// local gateway serves these; each Lambda's main names its own operation
// directly, so that it links only what that operation uses.
var Operations = map[string]Operation{
	"health":          Health,
	"me":              Me,
	"list-customers":  ListCustomers,
	"create-customer": CreateCustomer,
	"get-customer":    GetCustomer,
	"list-portals":    ListPortals,
	"create-portal":   CreatePortal,
	"list-users":      ListUsers,
	"invite-user":     InviteUser,
	"get-user":        GetUser,
}
