package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/portalaccess/portalaccess/shared/console"
	"github.com/portalaccess/portalaccess/shared/lambdafn/origin"
)

// The web console on AWS: its static files (shared/console/static, no build
// step) in a private bucket that only the CloudFront distribution reads
// (origin access control), served over HTTPS with the console's security
// headers. config.json is written at deploy with the stack's values.
//
// Why S3 and CloudFront: the console is static, so no function runs for it
// (no cold start, nothing to patch); CloudFront gives the HTTPS address
// that invitation links need, response headers policies for the CSP and
// HSTS, and a function at the edge for /accept-invitation; the bucket stays
// private.

const (
	// consoleConfigKey is the object the console reads at start.
	consoleConfigKey = "config.json"
	// hstsMaxAgeDays is two years, as the HSTS preload list asks (without
	// preloading: that is a promise for the whole domain).
	hstsMaxAgeDays = 730
)

// consoleFiles must be in ConsoleDir: the pages the distribution serves.
var consoleFiles = []string{"index.html", "accept-invitation.html"}

// acceptInvitationCode runs at each viewer request (cloudfront-js-2.0): the
// invitation page lives at /accept-invitation, a file without extension
// that S3 does not have. /accept-invitation/ is sent there, because the
// page's relative paths (css/, js/) would otherwise resolve below it; the
// browser keeps the #token fragment across the redirect.
const acceptInvitationCode = `function handler(event) {
  var request = event.request;
  if (request.uri === '/accept-invitation') {
    request.uri = '/accept-invitation.html';
    return request;
  }
  if (request.uri === '/accept-invitation/') {
    return {
      statusCode: 302,
      statusDescription: 'Found',
      headers: { location: { value: '/accept-invitation' }, 'cache-control': { value: 'no-store' } }
    };
  }
  return request;
}
`

// viewerAddressCode runs at each viewer request of /v1/* (cloudfront-js-2.0):
// it tells the API the viewer's address, replacing any such header the
// viewer sent. Behind CloudFront, API Gateway's sourceIp is an edge
// server's; the functions take this header instead, and only from a request
// that carries the origin secret (shared/lambdafn/origin).
const viewerAddressCode = `function handler(event) {
  var request = event.request;
  request.headers['` + viewerAddressHeader + `'] = { value: event.viewer.ip };
  return request;
}
`

// The headers between the distribution and the API, as the functions read
// them (shared/lambdafn/origin).
const (
	originSecretHeader  = origin.Header
	viewerAddressHeader = origin.ViewerAddressHeader
	// apiPathPattern is the behaviour that sends the API to API Gateway.
	apiPathPattern = "/v1/*"
	// apiOriginTimeout: bulk-invite-users may run 29 s.
	apiOriginTimeout = 30
)

type consoleSite struct {
	scope        constructs.Construct
	bucket       awss3.Bucket
	distribution awscloudfront.Distribution
	// url is https://<the console's domain>, without a trailing slash.
	url string
}

