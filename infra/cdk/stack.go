package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/portalaccess/portalaccess/shared/console"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/routes"
	"github.com/portalaccess/portalaccess/shared/store"
)

// PortalAccessStackProps configures the stack: the deployer's settings
// (from the CDK context) and where the built functions are.
type PortalAccessStackProps struct {
	awscdk.StackProps
	Settings
	// AssetDir holds one directory per function, each with the bootstrap
	// binary that `make build` writes (bin/<function>/bootstrap).
	AssetDir string
	// ConsoleDir holds the web console's static files
	// (shared/console/static), deployed as they are.
	ConsoleDir string
	// edge is the stack of the distribution's web ACL (NewPortalAccess).
	edge *EdgeStack
}

// stackParts are the shared resources the functions and the API use.
type stackParts struct {
	stack        awscdk.Stack
	props        *PortalAccessStackProps
	table        awsdynamodb.Table
	pool         awscognito.UserPool
	client       awscognito.UserPoolClient
	identity     awsses.EmailIdentity
	configSet    awsses.ConfigurationSet
	configSetArn *string
	cursorSecret awssecretsmanager.Secret
	// webhookKey seals webhook subscriptions' secrets (WEBHOOK_KEY).
	webhookKey awssecretsmanager.Secret
	// bus is the stack's event bus (publish-events puts on it).
	bus          awsevents.EventBus
	originSecret awssecretsmanager.Secret
	logRetention awslogs.RetentionDays
	// portalURL is the console's address (PORTAL_URL), and origins receive
	// the managed login's redirects: the settings', or the distribution's
	// https://<id>.cloudfront.net (a token) when the settings name none.
	portalURL string
	origins   []string
	// ops gathers the alarms and the dashboard.
	ops *operations
	// managedLoginURL is the pool's managed login domain, where portals
	// send their users to sign in.
	managedLoginURL *string
}

// issuer is the pool's token issuer, https://cognito-idp.<region>.amazonaws.com/<pool id>.
func (p *stackParts) issuer() *string { return p.pool.UserPoolProviderUrl() }

// NewPortalAccess adds the product to the app: the edge stack in us-east-1
// (the web ACL, see edge.go) and the main stack in env's region, which
// reads the web ACL's ARN across regions. env names the main stack's
// region (and account, when known); both stacks deploy to that account.
func NewPortalAccess(scope constructs.Construct, env *awscdk.Environment, props *PortalAccessStackProps) (main awscdk.Stack, edge *EdgeStack) {
	props.Settings.applyDefaults()
	if err := props.Settings.Validate(); err != nil {
		panic(fmt.Sprintf("portal access stack: %v", err))
	}
	if env == nil || env.Region == nil || *env.Region == "" {
		panic("portal access stack: the main stack needs its region (AWS_REGION) at synth: the edge stack's web ACL is read across regions")
	}
	edge = NewEdgeStack(scope, props.Settings, &awscdk.Environment{Account: env.Account, Region: jsii.String(edgeRegion)})
	props.StackProps.Env = env
	props.StackProps.CrossRegionReferences = jsii.Bool(true)
	props.edge = edge
	main = NewPortalAccessStack(scope, props.Settings.MainStackName(), props)
	main.AddDependency(edge.Stack, jsii.String("the distribution uses the edge stack's web ACL"))
	return main, edge
}

