package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/portalaccess/portalaccess/infra/cdk/tableaccess"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/routes"
	"github.com/portalaccess/portalaccess/shared/store"
)

// functions maps each function of the route table to its Lambda resource.
func functions(t *testing.T, tpl template) map[string]resource {
	t.Helper()
	fns := map[string]resource{}
	for _, r := range tpl.resources("AWS::Lambda::Function") {
		if isDeployHandler(r) || isCDKProvider(r.ID) {
			continue // CDK's, for the console's files (console_test.go) and cross-region references
		}
		name := r.tag(FunctionTag)
		if name == "" {
			t.Errorf("function %s has no %s tag: not made by the factory", r.ID, FunctionTag)
			continue
		}
		if _, dup := fns[name]; dup {
			t.Errorf("two functions for %s", name)
		}
		fns[name] = r
	}
	return fns
}

type statement struct {
	Effect    string
	Actions   []string
	Resources []string
}

// roleStatements are every statement of the policies attached to the role,
// inline or separate.
func roleStatements(t *testing.T, tpl template, roleID string) []statement {
	t.Helper()
	var out []statement
	for _, s := range roleStatementsRaw(t, tpl, roleID) {
		out = append(out, toStatement(s))
	}
	return out
}

// roleStatementsRaw are the statements, as JSON, of every policy the role
// has: its inline Policies and each AWS::IAM::Policy that names it.
func roleStatementsRaw(t *testing.T, tpl template, roleID string) []map[string]any {
	t.Helper()
	var docs []any
	role, ok := tpl.resource(roleID)
	if !ok {
		t.Fatalf("role %s not in the template", roleID)
	}
	if m := role.Props["ManagedPolicyArns"]; m != nil {
		t.Errorf("role %s has managed policies %v", roleID, m)
	}
	for _, p := range list(role.Props["Policies"]) {
		docs = append(docs, p.(map[string]any)["PolicyDocument"])
	}
	for _, p := range tpl.resources("AWS::IAM::Policy") {
		for _, r := range list(p.Props["Roles"]) {
			if refID(r) == roleID {
				docs = append(docs, p.Props["PolicyDocument"])
			}
		}
	}
	var out []map[string]any
	for _, d := range docs {
		for _, s := range list(d.(map[string]any)["Statement"]) {
			out = append(out, s.(map[string]any))
		}
	}
	return out
}

func toStatement(s map[string]any) statement {
	st := statement{Effect: fmt.Sprint(s["Effect"])}
	for _, a := range list(s["Action"]) {
		st.Actions = append(st.Actions, fmt.Sprint(a))
	}
	for _, r := range list(s["Resource"]) {
		st.Resources = append(st.Resources, render(r))
	}
	return st
}

func TestEveryRouteHasItsFunctionIntegrationAndAuthorizer(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		tpl := syn.template
		fns := functions(t, tpl)
		authorizer := tpl.one(t, "AWS::ApiGatewayV2::Authorizer")
		var invoker resource
		for _, r := range tpl.resources("AWS::IAM::Role") {
			if strings.HasPrefix(r.ID, "ApiInvokeRole") {
				invoker = r
			}
		}
		if invoker.ID == "" {
			t.Fatal("no invoke role for API Gateway")
		}
		routed := map[string]bool{}
		byKey := map[string]resource{}
		for _, r := range tpl.resources("AWS::ApiGatewayV2::Route") {
			byKey[fmt.Sprint(r.Props["RouteKey"])] = r
		}
		if len(byKey) != len(routes.Table) {
			t.Errorf("%d API routes, want %d (one per route of the table)", len(byKey), len(routes.Table))
		}
		for _, want := range routes.Table {
			key := want.Method + " " + want.Path
			route, ok := byKey[key]
			if !ok {
				t.Errorf("no API route %s", key)
				continue
			}
			integID := strings.TrimSuffix(strings.TrimPrefix(render(route.Props["Target"]), "integrations/<"), ">")
			integ, ok := tpl.resource(integID)
			if !ok || integ.Type != "AWS::ApiGatewayV2::Integration" {
				t.Errorf("%s: target %v is no integration", key, route.Props["Target"])
				continue
			}
			if integ.Props["IntegrationType"] != "AWS_PROXY" || integ.Props["PayloadFormatVersion"] != "2.0" {
				t.Errorf("%s: integration %v, want a Lambda proxy with payload 2.0", key, integ.Props)
			}
			fn, ok := fns[want.Function]
			if !ok {
				t.Errorf("%s: no function %s", key, want.Function)
				continue
			}
			if got := refID(integ.Props["IntegrationUri"]); got != fn.ID {
				t.Errorf("%s: integrates %s, want %s's function %s", key, got, want.Function, fn.ID)
			}
			auth := route.Props["AuthorizationType"]
			switch {
			case want.Public && auth != "NONE":
				t.Errorf("%s is public but has authorization %v", key, auth)
			case want.OwnToken && auth != "NONE":
				t.Errorf("%s checks its own token but has authorization %v", key, auth)
			case !want.Public && !want.OwnToken && (auth != "JWT" || refID(route.Props["AuthorizerId"]) != authorizer.ID):
				t.Errorf("%s: authorization %v %v, want the JWT authorizer", key, auth, route.Props["AuthorizerId"])
			}
			// API Gateway invokes the function as the invoke role.
			if got := render(integ.Props["CredentialsArn"]); got != "<"+invoker.ID+".Arn>" {
				t.Errorf("%s: integration credentials %s, want the invoke role %s", key, got, invoker.ID)
			}
			routed["<"+fn.ID+".Arn>"] = true
		}
		// The invoke role may invoke exactly the routes' functions, as
		// API Gateway only, and no function lets API Gateway in by a
		// resource policy of its own.
		if got := render(get(invoker.Props, "AssumeRolePolicyDocument")); !strings.Contains(got, "apigateway.amazonaws.com") || strings.Contains(got, "lambda.amazonaws.com") {
			t.Errorf("the invoke role is assumed by %s, want API Gateway only", got)
		}
		invokable := map[string]bool{}
		for _, st := range roleStatements(t, tpl, invoker.ID) {
			if st.Effect != "Allow" || len(st.Actions) != 1 || st.Actions[0] != "lambda:InvokeFunction" {
				t.Errorf("the invoke role may %v %v, want lambda:InvokeFunction only", st.Actions, st.Resources)
				continue
			}
			for _, r := range st.Resources {
				invokable[r] = true
			}
		}
		if !maps.Equal(invokable, routed) {
			t.Errorf("the invoke role may invoke %v, want the routes' functions %v", slices.Sorted(maps.Keys(invokable)), slices.Sorted(maps.Keys(routed)))
		}
		for _, p := range tpl.resources("AWS::Lambda::Permission") {
			if p.Props["Principal"] == "apigateway.amazonaws.com" {
				t.Errorf("permission %s lets API Gateway invoke %s by a resource policy", p.ID, render(p.Props["FunctionName"]))
			}
		}
	})
}