// newConsoleSite makes the bucket and the distribution, which serves the
// console from the bucket and the API under /v1/ from API Gateway. authURL
// is the managed login's URL, which the Content-Security-Policy lets the
// console connect to besides its own origin.
func newConsoleSite(p *stackParts, api awsapigatewayv2.HttpApi, authURL *string) *consoleSite {
	scope := constructs.NewConstruct(p.stack, jsii.String("Console"))
	bucket := awss3.NewBucket(scope, jsii.String("Bucket"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		// Only files of the repository, deployed again by each deploy.
		Versioned:     jsii.Bool(false),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(bucket, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-S1"), Reason: jsii.String("Holds only the console's public static files, written by the deployment and read only by CloudFront (origin access control).")},
	}, jsii.Bool(false))

	fn := awscloudfront.NewFunction(scope, jsii.String("AcceptInvitationPath"), &awscloudfront.FunctionProps{
		Comment: jsii.String("Serves /accept-invitation from accept-invitation.html"),
		Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
		Code:    awscloudfront.FunctionCode_FromInline(jsii.String(acceptInvitationCode)),
	})

	props := &awscloudfront.DistributionProps{
		Comment:           jsii.String("Portal Access web console"),
		DefaultRootObject: jsii.String("index.html"),
		HttpVersion:       awscloudfront.HttpVersion_HTTP2_AND_3,
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:               awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(bucket, nil),
			ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
			// The objects carry their Cache-Control (no-cache, no-store for
			// config.json) for browsers; each deploy invalidates the edge.
			CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
			Compress:              jsii.Bool(true),
			ResponseHeadersPolicy: newConsoleHeaders(scope, authURL),
			FunctionAssociations: &[]*awscloudfront.FunctionAssociation{{
				Function: fn, EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST,
			}},
		},
		AdditionalBehaviors:    &map[string]*awscloudfront.BehaviorOptions{apiPathPattern: apiBehavior(p, scope, api)},
		MinimumProtocolVersion: awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021,
		// AWS WAF, from the edge stack in us-east-1 (edge.go).
		WebAclId: p.props.edge.WebACLArn,
	}
	if s := p.props.Settings; s.ConsoleDomain != "" {
		props.DomainNames = jsii.Strings(s.ConsoleDomain)
		props.Certificate = awscertificatemanager.Certificate_FromCertificateArn(scope, jsii.String("Certificate"), jsii.String(s.CertificateArn))
		props.SslSupportMethod = awscloudfront.SSLMethod_SNI
	}
	dist := awscloudfront.NewDistribution(scope, jsii.String("Distribution"), props)

	nag := []*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-CFR1"), Reason: jsii.String("Portal users sign in from anywhere; the console is static files and the API checks every caller.")},
		{Id: jsii.String("AwsSolutions-CFR3"), Reason: jsii.String("AWS WAF logs every request the distribution receives (edge stack), and the API's stage keeps its access logs.")},
	}
	if p.props.ConsoleDomain == "" {
		nag = append(nag, &cdknag.NagPackSuppression{
			Id:     jsii.String("AwsSolutions-CFR4"),
			Reason: jsii.String("The default *.cloudfront.net certificate cannot set TLSv1.2_2021; deploy with consoleDomain and certificateArn to enforce it."),
		})
	}
	cdknag.NagSuppressions_AddResourceSuppressions(dist, &nag, jsii.Bool(false))

	return &consoleSite{
		scope:        scope,
		bucket:       bucket,
		distribution: dist,
		url:          *awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), dist.DistributionDomainName()}),
	}
}

// consoleCSP is console.ContentSecurityPolicy with the managed login's URL
// and Cognito's API endpoint, tokens at synth: the policy is made with
// placeholders that the tokens then replace, so that the console package
// stays the one author of it. The API is the console's own origin
// ('self'): config.json's apiUrl is empty.
func consoleCSP(authURL *string) string {
	const authPlaceholder = "https://auth.placeholder.invalid"
	const cognitoPlaceholder = "https://cognito.placeholder.invalid"
	csp := console.ContentSecurityPolicy(console.Config{Mode: console.ModeAWS, AuthDomain: authPlaceholder, CognitoEndpoint: cognitoPlaceholder})
	if !strings.Contains(csp, authPlaceholder) || !strings.Contains(csp, cognitoPlaceholder) {
		panic("console.ContentSecurityPolicy no longer names the managed login and Cognito's endpoint")
	}
	csp = strings.Replace(csp, cognitoPlaceholder, *cognitoEndpoint(), 1)
	return strings.Replace(csp, authPlaceholder, *authURL, 1)
}

// cognitoEndpoint is the user pools' API endpoint of the stack's region.
func cognitoEndpoint() *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("https://cognito-idp."), awscdk.Aws_REGION(), jsii.String("."), awscdk.Aws_URL_SUFFIX(),
	})
}

