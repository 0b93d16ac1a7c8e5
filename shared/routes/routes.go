// Package routes is the route table: the single source from which the CDK
// stack makes one function, one route and one least-privilege role per
// operation, and from which the local gateway serves the same handlers.
package routes

// TableAccess is what a function may do with the table.
type TableAccess int

const (
	TableNone TableAccess = iota
	TableRead
	TableWrite // read and write
)

// Who may call a route (documentation; handlers enforce it against the table).
const (
	Anyone         = "anyone"
	SignedIn       = "signed in"
	Operator       = "operator"
	OperatorAdmin  = "operator admin"
	CustomerReader = "operator, member of the customer"
	UserManager    = "operator, the customer's portal admin"
)

// Route is one operation of the HTTP API, served by its own function.
type Route struct {
	Function string // functions/<Function>/main.go, and the function's name in the stack
	Method   string
	Path     string // API Gateway path template
	Public   bool   // no JWT authorizer
	Who      string
	Table    TableAccess
	// Identity lists the Cognito actions the function calls.
	Identity []string
	// Mail reports whether the function sends e-mail.
	Mail bool
}

// Cognito actions, named as IAM names them.
const (
	AdminGetUser           = "cognito-idp:AdminGetUser"
	AdminCreateUser        = "cognito-idp:AdminCreateUser"
	AdminSetUserPassword   = "cognito-idp:AdminSetUserPassword"
	AdminEnableUser        = "cognito-idp:AdminEnableUser"
	AdminDisableUser       = "cognito-idp:AdminDisableUser"
	AdminUserGlobalSignOut = "cognito-idp:AdminUserGlobalSignOut"
	AdminDeleteUser        = "cognito-idp:AdminDeleteUser"
)

// Table is every route of the API.
var Table = []Route{
	{Function: "health", Method: "GET", Path: "/v1/health", Public: true, Who: Anyone},
	{Function: "me", Method: "GET", Path: "/v1/me", Who: SignedIn, Table: TableRead},

	{Function: "list-customers", Method: "GET", Path: "/v1/customers", Who: Operator, Table: TableRead},
	{Function: "create-customer", Method: "POST", Path: "/v1/customers", Who: OperatorAdmin, Table: TableWrite},
	{Function: "get-customer", Method: "GET", Path: "/v1/customers/{customerId}", Who: CustomerReader, Table: TableRead},
	{Function: "list-portals", Method: "GET", Path: "/v1/customers/{customerId}/portals", Who: UserManager, Table: TableRead},
	{Function: "create-portal", Method: "POST", Path: "/v1/customers/{customerId}/portals", Who: OperatorAdmin, Table: TableWrite},

	{Function: "list-users", Method: "GET", Path: "/v1/customers/{customerId}/users", Who: UserManager, Table: TableRead},
	{Function: "invite-user", Method: "POST", Path: "/v1/customers/{customerId}/users", Who: UserManager, Table: TableWrite, Mail: true},
	{Function: "get-user", Method: "GET", Path: "/v1/customers/{customerId}/users/{userId}", Who: UserManager, Table: TableRead},
}

// Scheduled are the functions run on a schedule rather than by a route.
var Scheduled = []Route{}

// Find returns the route served by a function.
func Find(function string) (Route, bool) {
	for _, r := range Table {
		if r.Function == function {
			return r, true
		}
	}
	for _, r := range Scheduled {
		if r.Function == function {
			return r, true
		}
	}
	return Route{}, false
}
