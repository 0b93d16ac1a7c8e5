package main

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/portalaccess/portalaccess/shared/routes"
)

// Throttling (requests per second and burst) of the API's default stage,
// and of the public routes that reach the table or Cognito without a token:
// accepting and inspecting invitations, which guessing would target.
const (
	defaultRate, defaultBurst = 100, 200
	publicRate, publicBurst   = 5, 10
)

var (
	httpMethods = map[string]awsapigatewayv2.HttpMethod{
		"GET": awsapigatewayv2.HttpMethod_GET, "POST": awsapigatewayv2.HttpMethod_POST, "PUT": awsapigatewayv2.HttpMethod_PUT,
		"PATCH": awsapigatewayv2.HttpMethod_PATCH, "DELETE": awsapigatewayv2.HttpMethod_DELETE,
		// A browser's preflight before a portal's call from its own origin.
		"OPTIONS": awsapigatewayv2.HttpMethod_OPTIONS,
	}
)

// accessLogFormat is one JSON line a request. It never holds the
// Authorization header or any other header, nor the body: the caller is
// the token's sub, once the authorizer has checked it.
var accessLogFormat = func() string {
	b, err := json.Marshal(map[string]string{
		"requestId":          "$context.requestId",
		"requestTime":        "$context.requestTime",
		"ip":                 "$context.identity.sourceIp",
		"userAgent":          "$context.identity.userAgent",
		"method":             "$context.httpMethod",
		"routeKey":           "$context.routeKey",
		"path":               "$context.path",
		"protocol":           "$context.protocol",
		"status":             "$context.status",
		"responseLength":     "$context.responseLength",
		"responseLatency":    "$context.responseLatency",
		"integrationLatency": "$context.integrationLatency",
		"integrationError":   "$context.integrationErrorMessage",
		"authorizerError":    "$context.authorizer.error",
		"sub":                "$context.authorizer.claims.sub",
	})
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// newHTTPAPI makes the HTTP API; addRoutes gives it its routes. It has no
// CORS configuration: the console calls it on its own origin, through the
// distribution (console.go), and the routes that portal setups on other
// origins will call answer CORS themselves, which API Gateway passes
// through only while the API configures none.
func newHTTPAPI(p *stackParts) awsapigatewayv2.HttpApi {
	return awsapigatewayv2.NewHttpApi(p.stack, jsii.String("Api"), &awsapigatewayv2.HttpApiProps{
		Description: jsii.String("Portal Access API (served under /v1/ by the console's CloudFront distribution)"),
	})
}

// addRoutes serves every route of the route table by its function, behind
// the Cognito JWT authorizer unless the route is public.
//
// API Gateway invokes the functions as one role of its own (the
// integrations' CredentialsArn), allowed lambda:InvokeFunction on exactly
// the routes' functions, in place of a Lambda::Permission per route: the
// stack keeps one resource where it had one a route, under
// CloudFormation's 500 resources a stack.
func addRoutes(p *stackParts, api awsapigatewayv2.HttpApi, fns map[string]awslambda.Function) {
	invoker := awsiam.NewRole(p.stack, jsii.String("ApiInvokeRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("apigateway.amazonaws.com"), nil),
		Description: jsii.String("API Gateway invokes the routes' functions (and nothing else) as this role"),
	})
	var invoked []*string
	seen := map[string]bool{}
	// Issuer: the user pool; audience: the web client (an access token's
	// client_id), never the pool id.
	authorizer := awsapigatewayv2authorizers.NewHttpUserPoolAuthorizer(jsii.String("CognitoJwt"), p.pool,
		&awsapigatewayv2authorizers.HttpUserPoolAuthorizerProps{
			AuthorizerName:  jsii.String("cognito-jwt"),
			UserPoolClients: &[]awscognito.IUserPoolClient{p.client},
		})

	var limited []awsapigatewayv2.HttpRoute
	publicLimit := map[string]any{}
	for _, r := range routes.Table {
		method, ok := httpMethods[r.Method]
		if !ok {
			panic(fmt.Sprintf("route %s: method %q is not an HTTP API method", r.Function, r.Method))
		}
		fn, ok := fns[r.Function]
		if !ok {
			panic(fmt.Sprintf("route %s has no function", r.Function))
		}
		var auth awsapigatewayv2.IHttpRouteAuthorizer = authorizer
		if r.Public || r.OwnToken {
			auth = awsapigatewayv2.NewHttpNoneAuthorizer()
		}
		route := awsapigatewayv2.NewHttpRoute(api, jsii.String(r.Function), &awsapigatewayv2.HttpRouteProps{
			HttpApi:  api,
			RouteKey: awsapigatewayv2.HttpRouteKey_With(jsii.String(r.Path), method),
			Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(r.Function), fn,
				&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
					PayloadFormatVersion: awsapigatewayv2.PayloadFormatVersion_VERSION_2_0(),
				}),
			Authorizer: auth,
		})
		// The integration's own permission (a Lambda::Permission per
		// route) gives way to the invoke role.
		route.Node().TryRemoveChild(jsii.String(r.Function + "-Permission"))
		integration := route.Node().FindChild(jsii.String(r.Function)).Node().DefaultChild().(awsapigatewayv2.CfnIntegration)
		integration.SetCredentialsArn(invoker.RoleArn())
		if !seen[r.Function] {
			seen[r.Function] = true
			invoked = append(invoked, fn.FunctionArn())
		}
		if r.OwnToken {
			// The authorizer's audience is a fixed list of app clients;
			// portal setups make theirs at run time. The function checks
			// the token itself (shared/jwtauth): the pool's signature and
			// issuer, an access token, an unexpired one, and a client that
			// is the console's or a registered portal's.
			cdknag.NagSuppressions_AddResourceSuppressions(route, &[]*cdknag.NagPackSuppression{{
				Id:     jsii.String("AwsSolutions-APIG4"),
				Reason: jsii.String("The function verifies the Cognito access token itself (signature, issuer, token_use, expiry, client registered in the table): portals' app clients are made at run time, beyond the JWT authorizer's fixed audience."),
			}}, jsii.Bool(true))
		}
		if r.Public {
			cdknag.NagSuppressions_AddResourceSuppressions(route, &[]*cdknag.NagPackSuppression{{
				Id:     jsii.String("AwsSolutions-APIG4"),
				Reason: jsii.String("Public by design (route table): " + r.Who + " may call it; invitation routes check the single-use token and are throttled."),
			}}, jsii.Bool(true))
			// The routes that write (the invitation routes: a guess costs a
			// rate count at least) or reach Cognito. A portal's preflight
			// only reads, and every portal user's browser sends one.
			if r.Table == routes.TableWrite || len(r.Identity) > 0 {
				limited = append(limited, route)
				publicLimit[r.Method+" "+r.Path] = map[string]any{
					"ThrottlingRateLimit":  publicRate,
					"ThrottlingBurstLimit": publicBurst,
				}
			}
		}
	}

	// The functions' ARNs themselves, without the ":*" of their versions
	// and aliases: the stack invokes $LATEST, and the policy stays within
	// a role's 10,240 characters.
	invoker.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &invoked,
	}))
	inlineGrants(invoker)

	logs := awslogs.NewLogGroup(p.stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{Retention: p.logRetention})
	stage := api.DefaultStage().Node().DefaultChild().(awsapigatewayv2.CfnStage)
	stage.SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: logs.LogGroupArn(),
		Format:         jsii.String(accessLogFormat),
	})
	stage.SetDefaultRouteSettings(&awsapigatewayv2.CfnStage_RouteSettingsProperty{
		ThrottlingRateLimit:  jsii.Number(defaultRate),
		ThrottlingBurstLimit: jsii.Number(defaultBurst),
	})
	stage.SetRouteSettings(publicLimit)
	// A stage's route settings name routes that must exist first.
	for _, r := range limited {
		stage.Node().AddDependency(r)
	}
}