// stackResourceBudget is what the main stack may reach: CloudFormation
// takes at most 500 resources a stack, and the headroom is for the next
// routes (each brings a function, its role, its log group, an
// integration and a route, and an alarm every five functions).
const stackResourceBudget = 450

// CloudFormation takes at most 500 resources a stack; the test holds the
// stack to 450, so that a route or two more never breaks a deploy.
func TestTheStackStaysWithinCloudFormationsResourceLimit(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		n := len(syn.template.resources(""))
		t.Logf("%s: %d resources, of the budget of %d (CloudFormation takes 500 a stack)", syn.stackName, n, stackResourceBudget)
		if n > stackResourceBudget {
			t.Errorf("%s: %d resources, over the budget of %d of CloudFormation's 500 a stack: "+
				"find what each new route adds (count the template's resources by type) and share or fold it "+
				"(as the roles hold their grants inline and one invoke role serves every route), "+
				"or move a group of resources into a nested stack, before raising the budget", syn.stackName, n, stackResourceBudget)
		}
	})
}

// Each function's role (and the API's invoke role) holds its grants inline,
// in one policy, rather than in an AWS::IAM::Policy of its own: one
// resource less a function. The functions then depend on their role only
// through its reference (no DependsOn, cfn-lint W3005).
func TestRolesHoldTheirGrantsInline(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		tpl := syn.template
		roles := map[string]string{}
		for name, fn := range functions(t, tpl) {
			roles[refID(fn.Props["Role"])] = name
			if d := fn.Raw["DependsOn"]; d != nil {
				t.Errorf("%s: %s depends on %v, more than its role's reference", syn.stackName, name, d)
			}
		}
		for _, r := range tpl.resources("AWS::IAM::Role") {
			if strings.HasPrefix(r.ID, "ApiInvokeRole") {
				roles[r.ID] = "ApiInvokeRole"
			}
		}
		if len(roles) != len(allFunctions())+1 {
			t.Errorf("%s: %d roles of functions and the API, want %d", syn.stackName, len(roles), len(allFunctions())+1)
		}
		for _, p := range tpl.resources("AWS::IAM::Policy") {
			for _, r := range list(p.Props["Roles"]) {
				if name, ok := roles[refID(r)]; ok {
					t.Errorf("%s: %s's role has a policy resource of its own, %s", syn.stackName, name, p.ID)
				}
			}
		}
		for id, name := range roles {
			role, _ := tpl.resource(id)
			policies := list(role.Props["Policies"])
			if len(policies) != 1 {
				t.Errorf("%s: %s's role has %d inline policies, want its grants in one", syn.stackName, name, len(policies))
				continue
			}
			p := policies[0].(map[string]any)
			// Not the name of the DefaultPolicy it replaces: deleting that
			// resource, on the update that moves the statements, would
			// delete the inline policy of the same name (functions.go).
			if p["PolicyName"] != grantsPolicyName {
				t.Errorf("%s: %s's inline policy is named %v, want %s", syn.stackName, name, p["PolicyName"], grantsPolicyName)
			}
			if len(list(get(p, "PolicyDocument", "Statement"))) == 0 {
				t.Errorf("%s: %s's inline policy has no statement", syn.stackName, name)
			}
		}
	})
}

func TestJWTAuthorizerTrustsThePoolForTheWebClient(t *testing.T) {
	tpl := base.template
	auth := tpl.one(t, "AWS::ApiGatewayV2::Authorizer")
	pool := tpl.one(t, "AWS::Cognito::UserPool")
	client := tpl.one(t, "AWS::Cognito::UserPoolClient")
	if auth.Props["AuthorizerType"] != "JWT" {
		t.Errorf("authorizer type %v", auth.Props["AuthorizerType"])
	}
	if got, want := render(get(auth.Props, "JwtConfiguration", "Issuer")), "https://cognito-idp."+testRegion+".amazonaws.com/<"+pool.ID+">"; got != want {
		t.Errorf("issuer %s, want %s", got, want)
	}
	aud := list(get(auth.Props, "JwtConfiguration", "Audience"))
	if len(aud) != 1 || refID(aud[0]) != client.ID {
		t.Errorf("audience %v, want only the app client %s (never the pool %s)", aud, client.ID, pool.ID)
	}
	if src := list(auth.Props["IdentitySource"]); len(src) != 1 || src[0] != "$request.header.Authorization" {
		t.Errorf("identity source %v", src)
	}
}