// apiBehavior sends /v1/* to the HTTP API: every method, nothing cached,
// every viewer header but Host (API Gateway routes by its own host name;
// Authorization is forwarded because nothing is cached), the query string,
// the origin secret the functions check, and the viewer's address.
func apiBehavior(p *stackParts, scope constructs.Construct, api awsapigatewayv2.HttpApi) *awscloudfront.BehaviorOptions {
	domain := awscdk.Fn_Join(jsii.String(""), &[]*string{
		api.ApiId(), jsii.String(".execute-api."), awscdk.Aws_REGION(), jsii.String("."), awscdk.Aws_URL_SUFFIX(),
	})
	apiOrigin := awscloudfrontorigins.NewHttpOrigin(domain, &awscloudfrontorigins.HttpOriginProps{
		ProtocolPolicy:     awscloudfront.OriginProtocolPolicy_HTTPS_ONLY,
		OriginSslProtocols: &[]awscloudfront.OriginSslPolicy{awscloudfront.OriginSslPolicy_TLS_V1_2},
		ReadTimeout:        awscdk.Duration_Seconds(jsii.Number(apiOriginTimeout)),
		// CloudFront replaces a viewer's header of the same name.
		CustomHeaders: &map[string]*string{originSecretHeader: p.originHeaderValue()},
	})
	viewer := awscloudfront.NewFunction(scope, jsii.String("ViewerAddress"), &awscloudfront.FunctionProps{
		Comment: jsii.String("Tells the API the viewer's address"),
		Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
		Code:    awscloudfront.FunctionCode_FromInline(jsii.String(viewerAddressCode)),
	})
	headers := awscloudfront.NewResponseHeadersPolicy(scope, jsii.String("ApiHeaders"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("Portal Access API: HSTS (the functions set the rest, CORS included)"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(hstsMaxAgeDays)),
				IncludeSubdomains:   jsii.Bool(true),
				Override:            jsii.Bool(true),
			},
		},
	})
	return &awscloudfront.BehaviorOptions{
		Origin: apiOrigin,
		// An API answers on HTTPS only: a redirect would turn a POST into a GET.
		ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
		AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_ALL(),
		CachePolicy:           awscloudfront.CachePolicy_CACHING_DISABLED(),
		OriginRequestPolicy:   awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
		ResponseHeadersPolicy: headers,
		Compress:              jsii.Bool(false),
		FunctionAssociations: &[]*awscloudfront.FunctionAssociation{{
			Function: viewer, EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST,
		}},
	}
}

var (
	frameOptions = map[string]awscloudfront.HeadersFrameOption{
		"DENY": awscloudfront.HeadersFrameOption_DENY, "SAMEORIGIN": awscloudfront.HeadersFrameOption_SAMEORIGIN,
	}
	referrerPolicies = map[string]awscloudfront.HeadersReferrerPolicy{
		"no-referrer":                     awscloudfront.HeadersReferrerPolicy_NO_REFERRER,
		"same-origin":                     awscloudfront.HeadersReferrerPolicy_SAME_ORIGIN,
		"strict-origin":                   awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN,
		"strict-origin-when-cross-origin": awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
	}
)

// newConsoleHeaders is console.SecurityHeaders as a response headers
// policy, plus HSTS (the local console is plain http, so it has none).
// CloudFront takes the well-known security headers in their own fields,
// and any other header as a custom one.
func newConsoleHeaders(scope constructs.Construct, authURL *string) awscloudfront.ResponseHeadersPolicy {
	sec := &awscloudfront.ResponseSecurityHeadersBehavior{
		StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
			AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(hstsMaxAgeDays)),
			IncludeSubdomains:   jsii.Bool(true),
			Override:            jsii.Bool(true),
		},
	}
	var custom []*awscloudfront.ResponseCustomHeader
	headers := console.SecurityHeaders(console.Config{})
	names := make([]string, 0, len(headers))
	for name := range headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		value := headers[name]
		switch name {
		case "Content-Security-Policy":
			sec.ContentSecurityPolicy = &awscloudfront.ResponseHeadersContentSecurityPolicy{
				ContentSecurityPolicy: jsii.String(consoleCSP(authURL)), Override: jsii.Bool(true),
			}
		case "X-Content-Type-Options":
			if value != "nosniff" {
				panic(fmt.Sprintf("X-Content-Type-Options %q: CloudFront sets only nosniff", value))
			}
			sec.ContentTypeOptions = &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)}
		case "X-Frame-Options":
			opt, ok := frameOptions[value]
			if !ok {
				panic(fmt.Sprintf("X-Frame-Options %q has no CloudFront equivalent", value))
			}
			sec.FrameOptions = &awscloudfront.ResponseHeadersFrameOptions{FrameOption: opt, Override: jsii.Bool(true)}
		case "Referrer-Policy":
			pol, ok := referrerPolicies[value]
			if !ok {
				panic(fmt.Sprintf("Referrer-Policy %q has no CloudFront equivalent here", value))
			}
			sec.ReferrerPolicy = &awscloudfront.ResponseHeadersReferrerPolicy{ReferrerPolicy: pol, Override: jsii.Bool(true)}
		default:
			custom = append(custom, &awscloudfront.ResponseCustomHeader{
				Header: jsii.String(name), Value: jsii.String(value), Override: jsii.Bool(true),
			})
		}
	}
	props := &awscloudfront.ResponseHeadersPolicyProps{
		Comment:                 jsii.String("Portal Access console: the security headers of shared/console"),
		SecurityHeadersBehavior: sec,
	}
	if len(custom) > 0 {
		props.CustomHeadersBehavior = &awscloudfront.ResponseCustomHeadersBehavior{CustomHeaders: &custom}
	}
	return awscloudfront.NewResponseHeadersPolicy(scope, jsii.String("SecurityHeaders"), props)
}

