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
	WebhookManager = "operator admin, the customer's portal admin"
	AnyClient      = "signed in, through the console or a registered portal"
	PortalToken    = "a registered portal's token"
	// OperatorEnrolling: an operator, also one who must still set up an
	// authenticator app (mfa_required everywhere else).
	OperatorEnrolling = "operator, also before setting up an authenticator app"
)

// Route is one operation of the HTTP API, served by its own function.
type Route struct {
	Function string // functions/<Function>/main.go, and the function's name in the stack
	Method   string
	Path     string // API Gateway path template
	Public   bool   // no JWT authorizer, and no token
	// OwnToken: no JWT authorizer, because the function checks the token
	// itself — one of the console's or of any registered portal's app
	// client, which the authorizer's fixed audience list cannot know.
	OwnToken bool
	Who      string
	Table    TableAccess
	// Identity lists the Cognito actions the function calls.
	Identity []string
	// Mail reports whether the function sends e-mail.
	Mail bool
	// Trigger says what runs a function that has no route: TriggerSchedule
	// or TriggerDeploy.
	Trigger string
	// Queue names the queue the function sends messages to (SendMessage
	// on it, nothing else); TriggerQueue functions consume the queue named
	// here.
	Queue string
	// WebhookKey: the function seals or opens webhook secrets
	// (WEBHOOK_KEY).
	WebhookKey bool
}

// Queues of the stack.
const (
	// QueueImports holds imports' chunks, one message each.
	QueueImports = "imports"
	// QueueWebhooks: the webhooks' events queue (the bus's rule sends to
	// it) and deliveries queue (FIFO).
	QueueWebhooks = "webhooks"
)

// Triggers of the functions without a route.
const (
	TriggerSchedule = "schedule" // an EventBridge schedule
	TriggerDeploy   = "deploy"   // a CloudFormation custom resource, at deploy
	TriggerCognito  = "cognito"  // a user pool trigger (custom message)
	// TriggerMailEvents: an EventBridge rule on the SES configuration
	// set's events.
	TriggerMailEvents = "mail-events"
	// TriggerStream: the table's stream, through an event source mapping.
	TriggerStream = "stream"
	// TriggerQueue: an SQS queue (Queue), through an event source mapping.
	TriggerQueue = "queue"
)

// Cognito actions, named as IAM names them.
const (
	AdminGetUser           = "cognito-idp:AdminGetUser"
	AdminCreateUser        = "cognito-idp:AdminCreateUser"
	AdminSetUserPassword   = "cognito-idp:AdminSetUserPassword"
	AdminEnableUser        = "cognito-idp:AdminEnableUser"
	AdminDisableUser       = "cognito-idp:AdminDisableUser"
	AdminUserGlobalSignOut = "cognito-idp:AdminUserGlobalSignOut"
	AdminDeleteUser        = "cognito-idp:AdminDeleteUser"
	// AdminSetUserMFAPreference makes a verified authenticator app the
	// preferred factor (enrolment), or turns it off (a reset).
	AdminSetUserMFAPreference = "cognito-idp:AdminSetUserMFAPreference"

	CreateUserPoolClient       = "cognito-idp:CreateUserPoolClient"
	UpdateUserPoolClient       = "cognito-idp:UpdateUserPoolClient"
	DeleteUserPoolClient       = "cognito-idp:DeleteUserPoolClient"
	ListUserPoolClients        = "cognito-idp:ListUserPoolClients"
	CreateManagedLoginBranding = "cognito-idp:CreateManagedLoginBranding"
)

// appClients are the actions that keep a portal setup's app client in step
// with it: make (with its managed login style) or find it, change it,
// delete it.
var appClients = []string{CreateUserPoolClient, UpdateUserPoolClient, DeleteUserPoolClient, ListUserPoolClients, CreateManagedLoginBranding}

// identitySync are the actions that bring an identity in line with its
// memberships: enable, or disable and sign out, or delete.
var identitySync = []string{AdminEnableUser, AdminDisableUser, AdminUserGlobalSignOut, AdminDeleteUser}