func TestEveryFunctionIsArm64OnProvidedAL2023WithJSONLogs(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		tpl := syn.template
		fns := functions(t, tpl)
		all := allFunctions()
		if len(fns) != len(all) {
			t.Errorf("%d functions, want %d (routes and tasks)", len(fns), len(all))
		}
		for _, r := range all {
			fn, ok := fns[r.Function]
			if !ok {
				t.Errorf("no function for %s", r.Function)
				continue
			}
			p := fn.Props
			if p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" {
				t.Errorf("%s: runtime %v handler %v", r.Function, p["Runtime"], p["Handler"])
			}
			if arch := list(p["Architectures"]); len(arch) != 1 || arch[0] != "arm64" {
				t.Errorf("%s: architectures %v", r.Function, arch)
			}
			if get(p, "LoggingConfig", "LogFormat") != "JSON" {
				t.Errorf("%s: log format %v", r.Function, get(p, "LoggingConfig", "LogFormat"))
			}
			lg, ok := tpl.resource(refID(get(p, "LoggingConfig", "LogGroup")))
			if !ok || lg.Type != "AWS::Logs::LogGroup" || lg.tag(FunctionTag) != r.Function {
				t.Errorf("%s: no log group of its own", r.Function)
			} else if days := lg.Props["RetentionInDays"]; days != float64(syn.settings.LogRetentionDays) {
				t.Errorf("%s: log retention %v, want %d", r.Function, days, syn.settings.LogRetentionDays)
			}
			if got, want := p["Timeout"], timeoutOf(r).Seconds(); got != want {
				t.Errorf("%s: timeout %v, want %v", r.Function, got, want)
			}
			if p["MemorySize"] != float64(memoryMB) {
				t.Errorf("%s: memory %v", r.Function, p["MemorySize"])
			}
			if r.Trigger == "" && timeoutOf(r).Seconds() > 29 {
				t.Errorf("%s: an API function's timeout must stay under the HTTP API's 30 s", r.Function)
			}
		}
	})
}

func TestTimeoutOverridesNameRealFunctions(t *testing.T) {
	known := map[string]bool{}
	for _, r := range allFunctions() {
		known[r.Function] = true
	}
	for name := range timeouts {
		if !known[name] {
			t.Errorf("timeouts names %s, which the route table does not have", name)
		}
	}
}

func TestEnvironmentIsWhatConfigReads(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		fns := functions(t, syn.template)
		for _, r := range allFunctions() {
			env, _ := get(fns[r.Function].Props, "Environment", "Variables").(map[string]any)
			// Every API function, and only those, checks the origin secret,
			// which it reads at cold start: the version CloudFront sends,
			// and during a rotation the previous.
			origin := originEnv(env)
			switch {
			case r.Trigger != "" && len(origin) > 0:
				t.Errorf("%s serves no HTTP but gets %v", r.Function, origin)
			case r.Trigger == "" && !maps.Equal(origin, wantOriginEnv(syn)):
				t.Errorf("%s: origin secret settings %v, want %v", r.Function, origin, wantOriginEnv(syn))
			}
			if r.Table == routes.TableNone {
				for k := range env {
					if _, ok := origin[k]; !ok && (k != "EVENT_BUS_NAME" || r.Trigger != routes.TriggerStream) {
						t.Errorf("%s reads no configuration but the origin secret (publish-events its bus), yet gets %s", r.Function, k)
					}
				}
				continue
			}
			keys := []string{"TABLE_NAME", "USER_POOL_ID", "APP_CLIENT_ID", "PORTAL_URL", "SENDER_EMAIL", "CURSOR_SECRET_ARN", "USER_POOL_ISSUER", "MANAGED_LOGIN_URL"}
			if r.Trigger == routes.TriggerCognito {
				// The pool's trigger is told none of the pool's names: a cycle.
				for _, key := range []string{"USER_POOL_ID", "APP_CLIENT_ID", "PORTAL_URL", "USER_POOL_ISSUER", "MANAGED_LOGIN_URL"} {
					if env[key] != nil {
						t.Errorf("%s is the pool's trigger but gets %s", r.Function, key)
					}
				}
				if env["USER_POOL_TRIGGER"] != "true" {
					t.Errorf("%s: USER_POOL_TRIGGER is %v", r.Function, env["USER_POOL_TRIGGER"])
				}
				keys = []string{"TABLE_NAME", "SENDER_EMAIL"}
			}
			if r.Trigger != "" {
				// A task pages nothing: it reads no cursor secret.
				keys = slices.DeleteFunc(keys, func(k string) bool { return k == "CURSOR_SECRET_ARN" })
				for _, key := range []string{"CURSOR_SECRET_ARN", "CURSOR_SECRET_VERSION"} {
					if env[key] != nil {
						t.Errorf("%s pages nothing but gets %s", r.Function, key)
					}
				}
			}
			for _, key := range keys {
				if env[key] == nil {
					t.Errorf("%s: %s is not set", r.Function, key)
				}
			}
			if r.Trigger == routes.TriggerCognito {
				continue
			}
			if s, want := render(env["USER_POOL_ISSUER"]), "<"+syn.template.one(t, "AWS::Cognito::UserPool").ID+".ProviderURL>"; s != want {
				t.Errorf("%s: USER_POOL_ISSUER is %s, want the pool's provider URL %s", r.Function, s, want)
			}
			if render(env["PORTAL_URL"]) != wantPortalURL(t, syn) || env["SENDER_EMAIL"] != syn.settings.SenderEmail {
				t.Errorf("%s: PORTAL_URL %v SENDER_EMAIL %v", r.Function, render(env["PORTAL_URL"]), env["SENDER_EMAIL"])
			}
			// The secret's ARN, and the version the context pins: the
			// function reads the value at cold start.
			if s := render(env["CURSOR_SECRET_ARN"]); r.Trigger == "" && s != "<"+secretID(syn, "CursorSecret")+">" {
				t.Errorf("%s: CURSOR_SECRET_ARN is %s, not the cursor secret's ARN", r.Function, s)
			}
			if v, _ := env["CURSOR_SECRET_VERSION"].(string); r.Trigger == "" && v != syn.settings.CursorSecretVersion {
				t.Errorf("%s: CURSOR_SECRET_VERSION is %q, want the context's %q", r.Function, v, syn.settings.CursorSecretVersion)
			}
			if _, ok := env["SES_CONFIGURATION_SET"]; ok != r.Mail {
				t.Errorf("%s: SES_CONFIGURATION_SET set %v, sends mail %v", r.Function, ok, r.Mail)
			}
			if syn == domainVariant && (env["INVITATION_TTL"] != "72h" || env["PUBLIC_RATE_LIMIT"] != "20") {
				t.Errorf("%s: INVITATION_TTL %v PUBLIC_RATE_LIMIT %v, want the context's 72h and 20", r.Function, env["INVITATION_TTL"], env["PUBLIC_RATE_LIMIT"])
			}
		}
	})
}