// deploy uploads the static files and writes config.json (cfg, whose values
// are tokens: the deployment puts the deployed values in), then invalidates
// what it changed at the edge. Two deployments, because the Cache-Control
// differs: pages, scripts and styles are revalidated at every load
// (no-cache, with their ETag), config.json is never stored (no-store). The
// files' deployment prunes what a newer console no longer has, except
// config.json.
func (c *consoleSite) deploy(p *stackParts, cfg console.Config) {
	scope := c.scope
	// console.Config's own JSON names, as a map that jsii passes on.
	var config map[string]any
	if b, err := json.Marshal(cfg); err != nil || json.Unmarshal(b, &config) != nil {
		panic(fmt.Sprintf("console config: %v", err))
	}
	// One handler runs both deployments (a singleton): its role and logs.
	role := awsiam.NewRole(scope, jsii.String("DeployRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Deploys the console's files to its bucket and invalidates the distribution."),
	})
	logs := awslogs.NewLogGroup(scope, jsii.String("DeployLogs"), &awslogs.LogGroupProps{Retention: p.logRetention})
	logs.GrantWrite(role)

	files := awss3deployment.NewBucketDeployment(scope, jsii.String("Files"), &awss3deployment.BucketDeploymentProps{
		Sources:           &[]awss3deployment.ISource{awss3deployment.Source_Asset(jsii.String(p.props.ConsoleDir), nil)},
		DestinationBucket: c.bucket,
		Exclude:           jsii.Strings(consoleConfigKey),
		CacheControl:      &[]awss3deployment.CacheControl{awss3deployment.CacheControl_NoCache()},
		Distribution:      c.distribution,
		DistributionPaths: jsii.Strings("/*"),
		Role:              role,
		LogGroup:          logs,
	})
	configFile := awss3deployment.NewBucketDeployment(scope, jsii.String("Config"), &awss3deployment.BucketDeploymentProps{
		Sources:           &[]awss3deployment.ISource{awss3deployment.Source_JsonData(jsii.String(consoleConfigKey), config, nil)},
		DestinationBucket: c.bucket,
		Prune:             jsii.Bool(false),
		CacheControl:      &[]awss3deployment.CacheControl{awss3deployment.CacheControl_NoStore()},
		Distribution:      c.distribution,
		DistributionPaths: jsii.Strings("/" + consoleConfigKey),
		Role:              role,
		LogGroup:          logs,
	})
	// One after the other: the files' prune and the config's write never
	// race, and a first deploy is complete when the config is there.
	configFile.Node().AddDependency(files)

	// The grants are BucketDeployment's own, for its handler (aws s3 sync).
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("BucketDeployment's own grants: read its zipped assets, sync (put, list, prune) the console bucket's objects, invalidate (CDK grants that on *)."),
		AppliesTo: &[]any{
			"Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*", "Action::s3:DeleteObject*", "Action::s3:Abort*",
			"Resource::*",
			&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::<ConsoleBucket[A-Za-z0-9]+\.Arn>\/\*$/g`)},
			&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-<AWS::AccountId>-[a-z0-9-]+\/\*$/g`)},
		},
	}}, jsii.Bool(true))
	for _, child := range *p.stack.Node().Children() {
		if strings.HasPrefix(*child.Node().Id(), deployHandlerPrefix) {
			if fn, ok := child.(awslambda.Function); ok {
				dependOnPolicyOnly(fn, role)
			}
			cdknag.NagSuppressions_AddResourceSuppressions(child, &[]*cdknag.NagPackSuppression{{
				Id:     jsii.String("AwsSolutions-L1"),
				Reason: jsii.String("BucketDeployment's handler: aws-cdk-lib chooses its Python runtime and moves it forward with upgrades."),
			}}, jsii.Bool(true))
		}
	}
}

// deployHandlerPrefix begins the id of BucketDeployment's handler, a
// singleton function at the stack's root.
const deployHandlerPrefix = "Custom::CDKBucketDeployment"

// checkConsole makes sure that ConsoleDir holds the console.
func checkConsole(dir string) error {
	if dir == "" {
		return errors.New("ConsoleDir is not set")
	}
	var missing []string
	for _, f := range consoleFiles {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			missing = append(missing, filepath.Join(dir, f))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the web console's files are missing: %s", strings.Join(missing, ", "))
	}
	return nil
}