// NewPortalAccessStack is the whole product on AWS but its web ACL: the
// table, the user pool and its managed login, SES, one function per entry
// of the route table, the HTTP API behind the console's CloudFront
// distribution, the sweep's schedule, the first operator admin, the web
// console (S3 and CloudFront), and the alarms and dashboard.
func NewPortalAccessStack(scope constructs.Construct, id string, props *PortalAccessStackProps) awscdk.Stack {
	props.Settings.applyDefaults()
	if err := props.Settings.Validate(); err != nil {
		panic(fmt.Sprintf("portal access stack: %v", err))
	}
	if props.edge == nil {
		panic("portal access stack: make it with NewPortalAccess, which makes the edge stack it needs")
	}
	if err := checkAssets(props.AssetDir); err != nil {
		panic(fmt.Sprintf("portal access stack: %v", err))
	}
	if err := checkConsole(props.ConsoleDir); err != nil {
		panic(fmt.Sprintf("portal access stack: %v", err))
	}
	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	p := &stackParts{stack: stack, props: props, logRetention: retentionDays[props.LogRetentionDays]}

	p.table = newTable(stack)
	p.identity, p.configSet, p.configSetArn = newMail(stack, props)
	var domain awscognito.UserPoolDomain
	p.pool, domain = newUserPool(stack, props, cognitoEmail(p))
	if props.CognitoEmailViaSES {
		p.pool.Node().AddDependency(p.identity)
	}
	p.cursorSecret = newCursorSecret(stack)
	p.webhookKey = newWebhookKey(stack)
	p.originSecret = newOriginSecret(stack)

	// One origin: the distribution serves the console and, under /v1/,
	// the API, so the console calls its own origin (no CORS) and its CSP
	// names no API at all.
	api := newHTTPAPI(p)
	site := newConsoleSite(p, api, domain.BaseUrl(nil))
	p.portalURL = props.PortalURL
	p.origins = props.AllowedOrigins
	if p.portalURL == "" {
		p.portalURL = site.url
		p.origins = uniq(append([]string{site.url}, props.AllowedOrigins...))
	}
	p.client = newWebClient(stack, p.pool, redirectURLs(p.portalURL, p.origins))
	p.managedLoginURL = domain.BaseUrl(nil)
	p.ops = newOperations(p)

	fns := map[string]awslambda.Function{}
	for _, r := range allFunctions() {
		fns[r.Function] = p.newFunction(r)
	}
	addRoutes(p, api, fns)
	queues := map[string]awssqs.Queue{routes.QueueImports: importsQueue(p)}
	for _, r := range allFunctions() {
		if r.Queue != "" && r.Trigger != routes.TriggerQueue {
			queues[r.Queue].GrantSendMessages(fns[r.Function])
			fns[r.Function].AddEnvironment(jsii.String("IMPORT_QUEUE_URL"), queues[r.Queue].QueueUrl(), nil)
		}
	}
	site.deploy(p, console.Config{
		Mode: console.ModeAWS,
		// Empty: the console's own origin, where the distribution serves /v1/.
		APIURL:     "",
		Region:     *awscdk.Aws_REGION(),
		UserPoolID: *p.pool.UserPoolId(),
		ClientID:   *p.client.UserPoolClientId(),
		AuthDomain: *domain.BaseUrl(nil),
		// Cognito's own API, which the console calls with the operator's
		// token to set up an authenticator app (AssociateSoftwareToken,
		// VerifySoftwareToken): managed login offers no set-up while the
		// pool's MFA is optional.
		CognitoEndpoint: *cognitoEndpoint(),
	})

	for _, t := range routes.Tasks {
		switch t.Trigger {
		case routes.TriggerSchedule:
			scheduleSweep(p, fns[t.Function])
			p.ops.watchSweep(fns[t.Function])
		case routes.TriggerDeploy:
			firstOperatorAdmin(p, fns[t.Function])
		case routes.TriggerMailEvents:
			mailFeedback(p, fns[t.Function])
		case routes.TriggerStream:
			p.bus = publishEvents(p, fns[t.Function])
		case routes.TriggerQueue:
			if t.Queue == routes.QueueWebhooks {
				webhooks(p, fns[t.Function], p.bus)
				continue
			}
			consumeImports(p, fns[t.Function], queues[t.Queue])
		case routes.TriggerCognito:
			// Password reset e-mails in the language of the customer whose
			// portal asked (AddTrigger also lets the pool invoke it).
			p.pool.AddTrigger(awscognito.UserPoolOperation_CUSTOM_MESSAGE(), fns[t.Function], awscognito.LambdaVersion_V1_0)
		default:
			panic(fmt.Sprintf("portal access stack: task %s has an unknown trigger %q", t.Function, t.Trigger))
		}
	}
	p.ops.watchAPI(api)
	p.ops.watchFunctions(fns)
	p.ops.watchMail()
	p.ops.watchEdge(props.edge)
	p.ops.dashboardOf()

	out := func(name, desc string, value *string) {
		awscdk.NewCfnOutput(stack, jsii.String(name), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(desc)})
	}
	out("ApiUrl", "The API's base URL, the console's origin (routes start with /v1/); its execute-api address refuses requests that bypass the distribution.", jsii.String(originOf(p.portalURL)))
	out("UserPoolId", "The Cognito user pool.", p.pool.UserPoolId())
	out("AppClientId", "The web client's app client id: the JWT audience and the client_id of the managed login.", p.client.UserPoolClientId())
	out("UserPoolIssuer", "Tokens' issuer (iss); portals find the pool's endpoints and keys under <issuer>/.well-known/openid-configuration.", p.issuer())
	out("ManagedLoginUrl", "Cognito's managed login (hosted UI): sign-in and password reset.", domain.BaseUrl(nil))
	out("ConsoleUrl", "The web console (PORTAL_URL): invitation links are <ConsoleUrl>/accept-invitation#token=….", jsii.String(p.portalURL))
	out("ConsoleDistributionDomain", "The console's CloudFront domain: point the console's DNS name at it (CNAME or alias).", site.distribution.DistributionDomainName())
	out("TableName", "The DynamoDB table.", p.table.TableName())
	out("SesConfigurationSet", "The SES configuration set every invitation e-mail goes through.", p.configSet.ConfigurationSetName())
	out("SenderEmail", "The From address of invitation e-mails.", jsii.String(props.SenderEmail))
	out("CursorSecretArn", "The secret that signs paging cursors (CURSOR_SECRET); see the README to rotate it.", p.cursorSecret.SecretArn())
	out("OriginSecretArn", "The secret CloudFront sends to the API and the functions check (ORIGIN_SECRET); see the README to rotate it.", p.originSecret.SecretArn())
	out("AlarmTopicArn", "The SNS topic every alarm notifies; subscribe to it, or deploy with alarmEmail.", p.ops.topic.TopicArn())
	out("DashboardName", "The CloudWatch dashboard of this stack.", jsii.String(p.ops.dashboardName))
	if props.SenderDomain != "" {
		for i, rec := range *p.identity.DkimRecords() {
			out(fmt.Sprintf("DkimRecord%d", i+1), "A DKIM record to publish in the sender domain's DNS: <name> CNAME <value>.",
				awscdk.Fn_Join(jsii.String(" CNAME "), &[]*string{rec.Name, rec.Value}))
		}
	}
	return stack
}