// originEnv are the function's settings of the origin secret.
func originEnv(env map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		if strings.HasPrefix(k, "ORIGIN_SECRET") {
			out[k] = render(v)
		}
	}
	return out
}

// wantOriginEnv are an API function's settings of the origin secret: its
// ARN, the version CloudFront sends when pinned, and the previous one
// during a rotation; unpinned, AWSCURRENT and AWSPREVIOUS, so that a
// put-secret-value before the deploy refuses nothing.
func wantOriginEnv(syn *synthesized) map[string]string {
	want := map[string]string{"ORIGIN_SECRET_ARN": "<" + secretID(syn, "OriginSecret") + ">"}
	if v := syn.settings.OriginSecretVersion; v != "" {
		want["ORIGIN_SECRET_VERSION"] = v
		if p := syn.settings.OriginSecretPrevious; p != "" {
			want["ORIGIN_SECRET_PREVIOUS_VERSION"] = p
		}
	} else {
		want["ORIGIN_SECRET_PREVIOUS_VERSION"] = "AWSPREVIOUS"
	}
	return want
}

// secretID is the logical id of the stack's secret whose id begins with prefix.
func secretID(syn *synthesized, prefix string) string {
	for _, r := range syn.template.resources("AWS::SecretsManager::Secret") {
		if strings.HasPrefix(r.ID, prefix) {
			return r.ID
		}
	}
	return "no secret " + prefix
}

// isCDKProvider reports whether a resource belongs to the handler that
// CDK makes for cross-region references (crossRegionReferences): its
// permissions are checked in TestCrossRegionReferenceProviders.
func isCDKProvider(id string) bool { return strings.HasPrefix(id, "CustomCrossRegionExport") }

// allowedWildcard reports whether a resource with a * is one that a service
// requires: the table's global secondary indexes, table/<name>/index/*, for
// Query on an index. Nothing else is expected.
func allowedWildcard(res string, actions []string) bool {
	if res == "*" && slices.Equal(actions, []string{"dynamodb:ListStreams"}) {
		return true // IAM takes no other resource for it (a stream's reader needs it)
	}
	return strings.HasPrefix(res, "<Table") && strings.HasSuffix(res, ".Arn>/index/*") && strings.Count(res, "*") == 1
}

func TestNoIAMWildcards(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		tpl := syn.template
		var docs []any
		for _, p := range tpl.resources("AWS::IAM::Policy") {
			if isDeployRolePolicy(p) {
				continue // BucketDeployment's grants, checked one by one in TestConsoleDeployRole
			}
			docs = append(docs, p.Props["PolicyDocument"])
		}
		for _, r := range tpl.resources("AWS::IAM::Role") {
			if isCDKProvider(r.ID) {
				continue
			}
			if m := r.Props["ManagedPolicyArns"]; m != nil {
				t.Errorf("role %s has managed policies %v", r.ID, m)
			}
			docs = append(docs, r.Props["AssumeRolePolicyDocument"])
			for _, p := range list(r.Props["Policies"]) {
				docs = append(docs, p.(map[string]any)["PolicyDocument"])
			}
		}
		if len(docs) == 0 {
			t.Fatal("no policies found")
		}
		for _, d := range docs {
			for _, s := range list(d.(map[string]any)["Statement"]) {
				st := toStatement(s.(map[string]any))
				if st.Effect != "Allow" {
					continue
				}
				for _, a := range st.Actions {
					if strings.Contains(a, "*") {
						t.Errorf("action %s has a wildcard", a)
					}
				}
				for _, r := range st.Resources {
					if strings.Contains(r, "*") && !allowedWildcard(r, st.Actions) {
						t.Errorf("resource %s has a wildcard (actions %v)", r, st.Actions)
					}
				}
				if p := s.(map[string]any)["Principal"]; p != nil && strings.Contains(fmt.Sprint(p), "*") {
					t.Errorf("principal %v has a wildcard", p)
				}
			}
		}
		for _, p := range tpl.resources("AWS::Lambda::Permission") {
			if p.Props["Principal"] == "*" || p.Props["SourceArn"] == nil {
				t.Errorf("permission %s: principal %v source %v", p.ID, p.Props["Principal"], p.Props["SourceArn"])
			}
		}
	})
}

