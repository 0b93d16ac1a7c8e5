package main

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
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
func addRoutes(p *stackParts, api awsapigatewayv2.HttpApi, fns map[string]awslambda.Function) {
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
		if r.Public {
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
		if r.Public {
			cdknag.NagSuppressions_AddResourceSuppressions(route, &[]*cdknag.NagPackSuppression{{
				Id:     jsii.String("AwsSolutions-APIG4"),
				Reason: jsii.String("Public by design (route table): " + r.Who + " may call it; invitation routes check the single-use token and are throttled."),
			}}, jsii.Bool(true))
			if r.Table != routes.TableNone || len(r.Identity) > 0 {
				limited = append(limited, route)
				publicLimit[r.Method+" "+r.Path] = map[string]any{
					"ThrottlingRateLimit":  publicRate,
					"ThrottlingBurstLimit": publicBurst,
				}
			}
		}
	}

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