// originOf is scheme://host of a URL, or the URL itself when it is a token
// (the distribution's https://<domain>, which has no path).
func originOf(u string) string {
	if parsed, err := url.Parse(u); err == nil && parsed.Scheme != "" && parsed.Host != "" && !strings.Contains(u, "${Token") {
		return parsed.Scheme + "://" + parsed.Host
	}
	return u
}

// newTable makes the single table from the schema that the code reads.
func newTable(stack awscdk.Stack) awsdynamodb.Table {
	str := func(name string) *awsdynamodb.Attribute {
		return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
	}
	table := awsdynamodb.NewTable(stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: str(store.AttrPK),
		SortKey:      str(store.AttrSK),
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection:  jsii.Bool(true),
		TimeToLiveAttribute: jsii.String(store.AttrTTL),
		// Every change's audit event reaches the stream, from which
		// publish-events makes the product's events (events.go).
		Stream: awsdynamodb.StreamViewType_NEW_IMAGE,
		// The table is the source of truth: deleting the stack keeps it.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	for _, ix := range store.Indexes {
		gsi := &awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   str(ix.PK),
			SortKey:        str(ix.SK),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		}
		switch {
		case ix.KeysOnly:
			gsi.ProjectionType = awsdynamodb.ProjectionType_KEYS_ONLY
		case ix.NonKey != nil:
			gsi.ProjectionType = awsdynamodb.ProjectionType_INCLUDE
			gsi.NonKeyAttributes = jsii.Strings(ix.NonKey...)
		}
		table.AddGlobalSecondaryIndex(gsi)
	}
	return table
}