const (
	usersPath     = "/v1/customers/{customerId}/users"
	userPath      = usersPath + "/{userId}"
	operatorsPath = "/v1/operators"
	operatorPath  = operatorsPath + "/{operatorId}"
	portalsPath   = "/v1/customers/{customerId}/portals"
	webhooksPath  = "/v1/customers/{customerId}/webhooks"
	webhookPath   = webhooksPath + "/{webhookId}"
	portalPath    = portalsPath + "/{portalId}"

	customerPath   = "/v1/customers/{customerId}"
	addressesPath  = customerPath + "/addresses"
	addressPath    = addressesPath + "/{addressId}"
	agreementsPath = customerPath + "/service-agreements"
	agreementPath  = agreementsPath + "/{agreementId}"
	rolesPath      = customerPath + "/roles"
	rolePath       = rolesPath + "/{roleId}"
	importsPath    = customerPath + "/imports"
	importPath     = importsPath + "/{importId}"
)

// ManagesAppClients reports whether a function calls app client actions.
func (r Route) ManagesAppClients() bool {
	for _, a := range r.Identity {
		for _, c := range appClients {
			if a == c {
				return true
			}
		}
	}
	return false
}

// Table is every route of the API.
var Table = []Route{
	{Function: "health", Method: "GET", Path: "/v1/health", Public: true, Who: Anyone},
	{Function: "me", Method: "GET", Path: "/v1/me", OwnToken: true, Who: AnyClient, Table: TableRead},
	{Function: "portal-access", Method: "GET", Path: "/v1/portal-access", OwnToken: true, Who: PortalToken, Table: TableRead},
	// The browser's question before a portal's call from its own origin:
	// granted on the two routes above for registered portals' origins only.
	{Function: "portal-preflight", Method: "OPTIONS", Path: "/v1/{proxy+}", Public: true, Who: Anyone, Table: TableRead},

	{Function: "list-customers", Method: "GET", Path: "/v1/customers", Who: Operator, Table: TableRead},
	{Function: "create-customer", Method: "POST", Path: "/v1/customers", Who: OperatorAdmin, Table: TableWrite},
	{Function: "get-customer", Method: "GET", Path: "/v1/customers/{customerId}", Who: CustomerReader, Table: TableRead},
	{Function: "list-portals", Method: "GET", Path: portalsPath, Who: UserManager, Table: TableRead},
	{Function: "create-portal", Method: "POST", Path: portalsPath, Who: OperatorAdmin, Table: TableWrite, Identity: appClients},
	{Function: "update-portal", Method: "PATCH", Path: portalPath, Who: OperatorAdmin, Table: TableWrite, Identity: appClients},
	{Function: "delete-portal", Method: "DELETE", Path: portalPath, Who: OperatorAdmin, Table: TableWrite, Identity: []string{DeleteUserPoolClient}},
	{Function: "list-portal-users", Method: "GET", Path: portalPath + "/users", Who: UserManager, Table: TableRead},
	{Function: "list-audit-events", Method: "GET", Path: "/v1/customers/{customerId}/audit-events", Who: UserManager, Table: TableRead},

	// The organization profile; a customer's life time (the offboarding's
	// work is the sweep's, which holds the Cognito actions it needs); the
	// provider's own trail; a job's progress.
	{Function: "list-addresses", Method: "GET", Path: addressesPath, Who: UserManager, Table: TableRead},
	{Function: "create-address", Method: "POST", Path: addressesPath, Who: UserManager, Table: TableWrite},
	{Function: "update-address", Method: "PATCH", Path: addressPath, Who: UserManager, Table: TableWrite},
	{Function: "delete-address", Method: "DELETE", Path: addressPath, Who: UserManager, Table: TableWrite},
	{Function: "list-service-agreements", Method: "GET", Path: agreementsPath, Who: UserManager, Table: TableRead},
	{Function: "create-service-agreement", Method: "POST", Path: agreementsPath, Who: Operator, Table: TableWrite},
	{Function: "update-service-agreement", Method: "PATCH", Path: agreementPath, Who: Operator, Table: TableWrite},
	{Function: "delete-service-agreement", Method: "DELETE", Path: agreementPath, Who: Operator, Table: TableWrite},
	{Function: "update-customer", Method: "PATCH", Path: customerPath, Who: OperatorAdmin, Table: TableWrite},
	{Function: "delete-customer", Method: "DELETE", Path: customerPath, Who: OperatorAdmin, Table: TableWrite},
	{Function: "get-job", Method: "GET", Path: "/v1/jobs/{jobId}", Who: OperatorAdmin, Table: TableRead},
	{Function: "list-provider-audit-events", Method: "GET", Path: "/v1/audit-events", Who: OperatorAdmin, Table: TableRead},

	// Webhook subscriptions (issue 16): operator admins and the customer's
	// portal admins; delivered by deliver-webhooks.
	{Function: "list-webhooks", Method: "GET", Path: webhooksPath, Who: WebhookManager, Table: TableRead},
	{Function: "create-webhook", Method: "POST", Path: webhooksPath, Who: WebhookManager, Table: TableWrite, WebhookKey: true},
	{Function: "get-webhook", Method: "GET", Path: webhookPath, Who: WebhookManager, Table: TableRead},
	{Function: "update-webhook", Method: "PATCH", Path: webhookPath, Who: WebhookManager, Table: TableWrite},
	{Function: "delete-webhook", Method: "DELETE", Path: webhookPath, Who: WebhookManager, Table: TableWrite},
	{Function: "rotate-webhook-secret", Method: "POST", Path: webhookPath + "/rotate-secret", Who: WebhookManager, Table: TableWrite, WebhookKey: true},
	{Function: "list-webhook-deliveries", Method: "GET", Path: webhookPath + "/deliveries", Who: WebhookManager, Table: TableRead},

	// A customer's role catalogue (issue 14, part B).
	{Function: "list-roles", Method: "GET", Path: rolesPath, Who: UserManager, Table: TableRead},
	{Function: "create-role", Method: "POST", Path: rolesPath, Who: UserManager, Table: TableWrite},
	{Function: "update-role", Method: "PATCH", Path: rolePath, Who: UserManager, Table: TableWrite},
	{Function: "delete-role", Method: "DELETE", Path: rolePath, Who: UserManager, Table: TableWrite},

	{Function: "list-users", Method: "GET", Path: usersPath, Who: UserManager, Table: TableRead},
	{Function: "invite-user", Method: "POST", Path: usersPath, Who: UserManager, Table: TableWrite, Mail: true},
	{Function: "bulk-invite-users", Method: "POST", Path: usersPath + "/bulk", Who: UserManager, Table: TableWrite, Mail: true},
	{Function: "act-on-users", Method: "POST", Path: usersPath + "/actions", Who: UserManager, Table: TableWrite, Mail: true, Identity: identitySync},
	// Imports (issue 17): the file accepted and queued here, its rows worked
	// by import-users from the queue.
	{Function: "create-import", Method: "POST", Path: importsPath, Who: UserManager, Table: TableWrite, Queue: QueueImports},
	{Function: "get-import", Method: "GET", Path: importPath, Who: UserManager, Table: TableRead},
	{Function: "get-import-outcomes", Method: "GET", Path: importPath + "/outcomes", Who: UserManager, Table: TableRead},
	{Function: "get-user", Method: "GET", Path: userPath, Who: UserManager, Table: TableRead},
	{Function: "update-user", Method: "PATCH", Path: userPath, Who: UserManager, Table: TableWrite},
	{Function: "enable-user", Method: "POST", Path: userPath + "/enable", Who: UserManager, Table: TableWrite, Identity: identitySync},
	{Function: "disable-user", Method: "POST", Path: userPath + "/disable", Who: UserManager, Table: TableWrite, Identity: identitySync},
	{Function: "reinvite-user", Method: "POST", Path: userPath + "/reinvite", Who: UserManager, Table: TableWrite, Mail: true},
	{Function: "delete-user", Method: "DELETE", Path: userPath, Who: UserManager, Table: TableWrite, Identity: identitySync},

	{Function: "list-operators", Method: "GET", Path: operatorsPath, Who: OperatorAdmin, Table: TableRead},
	{Function: "invite-operator", Method: "POST", Path: operatorsPath, Who: OperatorAdmin, Table: TableWrite, Mail: true},
	{Function: "get-operator", Method: "GET", Path: operatorPath, Who: OperatorAdmin, Table: TableRead},
	{Function: "update-operator", Method: "PATCH", Path: operatorPath, Who: OperatorAdmin, Table: TableWrite},
	{Function: "enable-operator", Method: "POST", Path: operatorPath + "/enable", Who: OperatorAdmin, Table: TableWrite, Identity: identitySync},
	{Function: "disable-operator", Method: "POST", Path: operatorPath + "/disable", Who: OperatorAdmin, Table: TableWrite, Identity: identitySync},
	{Function: "reinvite-operator", Method: "POST", Path: operatorPath + "/reinvite", Who: OperatorAdmin, Table: TableWrite, Mail: true},
	{Function: "delete-operator", Method: "DELETE", Path: operatorPath, Who: OperatorAdmin, Table: TableWrite, Identity: identitySync},

	// The operators' second factor (shared/app/mfa). enrol-mfa is the one
	// route besides GET /v1/me that an operator who has not set up an
	// authenticator app may call; it finishes a pending reset first.
	{Function: "enrol-mfa", Method: "POST", Path: "/v1/me/mfa", Who: OperatorEnrolling, Table: TableWrite,
		Identity: []string{AdminGetUser, AdminSetUserMFAPreference, AdminUserGlobalSignOut}},
	{Function: "reset-operator-mfa", Method: "DELETE", Path: operatorPath + "/mfa", Who: OperatorAdmin, Table: TableWrite,
		Identity: []string{AdminSetUserMFAPreference, AdminUserGlobalSignOut}},

	{Function: "inspect-invitation", Method: "POST", Path: "/v1/invitations/inspect", Public: true, Who: Anyone, Table: TableWrite,
		Identity: []string{AdminGetUser}},
	{Function: "accept-invitation", Method: "POST", Path: "/v1/invitations/accept", Public: true, Who: Anyone, Table: TableWrite,
		Identity: append([]string{AdminGetUser, AdminCreateUser, AdminSetUserPassword}, identitySync...)},
}