func TestEachRoleReachesOnlyWhatItsFunctionUses(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		tpl := syn.template
		fns := functions(t, tpl)
		table := tpl.one(t, "AWS::DynamoDB::Table")
		pool := tpl.one(t, "AWS::Cognito::UserPool")
		ident := tpl.one(t, "AWS::SES::EmailIdentity")
		configSet := tpl.one(t, "AWS::SES::ConfigurationSet")
		tableRes := []string{"<" + table.ID + ".Arn>", "<" + table.ID + ".Arn>/index/*"}
		sesRes := []string{
			"arn:<AWS::Partition>:ses:" + testRegion + ":<AWS::AccountId>:identity/<" + ident.ID + ">",
			"arn:<AWS::Partition>:ses:" + testRegion + ":<AWS::AccountId>:configuration-set/<" + configSet.ID + ">",
		}
		roles := map[string]string{}
		for _, r := range allFunctions() {
			fn := fns[r.Function]
			roleID := refID(fn.Props["Role"])
			if other, dup := roles[roleID]; dup {
				t.Errorf("%s and %s share a role", r.Function, other)
			}
			roles[roleID] = r.Function
			got := map[string][]string{} // action -> resources
			for _, st := range roleStatements(t, tpl, roleID) {
				if st.Effect != "Allow" {
					continue
				}
				for _, a := range st.Actions {
					got[a] = append(got[a], st.Resources...)
				}
			}
			want := map[string][]string{}
			logGroup := "<" + refID(get(fn.Props, "LoggingConfig", "LogGroup")) + ".Arn>"
			want["logs:CreateLogStream"] = []string{logGroup}
			want["logs:PutLogEvents"] = []string{logGroup}
			_, narrowed := tableaccess.Narrowed[r.Function]
			if narrowed {
				// Statement by statement in TestPublicFunctionsReachOnlyTheirPartitions.
				for a := range got {
					if strings.HasPrefix(a, "dynamodb:") {
						delete(got, a)
					}
				}
			}
			if r.Table >= routes.TableRead && !narrowed {
				for _, a := range tableReadActions {
					want[a] = tableRes
				}
			}
			if r.Table == routes.TableWrite && !narrowed {
				for _, a := range tableWriteActions {
					want[a] = tableRes
				}
			}
			for _, a := range r.Identity {
				want[a] = []string{"<" + pool.ID + ".Arn>"}
			}
			if r.Mail {
				want["ses:SendEmail"] = sesRes
			}
			// The secrets it reads at cold start (secrets_test.go): the
			// origin secret every API function checks, the cursor secret
			// every API function that loads the configuration (the tasks
			// page nothing), the webhook key those that seal subscriptions'
			// secrets.
			var secrets []string
			if r.Trigger == "" {
				secrets = append(secrets, "<"+secretID(syn, "OriginSecret")+">")
			}
			if r.Table != routes.TableNone {
				if r.Trigger == "" {
					secrets = append(secrets, "<"+secretID(syn, "CursorSecret")+">")
				}
				if r.WebhookKey {
					secrets = append(secrets, "<"+secretID(syn, "WebhookKey")+">")
				}
			}
			if len(secrets) > 0 {
				want["secretsmanager:GetSecretValue"] = secrets
			}
			if q, ok := deadLetters[r.Trigger]; ok {
				// Lambda hands an event it failed on to the dead-letter queue
				// with the function's role.
				dlq := "<" + queueID(t, tpl, q) + ".Arn>"
				for _, a := range []string{"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"} {
					want[a] = []string{dlq}
				}
			}
			if r.Queue == routes.QueueWebhooks {
				// Its two queues only (webhooks_test.go): receive and delete
				// on both, send to the deliveries queue.
				qs := map[string]string{}
				for _, res := range tpl.resources("AWS::SQS::Queue") {
					for _, n := range []string{"WebhookEvents", "WebhookDeliveries"} {
						if strings.HasPrefix(res.ID, n) && !strings.HasPrefix(res.ID, n+"DeadLetters") {
							qs[n] = "<" + res.ID + ".Arn>"
						}
					}
				}
				for _, a := range []string{"sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"} {
					want[a] = []string{qs["WebhookEvents"], qs["WebhookDeliveries"]}
				}
				want["sqs:SendMessage"] = []string{qs["WebhookDeliveries"]}
			} else if r.Queue != "" {
				// Its queue only (imports_test.go): a sender sends, the
				// consumer receives and deletes.
				var q string
				for _, res := range tpl.resources("AWS::SQS::Queue") {
					if strings.HasPrefix(res.ID, "Imports") && !strings.HasPrefix(res.ID, "ImportsDeadLetters") {
						q = "<" + res.ID + ".Arn>"
					}
				}
				acts := []string{"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
				if r.Trigger == routes.TriggerQueue {
					acts = []string{"sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
				}
				for _, a := range acts {
					want[a] = []string{q}
				}
			}
			if r.Trigger == routes.TriggerStream {
				// The stream only, and the stack's bus (events_test.go).
				for _, a := range []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"} {
					want[a] = []string{"<" + table.ID + ".StreamArn>"}
				}
				want["dynamodb:ListStreams"] = []string{"*"}
				want["events:PutEvents"] = []string{"<" + tpl.one(t, "AWS::Events::EventBus").ID + ".Arn>"}
			}
			for a, res := range got {
				sort.Strings(res)
				w := append([]string{}, want[a]...)
				sort.Strings(w)
				if !slices.Equal(res, w) {
					t.Errorf("%s may %s on %v, want %v", r.Function, a, res, w)
				}
			}
			for a := range want {
				if _, ok := got[a]; !ok {
					t.Errorf("%s may not %s, which it uses", r.Function, a)
				}
			}
		}
	})
}

// The cases the issue names, spelled out.
func TestListCannotWriteAndOnlyMailFunctionsSend(t *testing.T) {
	tpl := base.template
	fns := functions(t, tpl)
	actionsOf := func(fn string) []string {
		var out []string
		for _, st := range roleStatements(t, tpl, refID(fns[fn].Props["Role"])) {
			out = append(out, st.Actions...)
		}
		return out
	}
	for _, a := range actionsOf("list-users") {
		if !strings.HasPrefix(a, "logs:") && !slices.Contains(tableReadActions, a) && a != "secretsmanager:GetSecretValue" {
			t.Errorf("list-users may %s", a)
		}
	}
	var senders, cognito []string
	for _, r := range allFunctions() {
		acts := actionsOf(r.Function)
		if slices.Contains(acts, "ses:SendEmail") {
			senders = append(senders, r.Function)
		}
		if slices.ContainsFunc(acts, func(a string) bool { return strings.HasPrefix(a, "cognito-idp:") }) {
			cognito = append(cognito, r.Function)
		}
	}
	sort.Strings(senders)
	wantSenders := []string{"act-on-users", "bootstrap-admin", "bulk-invite-users", "import-users", "invite-operator", "invite-user", "reinvite-operator", "reinvite-user", "sweep-invitations"}
	if !slices.Equal(senders, wantSenders) {
		t.Errorf("functions that may send e-mail: %v, want %v", senders, wantSenders)
	}
	var wantCognito []string
	for _, r := range allFunctions() {
		if len(r.Identity) > 0 {
			wantCognito = append(wantCognito, r.Function)
		}
	}
	sort.Strings(cognito)
	sort.Strings(wantCognito)
	if !slices.Equal(cognito, wantCognito) {
		t.Errorf("functions with Cognito actions: %v, want %v", cognito, wantCognito)
	}
	// Its logs, and the origin secret it checks requests against.
	if slices.ContainsFunc(actionsOf("health"), func(a string) bool { return !strings.HasPrefix(a, "logs:") && a != "secretsmanager:GetSecretValue" }) {
		t.Errorf("health may %v", actionsOf("health"))
	}
}