// newUserPool makes the pool that holds sign-in identities only and its
// managed login domain (sign-in and password reset); newWebClient makes its
// client.
func newUserPool(stack awscdk.Stack, props *PortalAccessStackProps, email awscognito.UserPoolEmail) (awscognito.UserPool, awscognito.UserPoolDomain) {
	// Cognito's maximum is fixed at 256; the product's policy may not promise more.
	if identity.Policy.MaxLength > 256 {
		panic("the password policy's maximum exceeds Cognito's 256")
	}
	pool := awscognito.NewUserPool(stack, jsii.String("UserPool"), &awscognito.UserPoolProps{
		Email: email,
		// Identities are created only by accepting an invitation.
		SelfSignUpEnabled:   jsii.Bool(false),
		SignInAliases:       &awscognito.SignInAliases{Email: jsii.Bool(true)},
		SignInCaseSensitive: jsii.Bool(false),
		AutoVerify:          &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		KeepOriginal:        &awscognito.KeepOriginalAttrs{Email: jsii.Bool(true)},
		AccountRecovery:     awscognito.AccountRecovery_EMAIL_ONLY,
		// ASVS 5.0 6.2: length, no composition rules; the same values the
		// accept handler checks first.
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength:        jsii.Number(identity.Policy.MinLength),
			RequireLowercase: jsii.Bool(false),
			RequireUppercase: jsii.Bool(false),
			RequireDigits:    jsii.Bool(false),
			RequireSymbols:   jsii.Bool(false),
		},
		// Plus brings threat protection: compromised-credential checks
		// (ASVS 6.2.12) and adaptive authentication, enforced.
		FeaturePlan:                  awscognito.FeaturePlan_PLUS,
		StandardThreatProtectionMode: awscognito.StandardThreatProtectionMode_FULL_FUNCTION,
		// TOTP for everyone who wants it, never SMS. Optional at the pool:
		// the product requires it of operators (shared/app/mfa), which a
		// pool-wide REQUIRED would impose on every portal user too.
		Mfa:                awscognito.Mfa_OPTIONAL,
		MfaSecondFactor:    &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		DeletionProtection: jsii.Bool(true),
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(pool, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-COG1"), Reason: jsii.String("ASVS 5.0 6.2 asks for length (12 to 256), not composition rules; breached passwords are refused by threat protection.")},
		{Id: jsii.String("AwsSolutions-COG2"), Reason: jsii.String("TOTP MFA is optional at the pool so that portal users may opt in; operators are required to set up TOTP by the product (every API function refuses an operator without it: mfa_required), which the pool's setting cannot tell apart.")},
	}, jsii.Bool(false))

	prefix := jsii.String(props.DomainPrefix)
	if props.DomainPrefix == "" {
		// Prefixes are global per region: the stack's name and the account.
		prefix = awscdk.Fn_Join(jsii.String("-"), &[]*string{
			jsii.String(strings.ToLower(*stack.StackName())), stack.Account(),
		})
	}
	domain := pool.AddDomain(jsii.String("ManagedLogin"), &awscognito.UserPoolDomainOptions{
		CognitoDomain:       &awscognito.CognitoDomainOptions{DomainPrefix: prefix},
		ManagedLoginVersion: awscognito.ManagedLoginVersion_NEWER_MANAGED_LOGIN,
	})
	return pool, domain
}

// redirectURLs are where the managed login may send people back after
// sign-in and sign-out: the portal URL and each allowed origin, as given and
// with a trailing slash. The console sends redirect_uri and logout_uri as
// its own directory, <origin>/ when it is served at the root, and Cognito
// compares them exactly.
func redirectURLs(portalURL string, origins []string) []string {
	var out []string
	for _, u := range append([]string{portalURL}, origins...) {
		out = append(out, u, strings.TrimRight(u, "/")+"/")
	}
	return uniq(out)
}

