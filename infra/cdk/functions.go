package main

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/portalaccess/portalaccess/infra/cdk/tableaccess"
	"github.com/portalaccess/portalaccess/shared/routes"
)

// FunctionTag names, on each function, its role and its log group, the
// function of the route table they belong to.
const FunctionTag = "portal-access:function"

// Sizing. Go binaries are small and start fast; Lambda gives CPU in
// proportion to memory, so 256 MB buys a quicker cold start (TLS, SDK
// clients) than 128 MB for a fraction of a cent, and no function holds
// much in memory. An API call makes a few DynamoDB and Cognito calls: 10 s is
// far above its normal time and still fails fast when a dependency hangs.
const (
	memoryMB   = 256
	apiTimeout = 10 * time.Second
)

// timeouts are the functions that need longer than an API call.
var timeouts = map[string]time.Duration{
	// Up to 100 invitations, each a transaction and an SES send, in one
	// call: just under the HTTP API's 30 s integration limit, so that the
	// function, not the gateway, ends a batch that runs long.
	"bulk-invite-users": 29 * time.Second,
	"act-on-users":      29 * time.Second, // up to 100 users, each with its e-mail or identity
}

// taskTimeouts are by trigger: the sweep stops itself 5 s before its
// deadline and runs every minute (two runs at once are safe); the first
// admin's invitation is one transaction and one send, with time to spare for
// a cold start at deploy.
var taskTimeouts = map[string]time.Duration{
	routes.TriggerSchedule: 60 * time.Second,
	// A chunk is 50 rows at the consumer's share of the send rate (5 a
	// second by default): 10 s, well inside.
	routes.TriggerQueue:  60 * time.Second,
	routes.TriggerDeploy: 30 * time.Second,
	// Cognito waits 5 s for a trigger and then fails the request.
	routes.TriggerCognito: 5 * time.Second,
}

func timeoutOf(r routes.Route) time.Duration {
	if t, ok := timeouts[r.Function]; ok {
		return t
	}
	if t, ok := taskTimeouts[r.Trigger]; ok {
		return t
	}
	return apiTimeout
}