func TestTableFromTheSchema(t *testing.T) {
	tbl := base.template.one(t, "AWS::DynamoDB::Table")
	p := tbl.Props
	if p["BillingMode"] != "PAY_PER_REQUEST" {
		t.Errorf("billing %v", p["BillingMode"])
	}
	if get(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") != true {
		t.Error("point-in-time recovery is off")
	}
	if p["DeletionProtectionEnabled"] != true {
		t.Error("deletion protection is off")
	}
	if tbl.Raw["DeletionPolicy"] != "Retain" || tbl.Raw["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("removal policy %v/%v, want Retain", tbl.Raw["DeletionPolicy"], tbl.Raw["UpdateReplacePolicy"])
	}
	if get(p, "TimeToLiveSpecification", "AttributeName") != store.AttrTTL || get(p, "TimeToLiveSpecification", "Enabled") != true {
		t.Errorf("TTL %v", p["TimeToLiveSpecification"])
	}
	keys := func(v any) string {
		var s []string
		for _, k := range list(v) {
			m := k.(map[string]any)
			s = append(s, fmt.Sprintf("%v:%v", m["AttributeName"], m["KeyType"]))
		}
		return strings.Join(s, ",")
	}
	if got := keys(p["KeySchema"]); got != store.AttrPK+":HASH,"+store.AttrSK+":RANGE" {
		t.Errorf("key schema %s", got)
	}
	for _, a := range list(p["AttributeDefinitions"]) {
		if a.(map[string]any)["AttributeType"] != "S" {
			t.Errorf("attribute %v is not a string", a)
		}
	}
	gsis := map[string]map[string]any{}
	for _, g := range list(p["GlobalSecondaryIndexes"]) {
		gsis[fmt.Sprint(g.(map[string]any)["IndexName"])] = g.(map[string]any)
	}
	if len(gsis) != len(store.Indexes) {
		t.Errorf("%d indexes, want %d", len(gsis), len(store.Indexes))
	}
	for _, ix := range store.Indexes {
		g, ok := gsis[ix.Name]
		if !ok {
			t.Errorf("no index %s", ix.Name)
			continue
		}
		if got := keys(g["KeySchema"]); got != ix.PK+":HASH,"+ix.SK+":RANGE" {
			t.Errorf("index %s keys %s", ix.Name, got)
		}
		proj := get(g, "Projection", "ProjectionType")
		switch {
		case ix.KeysOnly && proj != "KEYS_ONLY", !ix.KeysOnly && ix.NonKey == nil && proj != "ALL":
			t.Errorf("index %s projection %v", ix.Name, proj)
		case ix.NonKey != nil:
			var got []string
			for _, a := range list(get(g, "Projection", "NonKeyAttributes")) {
				got = append(got, fmt.Sprint(a))
			}
			if proj != "INCLUDE" || !slices.Equal(got, ix.NonKey) {
				t.Errorf("index %s projection %v %v, want INCLUDE %v", ix.Name, proj, got, ix.NonKey)
			}
		}
	}
}

func TestUserPoolAndWebClient(t *testing.T) {
	tpl := base.template
	pool := tpl.one(t, "AWS::Cognito::UserPool")
	p := pool.Props
	if get(p, "AdminCreateUserConfig", "AllowAdminCreateUserOnly") != true {
		t.Error("self sign-up is allowed")
	}
	if u := list(p["UsernameAttributes"]); len(u) != 1 || u[0] != "email" {
		t.Errorf("username attributes %v, want email", u)
	}
	if get(p, "UsernameConfiguration", "CaseSensitive") != false {
		t.Error("sign-in is case-sensitive")
	}
	rec := list(get(p, "AccountRecoverySetting", "RecoveryMechanisms"))
	if len(rec) != 1 || rec[0].(map[string]any)["Name"] != "verified_email" {
		t.Errorf("account recovery %v, want e-mail only", rec)
	}
	pw := get(p, "Policies", "PasswordPolicy").(map[string]any)
	if pw["MinimumLength"] != float64(identity.Policy.MinLength) {
		t.Errorf("password minimum %v, want %d", pw["MinimumLength"], identity.Policy.MinLength)
	}
	for _, k := range []string{"RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"} {
		if pw[k] != false {
			t.Errorf("password policy %s is %v: no composition rules (ASVS 5.0 6.2)", k, pw[k])
		}
	}
	if get(p, "UserPoolAddOns", "AdvancedSecurityMode") != "ENFORCED" || p["UserPoolTier"] != "PLUS" {
		t.Errorf("threat protection %v on tier %v", p["UserPoolAddOns"], p["UserPoolTier"])
	}
	if pool.Raw["DeletionPolicy"] != "Retain" {
		t.Errorf("pool deletion policy %v", pool.Raw["DeletionPolicy"])
	}
	if p["EmailConfiguration"] != nil {
		t.Errorf("the base stack uses Cognito's default e-mail, got %v", p["EmailConfiguration"])
	}

	c := tpl.one(t, "AWS::Cognito::UserPoolClient").Props
	if c["GenerateSecret"] != false {
		t.Error("the web client has a secret")
	}
	if f := list(c["AllowedOAuthFlows"]); len(f) != 1 || f[0] != "code" {
		t.Errorf("OAuth flows %v, want the authorization code grant only", f)
	}
	var scopes []string
	for _, s := range list(c["AllowedOAuthScopes"]) {
		scopes = append(scopes, fmt.Sprint(s))
	}
	sort.Strings(scopes)
	if !slices.Equal(scopes, []string{"aws.cognito.signin.user.admin", "email", "openid", "profile"}) {
		t.Errorf("scopes %v", scopes)
	}
	var flows []string
	for _, f := range list(c["ExplicitAuthFlows"]) {
		flows = append(flows, fmt.Sprint(f))
	}
	sort.Strings(flows)
	if !slices.Equal(flows, []string{"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"}) {
		t.Errorf("auth flows %v (never USER_PASSWORD_AUTH in production)", flows)
	}
	if c["PreventUserExistenceErrors"] != "ENABLED" {
		t.Error("user existence errors are not prevented")
	}
	if c["AccessTokenValidity"] != float64(15) || get(c, "TokenValidityUnits", "AccessToken") != "minutes" {
		t.Errorf("access tokens live %v %v", c["AccessTokenValidity"], get(c, "TokenValidityUnits", "AccessToken"))
	}
	if w := list(c["WriteAttributes"]); slices.Contains(w, any("email")) {
		t.Error("people may change their own e-mail")
	}
	// The console sends redirect_uri=<origin>/; Cognito compares exactly.
	for _, key := range []string{"CallbackURLs", "LogoutURLs"} {
		if got, want := strs(c[key]), []string{"https://portal.example.com", "https://portal.example.com/"}; !slices.Equal(got, want) {
			t.Errorf("%s %v, want %v", key, got, want)
		}
	}

	domain := tpl.one(t, "AWS::Cognito::UserPoolDomain").Props
	if domain["ManagedLoginVersion"] != float64(2) {
		t.Errorf("managed login version %v", domain["ManagedLoginVersion"])
	}
	// The stack's name (the stage's) and the account.
	if d := render(domain["Domain"]); d != "portalaccess-<AWS::AccountId>" {
		t.Errorf("default domain prefix %s", d)
	}
	branding := tpl.one(t, "AWS::Cognito::ManagedLoginBranding").Props
	if branding["UseCognitoProvidedValues"] != true || refID(branding["ClientId"]) == "" {
		t.Errorf("managed login branding %v", branding)
	}
}