// newWebClient makes the console's app client (authorization code with
// PKCE, no secret) and the managed login's style for it.
func newWebClient(stack awscdk.Stack, pool awscognito.UserPool, callbacks []string) awscognito.UserPoolClient {
	client := pool.AddClient(jsii.String("WebClient"), &awscognito.UserPoolClientOptions{
		GenerateSecret: jsii.Bool(false), // a browser keeps no secret: PKCE instead
		AuthFlows:      &awscognito.AuthFlow{UserSrp: jsii.Bool(true)},
		OAuth: &awscognito.OAuthSettings{
			Flows:        &awscognito.OAuthFlows{AuthorizationCodeGrant: jsii.Bool(true)},
			Scopes:       &[]awscognito.OAuthScope{awscognito.OAuthScope_OPENID(), awscognito.OAuthScope_EMAIL(), awscognito.OAuthScope_PROFILE(), awscognito.OAuthScope_COGNITO_ADMIN()},
			CallbackUrls: jsii.Strings(callbacks...),
			LogoutUrls:   jsii.Strings(callbacks...),
		},
		SupportedIdentityProviders: &[]awscognito.UserPoolClientIdentityProvider{awscognito.UserPoolClientIdentityProvider_COGNITO()},
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
		// Short-lived tokens: a disabled person is refused by the API at
		// once anyway (it reads the caller from the table), and sign-out
		// revokes the refresh token.
		AccessTokenValidity:  awscdk.Duration_Minutes(jsii.Number(15)),
		IdTokenValidity:      awscdk.Duration_Minutes(jsii.Number(15)),
		RefreshTokenValidity: awscdk.Duration_Days(jsii.Number(30)),
		// The e-mail is the membership's key in the table: people may not
		// change it themselves through the aws.cognito.signin.user.admin scope.
		ReadAttributes: awscognito.NewClientAttributes().WithStandardAttributes(&awscognito.StandardAttributesMask{
			Email: jsii.Bool(true), EmailVerified: jsii.Bool(true), Fullname: jsii.Bool(true),
		}),
		WriteAttributes: awscognito.NewClientAttributes().WithStandardAttributes(&awscognito.StandardAttributesMask{
			Fullname: jsii.Bool(true),
		}),
	})

	// Managed login shows its pages only for a client that has a style:
	// Cognito's own look until someone designs one.
	awscognito.NewCfnManagedLoginBranding(stack, jsii.String("ManagedLoginBranding"), &awscognito.CfnManagedLoginBrandingProps{
		UserPoolId:               pool.UserPoolId(),
		ClientId:                 client.UserPoolClientId(),
		UseCognitoProvidedValues: jsii.Bool(true),
	})
	return client
}

// newMail makes the SES identity (the address, or the whole domain) and the
// configuration set every invitation goes through.
func newMail(stack awscdk.Stack, props *PortalAccessStackProps) (awsses.EmailIdentity, awsses.ConfigurationSet, *string) {
	configSet := awsses.NewConfigurationSet(stack, jsii.String("MailConfigurationSet"), &awsses.ConfigurationSetProps{
		TlsPolicy:          awsses.ConfigurationSetTlsPolicy_REQUIRE,
		ReputationMetrics:  jsii.Bool(true),
		SuppressionReasons: awsses.SuppressionReasons_BOUNCES_AND_COMPLAINTS,
	})
	id := awsses.Identity_Email(jsii.String(props.SenderEmail))
	if props.SenderDomain != "" {
		id = awsses.Identity_Domain(jsii.String(props.SenderDomain))
	}
	identity := awsses.NewEmailIdentity(stack, jsii.String("SenderIdentity"), &awsses.EmailIdentityProps{
		Identity:         id,
		ConfigurationSet: configSet,
	})
	// The configuration set exposes no ARN attribute.
	arn := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("ses"),
		Resource:     jsii.String("configuration-set"),
		ResourceName: configSet.ConfigurationSetName(),
		ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
	return identity, configSet, arn
}

// cognitoEmail is how Cognito sends its own e-mails (password-reset
// codes): by default from Cognito's sender, limited to 50 e-mails a day; with
// cognitoEmailViaSes, from the product's sender through SES. Cognito refuses
// an SES identity that is not verified yet, hence the default for a first
// deploy.
func cognitoEmail(p *stackParts) awscognito.UserPoolEmail {
	if !p.props.CognitoEmailViaSES {
		return nil
	}
	opts := &awscognito.UserPoolSESOptions{
		FromEmail:            jsii.String(p.props.SenderEmail),
		FromName:             jsii.String("Portal Access"),
		ConfigurationSetName: p.configSet.ConfigurationSetName(),
		// The identity is this stack's, in the region it deploys to.
		SesRegion: awscdk.Aws_REGION(),
	}
	if p.props.SenderDomain != "" {
		opts.SesVerifiedDomain = jsii.String(p.props.SenderDomain)
	}
	return awscognito.UserPoolEmail_WithSES(opts)
}

// newCursorSecret makes the key that signs paging cursors: 64 characters
// of [A-Za-z0-9], which is valid base64 of 48 bytes (64 is a multiple of
// 4), as CURSOR_SECRET must be. The functions get its ARN
// (CURSOR_SECRET_ARN) and read the value from Secrets Manager at cold start.
func newCursorSecret(stack awscdk.Stack) awssecretsmanager.Secret {
	return newAlphanumericSecret(stack, "CursorSecret",
		"Signs paging cursors (CURSOR_SECRET): 64 alphanumerics, read as base64 of 48 bytes.",
		"Rotating only invalidates paging cursors in flight; rotate by hand as the README says (put-secret-value, deploy with cursorSecretVersion).")
}