// Tasks are the functions that no route runs.
var Tasks = []Route{
	// AdminGetUser: an accept that died after it made an identity left a
	// marker by e-mail; the sweep looks the identity up to delete it.
	// The app client actions: the sweep finishes what a portal setup's
	// change left of its app client. AdminGetUser and
	// AdminSetUserMFAPreference: the operators' authenticator apps are
	// checked (one switched off loses the enrolment) and a pending reset
	// is finished.
	{Function: "sweep-invitations", Trigger: TriggerSchedule, Who: "the schedule", Table: TableWrite, Mail: true, Queue: QueueImports,
		Identity: append(append([]string{AdminGetUser, AdminSetUserMFAPreference}, identitySync...), appClients...)},
	// The user pool's custom message trigger: the text of the e-mails
	// Cognito itself sends (a password reset's code), in the language of
	// the customer whose portal asked for it.
	{Function: "custom-message", Trigger: TriggerCognito, Who: "the user pool", Table: TableRead},
	// What SES reports of each invitation e-mail (delivered, bounced,
	// complained), through an EventBridge rule on its events.
	{Function: "record-mail-feedback", Trigger: TriggerMailEvents, Who: "SES's events", Table: TableWrite},
	// Events: each audit event item a change committed, from the table's
	// stream to the stack's EventBridge bus. It reads the stream only.
	{Function: "publish-events", Trigger: TriggerStream, Who: "the table's stream", Table: TableNone},
	// Imports' rows, a chunk a message, from the imports queue: invites and
	// their e-mails, at the send rate (IMPORT_SEND_RATE).
	{Function: "import-users", Trigger: TriggerQueue, Queue: QueueImports, Who: "the imports queue", Table: TableWrite, Mail: true},
	// Webhook deliveries (issue 16): the events queue's events fanned out
	// to the deliveries queue (FIFO), one message per subscription that
	// wants it, and each delivered from there, signed, in order per target.
	{Function: "deliver-webhooks", Trigger: TriggerQueue, Queue: QueueWebhooks, Who: "the webhooks' queues", Table: TableWrite, WebhookKey: true},
	// The first operator admin, from the stack's adminEmail, invited at deploy.
	{Function: "bootstrap-admin", Trigger: TriggerDeploy, Who: "the deployment", Table: TableWrite, Mail: true},
}