func TestSweepRunsOnSchedule(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		tpl := syn.template
		fns := functions(t, tpl)
		sweep := fns["sweep-invitations"]
		var rule resource
		for _, r := range tpl.resources("AWS::Events::Rule") {
			if r.Props["ScheduleExpression"] != nil {
				rule = r
			}
		}
		if rule.Props["ScheduleExpression"] != syn.settings.SweepInterval {
			t.Errorf("schedule %v, want %s", rule.Props["ScheduleExpression"], syn.settings.SweepInterval)
		}
		targets := list(rule.Props["Targets"])
		if len(targets) != 1 || refID(targets[0].(map[string]any)["Arn"]) != sweep.ID {
			t.Errorf("the schedule targets %v, want the sweep %s", targets, sweep.ID)
		}
		var allowed bool
		for _, p := range tpl.resources("AWS::Lambda::Permission") {
			if refID(p.Props["FunctionName"]) == sweep.ID && p.Props["Principal"] == "events.amazonaws.com" &&
				refID(p.Props["SourceArn"]) == rule.ID {
				allowed = true
			}
		}
		if !allowed {
			t.Error("the rule may not invoke the sweep")
		}
	})
}

func TestFirstOperatorAdminAtDeploy(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		tpl := syn.template
		fns := functions(t, tpl)
		cr := tpl.one(t, "Custom::FirstOperatorAdmin")
		if cr.Props["AdminEmail"] != syn.settings.AdminEmail {
			t.Errorf("AdminEmail %v, want %s", cr.Props["AdminEmail"], syn.settings.AdminEmail)
		}
		if refID(cr.Props["ServiceToken"]) != fns["bootstrap-admin"].ID {
			t.Errorf("service token %v, want the bootstrap-admin function", cr.Props["ServiceToken"])
		}
		var deps []string
		for _, d := range list(cr.Raw["DependsOn"]) {
			deps = append(deps, fmt.Sprint(d))
		}
		for _, typ := range []string{"AWS::DynamoDB::Table", "AWS::SES::EmailIdentity", "AWS::SES::ConfigurationSet", "AWS::Cognito::UserPool"} {
			if id := tpl.one(t, typ).ID; !slices.Contains(deps, id) {
				t.Errorf("the first admin does not wait for %s (%s)", typ, id)
			}
		}
		// ServiceToken names the function already (cfn-lint W3005).
		if slices.Contains(deps, fns["bootstrap-admin"].ID) {
			t.Errorf("a redundant dependency on the function: %v", deps)
		}
	})
}

func TestStageThrottlesAndLogsAccess(t *testing.T) {
	stage := base.template.one(t, "AWS::ApiGatewayV2::Stage").Props
	if get(stage, "DefaultRouteSettings", "ThrottlingRateLimit") != float64(defaultRate) ||
		get(stage, "DefaultRouteSettings", "ThrottlingBurstLimit") != float64(defaultBurst) {
		t.Errorf("default throttling %v", stage["DefaultRouteSettings"])
	}
	settings, _ := stage["RouteSettings"].(map[string]any)
	var limited []string
	for key, v := range settings {
		limited = append(limited, key)
		if get(v.(map[string]any), "ThrottlingRateLimit") != float64(publicRate) {
			t.Errorf("%s throttled at %v", key, v)
		}
	}
	sort.Strings(limited)
	if want := []string{"POST /v1/invitations/accept", "POST /v1/invitations/inspect"}; !slices.Equal(limited, want) {
		t.Errorf("tighter limits on %v, want %v", limited, want)
	}
	format := fmt.Sprint(get(stage, "AccessLogSettings", "Format"))
	var fields map[string]string
	if err := json.Unmarshal([]byte(format), &fields); err != nil {
		t.Fatalf("access log format is not JSON: %v", err)
	}
	if fields["requestId"] != "$context.requestId" {
		t.Error("access logs lack the request id")
	}
	if strings.Contains(strings.ToLower(format), "authorization") || strings.Contains(format, "header") {
		t.Errorf("access logs may hold a header: %s", format)
	}
	dest := refID(get(stage, "AccessLogSettings", "DestinationArn"))
	if lg, ok := base.template.resource(dest); !ok || lg.Type != "AWS::Logs::LogGroup" || lg.Props["RetentionInDays"] == nil {
		t.Errorf("access logs go to %s, not a log group with retention", dest)
	}
}