// Table actions: exactly the calls shared/store makes. A transaction needs
// the action of each of its parts (Put, Update, Delete, ConditionCheck);
// IAM has no TransactWriteItems action. No Scan: the store never scans.
var (
	tableReadActions  = []string{"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
	tableWriteActions = []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"}
	sendMailActions   = []string{"ses:SendEmail"}
)

// newFunction is the one factory of the stack's functions: the same runtime,
// architecture, logging and sizing for all, and a role of its own holding
// only what the route table says the function uses.
func (p *stackParts) newFunction(r routes.Route) awslambda.Function {
	scope := constructs.NewConstruct(p.stack, jsii.String(r.Function))
	awscdk.Tags_Of(scope).Add(jsii.String(FunctionTag), jsii.String(r.Function), nil)

	role := awsiam.NewRole(scope, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Runs " + r.Function + " with only what it uses."),
	})
	logs := awslogs.NewLogGroup(scope, jsii.String("Logs"), &awslogs.LogGroupProps{Retention: p.logRetention})
	logs.GrantWrite(role)

	narrowed, isNarrowed := tableaccess.Narrowed[r.Function]
	switch {
	case isNarrowed:
		p.grantPartitions(role, narrowed)
	case r.Table == routes.TableRead:
		p.table.Grant(role, *jsii.Strings(tableReadActions...)...)
	case r.Table == routes.TableWrite:
		p.table.Grant(role, *jsii.Strings(append(append([]string{}, tableReadActions...), tableWriteActions...)...)...)
	}
	if r.Table != routes.TableNone && !isNarrowed {
		cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("Queries use the table's global secondary indexes, whose ARNs are <table>/index/<name>; only this table's indexes are matched."),
			AppliesTo: &[]any{&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::<Table[A-Za-z0-9]+\.Arn>\/index\/\*$/g`)}},
		}}, jsii.Bool(true))
	}
	if len(r.Identity) > 0 {
		p.pool.Grant(role, *jsii.Strings(r.Identity...)...)
	}
	if r.Mail {
		awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
			Grantee:      role,
			Actions:      jsii.Strings(sendMailActions...),
			ResourceArns: &[]*string{p.identity.EmailIdentityArn(), p.configSetArn},
		})
	}
	p.grantSecrets(role, r)

	props := &awslambda.FunctionProps{
		Description:   jsii.String(describe(r)),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          awslambda.Code_FromAsset(jsii.String(filepath.Join(p.props.AssetDir, r.Function)), nil),
		MemorySize:    jsii.Number(memoryMB),
		Timeout:       awscdk.Duration_Seconds(jsii.Number(timeoutOf(r).Seconds())),
		Role:          role,
		LogGroup:      logs,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		Environment:   p.environment(r),
	}
	if r.Trigger == routes.TriggerSchedule {
		// The next run, a minute later, does what a failed one missed.
		props.RetryAttempts = jsii.Number(0)
		props.MaxEventAge = awscdk.Duration_Minutes(jsii.Number(1))
	}
	fn := awslambda.NewFunction(scope, jsii.String("Function"), props)
	inlineGrants(role)
	dependOnNothing(fn)
	return fn
}

// grantPartitions gives the role the table actions of each grant on the
// items whose partition key the grant names (dynamodb:LeadingKeys), on the
// table only: none of them queries an index.
func (p *stackParts) grantPartitions(role awsiam.Role, grants []tableaccess.Grant) {
	for _, g := range grants {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings(g.Actions...),
			Resources: &[]*string{p.table.TableArn()},
			Conditions: &map[string]any{
				"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": g.Partitions},
			},
		}))
	}
}

// grantsPolicyName names the inline policy of a role that holds its grants
// (inlineGrants). It must differ from the name of the AWS::IAM::Policy it
// replaced (CDK's <role path>DefaultPolicy<hash>): on the update that moves
// the statements, CloudFormation puts the role's new inline policy first and
// deletes the old policy resource last, and a DeleteRolePolicy under the
// same name would take the new policy with it.
const grantsPolicyName = "Grants"

// inlineGrants puts what is granted to the role, by the stack and by CDK's
// constructs (table.Grant, queue.Grant…, event sources, dead-letter queues),
// in the role's own Policies instead of CDK's DefaultPolicy, a separate
// AWS::IAM::Policy: one resource less per role, which keeps the stack under
// CloudFormation's 500 resources. Call it once the role has its first grant:
// the role keeps adding later grants to the same document, which is rendered
// when the template is. The statements are those the DefaultPolicy would
// have held, byte for byte (testdata/permissions.json).
//
// No cycle: a role's statements name the resources it reaches (the table,
// the pool, its log group, queues, the bus), none of which refers to the
// role. A statement on a resource that depends on the role would be one,
// and would need a policy resource of its own.
func inlineGrants(role awsiam.Role) {
	policy, ok := role.Node().TryFindChild(jsii.String("DefaultPolicy")).(awsiam.Policy)
	if !ok {
		panic(fmt.Sprintf("%s has no grant to move into its inline policies", *role.Node().Path()))
	}
	cfnRole := role.Node().DefaultChild().(awsiam.CfnRole)
	if cfnRole.Policies() != nil {
		panic(fmt.Sprintf("%s has inline policies already", *role.Node().Path()))
	}
	doc := policy.Document()
	cfnRole.SetPolicies(&[]any{&awsiam.CfnRole_PolicyProperty{PolicyName: jsii.String(grantsPolicyName), PolicyDocument: doc}})
	role.Node().TryRemoveChild(jsii.String("DefaultPolicy"))
	// The checks the Policy made of its document, which is no longer in
	// the tree: every statement has a resource and no principal.
	role.Node().AddValidation(&identityPolicyCheck{doc})
}

type identityPolicyCheck struct{ doc awsiam.PolicyDocument }

func (c *identityPolicyCheck) Validate() *[]*string { return c.doc.ValidateForIdentityPolicy() }

// dependOnNothing takes off the DependsOn that CDK's Function gives the
// function (its whole role, now one resource with its policies inline): the
// role is referenced by the function's Role property already, and the
// redundant entry is what cfn-lint's W3005 reports. The reference is what
// makes a first invocation at deploy (the first admin's custom resource)
// wait for the permissions, which CloudFormation puts with the role. It
// takes off every DependsOn of the function: a dependency on something else
// goes on whatever uses the function (as the first admin's custom resource
// does), not on the function.
func dependOnNothing(fn awslambda.Function) {
	fn.Node().DefaultChild().(awslambda.CfnFunction).AddDeletionOverride(jsii.String("DependsOn"))
}

// dependOnPolicyOnly keeps, of the DependsOn that CDK's Function gives the
// function (its whole role), only the role's policy: the role itself is
// referenced by the function's Role property already, and the redundant
// entry is what cfn-lint's W3005 reports. The policy must stay: without it
// the function could run before its permissions exist.
func dependOnPolicyOnly(fn awslambda.Function, role awsiam.Role) {
	policy, ok := role.Node().TryFindChild(jsii.String("DefaultPolicy")).(awsiam.Policy)
	if !ok {
		return
	}
	cfnPolicy := policy.Node().DefaultChild().(awsiam.CfnPolicy)
	fn.Node().DefaultChild().(awslambda.CfnFunction).AddOverride(jsii.String("DependsOn"),
		[]*string{awscdk.Stack_Of(fn).GetLogicalId(cfnPolicy)})
}

// secretsOf are the secrets the function reads from Secrets Manager at cold
// start, by the setting they are (shared/config's WithSecrets): every API
// function refuses what did not come through the distribution
// (ORIGIN_SECRET, shared/lambdafn/origin; the tasks serve no HTTP); every
// API function that loads the configuration signs paging cursors
// (CURSOR_SECRET; the tasks page nothing, and the user pool's trigger, with
// its 5-second budget, is spared the read); and those that seal webhook
// subscriptions' secrets need WEBHOOK_KEY.
func (p *stackParts) secretsOf(r routes.Route) map[string]awssecretsmanager.Secret {
	out := map[string]awssecretsmanager.Secret{}
	if r.Trigger == "" {
		out["ORIGIN_SECRET"] = p.originSecret
	}
	if r.Table != routes.TableNone {
		if r.Trigger == "" {
			out["CURSOR_SECRET"] = p.cursorSecret
		}
		if r.WebhookKey {
			out["WEBHOOK_KEY"] = p.webhookKey
		}
	}
	return out
}

// grantSecrets lets the role read exactly the secrets the function reads
// (secretsOf): GetSecretValue on each secret's ARN, nothing else (no
// DescribeSecret, which secret.GrantRead would add and no function calls).
func (p *stackParts) grantSecrets(role awsiam.Role, r routes.Route) {
	for _, name := range slices.Sorted(maps.Keys(p.secretsOf(r))) {
		awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
			Grantee:      role,
			Actions:      jsii.Strings("secretsmanager:GetSecretValue"),
			ResourceArns: &[]*string{p.secretsOf(r)[name].SecretArn()},
		})
	}
}

// secretEnvironment names each secret the function reads by its ARN
// (<NAME>_ARN), never by its value: a value in the environment would be in
// the function's configuration, for anyone who may read that, and in the
// template's resolution. The function reads the value at cold start. The
// versions are those the context pins: changing one changes the
// environment, so every instance starts again with the new value.
func (p *stackParts) secretEnvironment(r routes.Route, env map[string]*string) {
	for name, secret := range p.secretsOf(r) {
		env[name+"_ARN"] = secret.SecretArn()
	}
	if _, ok := env["CURSOR_SECRET_ARN"]; ok && p.props.CursorSecretVersion != "" {
		env["CURSOR_SECRET_VERSION"] = jsii.String(p.props.CursorSecretVersion)
	}
	if _, ok := env["ORIGIN_SECRET_ARN"]; ok {
		// The version CloudFront sends (originHeaderValue) and, during a
		// rotation, the previous one. Unpinned, CloudFront sends the value
		// current at the last deploy while a function that starts after a
		// put-secret-value reads the new AWSCURRENT: accepting AWSPREVIOUS
		// too keeps it from refusing every request until the next deploy.
		switch {
		case p.props.OriginSecretVersion == "":
			env["ORIGIN_SECRET_PREVIOUS_VERSION"] = jsii.String("AWSPREVIOUS")
		case p.props.OriginSecretPrevious != "":
			env["ORIGIN_SECRET_VERSION"] = jsii.String(p.props.OriginSecretVersion)
			env["ORIGIN_SECRET_PREVIOUS_VERSION"] = jsii.String(p.props.OriginSecretPrevious)
		default:
			env["ORIGIN_SECRET_VERSION"] = jsii.String(p.props.OriginSecretVersion)
		}
	}
}

// environment is the configuration shared/config reads at cold start.
// Every API function gets the origin secret; a function that touches no
// table (health) reads nothing else: config.Load needs TABLE_NAME, so every
// other function gets all of it.
func (p *stackParts) environment(r routes.Route) *map[string]*string {
	env := map[string]*string{}
	p.secretEnvironment(r, env)
	if r.Table == routes.TableNone {
		if len(env) == 0 {
			return nil
		}
		return &env
	}
	for k, v := range map[string]*string{
		"TABLE_NAME":   p.table.TableName(),
		"SENDER_EMAIL": jsii.String(p.props.SenderEmail),
	} {
		env[k] = v
	}
	if r.Trigger == routes.TriggerCognito {
		// The pool names this function: naming the pool back (or the
		// console's distribution, which names the pool's domain) would be
		// a cycle. Each event names its pool and client.
		env["USER_POOL_TRIGGER"] = jsii.String("true")
	} else {
		for k, v := range map[string]*string{
			"USER_POOL_ID":  p.pool.UserPoolId(),
			"APP_CLIENT_ID": p.client.UserPoolClientId(),
			"PORTAL_URL":    jsii.String(p.portalURL),
			// Tokens' iss, under which the pool's JWKS is served: the
			// functions that check a portal's token themselves use it.
			"USER_POOL_ISSUER":  p.issuer(),
			"MANAGED_LOGIN_URL": p.managedLoginURL,
		} {
			env[k] = v
		}
	}
	for key, v := range map[string]string{
		"INVITATION_TTL":            p.props.InvitationTTL,
		"INVITATION_REMINDER":       p.props.InvitationReminder,
		"REINVITE_COOLDOWN":         p.props.ReinviteCooldown,
		"ACCESS_REMINDER":           p.props.AccessReminder,
		"TECHNICIAN_ACCESS_DEFAULT": p.props.TechnicianAccess,
		"INVITE_RATE_LIMIT":         p.props.InviteRateLimit,
		"PUBLIC_RATE_LIMIT":         p.props.PublicRateLimit,
		"IMPORT_SEND_RATE":          p.props.ImportSendRate,
	} {
		if v != "" {
			env[key] = jsii.String(v)
		}
	}
	if r.Mail {
		env["SES_CONFIGURATION_SET"] = p.configSet.ConfigurationSetName()
	}
	return &env
}

func describe(r routes.Route) string {
	if r.Trigger != "" {
		return fmt.Sprintf("%s: run by the %s", r.Function, map[string]string{
			routes.TriggerSchedule: "schedule", routes.TriggerDeploy: "deployment (custom resource)",
			routes.TriggerCognito:    "user pool (custom message trigger)",
			routes.TriggerMailEvents: "SES's events (EventBridge rule)",
			routes.TriggerStream:     "table's stream (event source mapping)",
			routes.TriggerQueue:      r.Queue + " queue (event source mapping)",
		}[r.Trigger])
	}
	return fmt.Sprintf("%s: %s %s", r.Function, r.Method, r.Path)
}

// allFunctions is every function the stack makes, routes and tasks.
func allFunctions() []routes.Route {
	return append(append([]routes.Route{}, routes.Table...), routes.Tasks...)
}

// checkAssets makes sure that every function's bootstrap has been built.
func checkAssets(dir string) error {
	if dir == "" {
		return errors.New("AssetDir is not set")
	}
	var missing []string
	for _, r := range allFunctions() {
		if _, err := os.Stat(filepath.Join(dir, r.Function, "bootstrap")); err != nil {
			missing = append(missing, filepath.Join(dir, r.Function, "bootstrap"))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%d function binaries are missing (run `make build` first): %s", len(missing), strings.Join(missing, ", "))
	}
	return nil
}

// retentionDays are CloudWatch Logs' retention periods.
var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

func retentionChoices() string {
	var days []int
	for d := range retentionDays {
		days = append(days, d)
	}
	sort.Ints(days)
	s := make([]string, len(days))
	for i, d := range days {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, ", ")
}