// newAlphanumericSecret makes a secret of 64 letters and digits, which no
// header or base64 reading alters, with why it is rotated by hand rather
// than by a rotation function (cdk-nag's SMG4).
func newAlphanumericSecret(stack awscdk.Stack, id, description, rotation string) awssecretsmanager.Secret {
	s := awssecretsmanager.NewSecret(stack, jsii.String(id), &awssecretsmanager.SecretProps{
		Description: jsii.String(description),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:          jsii.Number(64),
			ExcludePunctuation:      jsii.Bool(true),
			IncludeSpace:            jsii.Bool(false),
			RequireEachIncludedType: jsii.Bool(true),
		},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(s, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-SMG4"), Reason: jsii.String(rotation)},
	}, jsii.Bool(false))
	return s
}

// newOriginSecret makes the value CloudFront sends to the API in the
// origin.Header and the functions compare (ORIGIN_SECRET): 64 letters and
// digits, which no header encoding alters. CloudFront gets it through a
// CloudFormation dynamic reference (a header takes only a value); the
// functions get its ARN (ORIGIN_SECRET_ARN) and read it at cold start.
func newOriginSecret(stack awscdk.Stack) awssecretsmanager.Secret {
	return newAlphanumericSecret(stack, "OriginSecret",
		"The header CloudFront adds to the API's requests (ORIGIN_SECRET): requests without it are refused.",
		"CloudFront and the functions take it at deploy; rotate by hand in two deploys as the README says (originSecretVersion, originSecretPreviousVersion).")
}

// secretValue is a dynamic reference to a secret's value: the current one,
// or the version pinned. Only CloudFront's origin header uses one: a
// function's environment never holds a secret's value (secretEnvironment).
func secretValue(secret awssecretsmanager.Secret, version string) *string {
	opts := &awscdk.SecretsManagerSecretOptions{}
	if version != "" {
		opts.VersionId = jsii.String(version)
	}
	return awscdk.SecretValue_SecretsManager(secret.SecretArn(), opts).UnsafeUnwrap()
}

// originHeaderValue is what CloudFront sends: the pinned (or current) version.
func (p *stackParts) originHeaderValue() *string {
	return secretValue(p.originSecret, p.props.OriginSecretVersion)
}

// scheduleSweep runs the sweep with an EventBridge rule: the rule invokes
// the function through its resource policy (scoped to the rule's ARN), so
// no role is needed, whereas the Scheduler target would add a role whose
// grant includes the function:* wildcard. Time zones and one-off schedules,
// Scheduler's extras, are not needed for "every minute".
func scheduleSweep(p *stackParts, fn awslambda.Function) {
	awsevents.NewRule(p.stack, jsii.String("SweepSchedule"), &awsevents.RuleProps{
		Description: jsii.String("Runs the invitation sweep: reminders, expiries, identities to bring in line."),
		Schedule:    awsevents.Schedule_Expression(jsii.String(p.props.SweepInterval)),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
			// A missed run is made up by the next one, a minute later.
			RetryAttempts: jsii.Number(0),
			MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(1)),
		})},
	})
}

// firstOperatorAdmin creates and invites the first operator admin at deploy:
// a plain Lambda-backed custom resource whose function answers CloudFormation
// itself (aws-lambda-go's cfn.LambdaWrap).
func firstOperatorAdmin(p *stackParts, fn awslambda.Function) {
	cr := awscdk.NewCustomResource(p.stack, jsii.String("FirstOperatorAdmin"), &awscdk.CustomResourceProps{
		ServiceToken: fn.FunctionArn(),
		ResourceType: jsii.String("Custom::FirstOperatorAdmin"),
		Properties:   &map[string]any{"AdminEmail": p.props.AdminEmail},
		// A function that cannot start never answers: fail the deploy after
		// five minutes rather than CloudFormation's hour.
		ServiceTimeout: awscdk.Duration_Minutes(jsii.Number(5)),
	})
	// The function itself is referenced by ServiceToken already (an
	// explicit dependency on it would be redundant: cfn-lint W3005).
	cr.Node().AddDependency(p.table, p.pool, p.client, p.identity, p.configSet)
}

func uniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