// The console calls the API on its own origin, so the API configures no
// CORS: the routes that portal setups on other origins will call answer it
// themselves, and API Gateway passes their headers through only while the
// API has no CORS configuration of its own.
func TestTheAPIConfiguresNoCORS(t *testing.T) {
	for name, syn := range variants {
		if cors := syn.template.one(t, "AWS::ApiGatewayV2::Api").Props["CorsConfiguration"]; cors != nil {
			t.Errorf("%s: the API has CORS %v", name, cors)
		}
	}
	if got := base.settings.AllowedOrigins; !slices.Equal(got, []string{"https://portal.example.com"}) {
		t.Errorf("default origins %v, want portalUrl's origin (sign-in redirects)", got)
	}
}

func TestOutputs(t *testing.T) {
	outs, _ := base.template["Outputs"].(map[string]any)
	for _, name := range []string{"ApiUrl", "UserPoolId", "UserPoolIssuer", "AppClientId", "ManagedLoginUrl", "TableName", "SesConfigurationSet", "SenderEmail", "CursorSecretArn", "ConsoleUrl", "ConsoleDistributionDomain"} {
		if outs[name] == nil {
			t.Errorf("no output %s", name)
		}
	}
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		outs, _ := syn.template["Outputs"].(map[string]any)
		if got, want := render(get(outs, "ConsoleUrl", "Value")), wantPortalURL(t, syn); got != want {
			t.Errorf("console URL %s, want %s", got, want)
		}
		if got, want := render(get(outs, "ConsoleDistributionDomain", "Value")), "<"+distribution(t, syn.template).ID+".DomainName>"; got != want {
			t.Errorf("console distribution domain %s, want %s", got, want)
		}
	})
	if u := render(get(outs, "ManagedLoginUrl", "Value")); !strings.HasSuffix(u, ".amazoncognito.com") {
		t.Errorf("managed login URL %s", u)
	}
}

func TestSenderDomainVariant(t *testing.T) {
	tpl := domainVariant.template
	ident := tpl.one(t, "AWS::SES::EmailIdentity")
	if ident.Props["EmailIdentity"] != "mail.acme.example" {
		t.Errorf("identity %v, want the domain", ident.Props["EmailIdentity"])
	}
	if domainVariant.settings.SenderEmail != "no-reply@mail.acme.example" {
		t.Errorf("sender %s", domainVariant.settings.SenderEmail)
	}
	outs, _ := tpl["Outputs"].(map[string]any)
	for i := 1; i <= 3; i++ {
		if outs[fmt.Sprintf("DkimRecord%d", i)] == nil {
			t.Errorf("no DKIM record %d in the outputs", i)
		}
	}
	email := tpl.one(t, "AWS::Cognito::UserPool").Props["EmailConfiguration"].(map[string]any)
	if email["EmailSendingAccount"] != "DEVELOPER" || !strings.HasSuffix(render(email["SourceArn"]), ":identity/mail.acme.example") {
		t.Errorf("Cognito e-mail %v, want SES from the domain", email)
	}
	if d := tpl.one(t, "AWS::Cognito::UserPoolDomain").Props["Domain"]; d != "acme-portal" {
		t.Errorf("domain prefix %v", d)
	}
	c := tpl.one(t, "AWS::Cognito::UserPoolClient").Props
	want := []string{"https://console.acme.example", "https://console.acme.example/", "http://localhost:5173", "http://localhost:5173/"}
	for _, key := range []string{"CallbackURLs", "LogoutURLs"} {
		if got := strs(c[key]); !slices.Equal(got, want) {
			t.Errorf("%s %v, want %v", key, got, want)
		}
	}
}

// strs renders each value of a list.
func strs(v any) []string {
	var s []string
	for _, x := range list(v) {
		s = append(s, render(x))
	}
	return s
}

// Password reset e-mails are written by the custom-message function, which
// only the pool may invoke.
func TestResetMailsAreTheCustomMessageTrigger(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		tpl := syn.template
		fns := functions(t, tpl)
		pool := tpl.one(t, "AWS::Cognito::UserPool")
		fn := fns["custom-message"]
		if got := render(get(pool.Props, "LambdaConfig", "CustomMessage")); got != "<"+fn.ID+".Arn>" {
			t.Errorf("custom message trigger %s, want <%s.Arn>", got, fn.ID)
		}
		var invokers []string
		for _, perm := range tpl.resources("AWS::Lambda::Permission") {
			if render(perm.Props["FunctionName"]) != "<"+fn.ID+".Arn>" {
				continue
			}
			invokers = append(invokers, fmt.Sprint(perm.Props["Principal"])+" "+render(perm.Props["SourceArn"]))
		}
		if want := "cognito-idp.amazonaws.com <" + pool.ID + ".Arn>"; len(invokers) != 1 || invokers[0] != want {
			t.Errorf("custom-message may be invoked by %v, want only %s", invokers, want)
		}
		if fn.Props["Timeout"] != float64(5) {
			t.Errorf("custom-message timeout %v, want Cognito's 5 s", fn.Props["Timeout"])
		}
	})
}

// deadLetters are the dead-letter queues of the tasks, by the id they are
// made under.
var deadLetters = map[string]string{
	routes.TriggerMailEvents: "MailFeedbackDeadLetters",
	routes.TriggerStream:     "PublishEventsDeadLetters",
}

// queueID is the logical id of the queue made under the id.
func queueID(t *testing.T, tpl template, id string) string {
	t.Helper()
	for _, q := range tpl.resources("AWS::SQS::Queue") {
		if strings.HasPrefix(q.ID, id) {
			return q.ID
		}
	}
	t.Fatalf("no queue %s", id)
	return ""
}
