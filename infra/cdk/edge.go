package main

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The edge: the AWS WAF web ACL of the console's CloudFront distribution,
// which serves the API under /v1/ too.
//
// Why a stack of its own in us-east-1: a web ACL for CloudFront (scope
// CLOUDFRONT) can only be made in us-east-1, and its logs must go to a log
// group there as well, whereas the product lives in the region the deployer
// chose. The distribution names the web ACL by its ARN, which AWS WAF makes
// at creation; the main stack reads it through CDK's cross-region
// references (crossRegionReferences: an SSM parameter that a small custom
// resource writes in the main region). The alternatives are worse: a
// custom resource calling WAF's API from the main stack makes rules that
// CloudFormation neither shows nor checks for drift; an ARN given as context
// after a separate deploy is a manual step every stage repeats; and moving
// the whole product to us-east-1 is not the deployer's choice to lose.
// The edge stack references nothing of the main one, so it deploys first and
// on its own (cdk deploy --all orders them).

// edgeRegion is where CloudFront's web ACLs and their logs must live.
const edgeRegion = "us-east-1"

// WAF rule names, also their metric names and the labels in the logs.
const (
	ruleIPReputation    = "AmazonIpReputation"
	ruleInvitationRate  = "InvitationRatePerClient"
	ruleAPIRate         = "ApiRatePerClient"
	ruleCommon          = "CommonRuleSet"
	ruleKnownBadInputs  = "KnownBadInputs"
	tooManyRequestsBody = "too-many-requests"
	// rateWindowSeconds is the window of the rate-based rules: the
	// shortest AWS WAF offers, so that a flood is cut off within a minute.
	rateWindowSeconds = 60
	// invitationPathPrefix and apiPathPrefix scope the rate-based rules.
	invitationPathPrefix = "/v1/invitations/"
	apiPathPrefix        = "/v1/"
)

// tooManyRequests is the body of the edge's 429: the API's own problem
// shape and code (rate_limited), so that a client handles the edge's and the
// handler's limits alike. AWS WAF offers no application/problem+json
// content type; application/json is the nearest it has.
var tooManyRequests = func() string {
	b, err := json.Marshal(map[string]any{
		"type":   "urn:portal-access:problem:rate_limited",
		"title":  "Too Many Requests",
		"status": 429,
		"detail": fmt.Sprintf("Too many requests from this address; try again in %d seconds.", rateWindowSeconds),
		"code":   "rate_limited",
	})
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// EdgeStack is the web ACL's stack; WebACLArn goes to the distribution.
type EdgeStack struct {
	awscdk.Stack
	WebACLArn *string
	// WebACLName and the rule names are what the dashboard graphs.
	WebACLName string
}

// NewEdgeStack makes the web ACL and its logging in us-east-1.
func NewEdgeStack(scope constructs.Construct, s Settings, env *awscdk.Environment) *EdgeStack {
	stack := awscdk.NewStack(scope, jsii.String(s.EdgeStackName()), &awscdk.StackProps{
		Description:           jsii.String("Portal Access edge: the AWS WAF web ACL of the console's and API's CloudFront distribution (us-east-1)"),
		Env:                   env,
		CrossRegionReferences: jsii.Bool(true),
	})
	name := s.MainStackName()
	visibility := func(metric string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
		return &awswafv2.CfnWebACL_VisibilityConfigProperty{
			CloudWatchMetricsEnabled: jsii.Bool(true),
			MetricName:               jsii.String(metric),
			SampledRequestsEnabled:   jsii.Bool(true),
		}
	}
	managed := func(priority int, rule, group string, overrides ...string) *awswafv2.CfnWebACL_RuleProperty {
		var over []any
		for _, o := range overrides {
			over = append(over, &awswafv2.CfnWebACL_RuleActionOverrideProperty{
				Name:        jsii.String(o),
				ActionToUse: &awswafv2.CfnWebACL_RuleActionProperty{Count: &awswafv2.CfnWebACL_CountActionProperty{}},
			})
		}
		g := &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{VendorName: jsii.String("AWS"), Name: jsii.String(group)}
		if len(over) > 0 {
			g.RuleActionOverrides = &over
		}
		return &awswafv2.CfnWebACL_RuleProperty{
			Name:             jsii.String(rule),
			Priority:         jsii.Number(priority),
			Statement:        &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: g},
			OverrideAction:   &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}},
			VisibilityConfig: visibility(rule),
		}
	}
	rate := func(priority int, rule, prefix string, limit int) *awswafv2.CfnWebACL_RuleProperty {
		return &awswafv2.CfnWebACL_RuleProperty{
			Name:     jsii.String(rule),
			Priority: jsii.Number(priority),
			Statement: &awswafv2.CfnWebACL_StatementProperty{RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
				Limit:               jsii.Number(limit),
				EvaluationWindowSec: jsii.Number(rateWindowSeconds),
				// The viewer's own address: CloudFront is the client here,
				// so no forwarded header (which a client could forge) is read.
				AggregateKeyType: jsii.String("IP"),
				ScopeDownStatement: &awswafv2.CfnWebACL_StatementProperty{ByteMatchStatement: &awswafv2.CfnWebACL_ByteMatchStatementProperty{
					FieldToMatch:         &awswafv2.CfnWebACL_FieldToMatchProperty{UriPath: map[string]any{}},
					PositionalConstraint: jsii.String("STARTS_WITH"),
					SearchString:         jsii.String(prefix),
					// What API Gateway would route: decoded, with dot
					// segments and doubled slashes gone, in any case.
					TextTransformations: &[]any{
						&awswafv2.CfnWebACL_TextTransformationProperty{Priority: jsii.Number(0), Type: jsii.String("URL_DECODE")},
						&awswafv2.CfnWebACL_TextTransformationProperty{Priority: jsii.Number(1), Type: jsii.String("NORMALIZE_PATH")},
						&awswafv2.CfnWebACL_TextTransformationProperty{Priority: jsii.Number(2), Type: jsii.String("LOWERCASE")},
					},
				}},
			}},
			Action: &awswafv2.CfnWebACL_RuleActionProperty{Block: &awswafv2.CfnWebACL_BlockActionProperty{
				CustomResponse: &awswafv2.CfnWebACL_CustomResponseProperty{
					ResponseCode:          jsii.Number(429),
					CustomResponseBodyKey: jsii.String(tooManyRequestsBody),
					ResponseHeaders: &[]any{&awswafv2.CfnWebACL_CustomHTTPHeaderProperty{
						Name: jsii.String("Retry-After"), Value: jsii.String(fmt.Sprint(rateWindowSeconds)),
					}},
				},
			}},
			VisibilityConfig: visibility(rule),
		}
	}
	acl := awswafv2.NewCfnWebACL(stack, jsii.String("WebAcl"), &awswafv2.CfnWebACLProps{
		Name:             jsii.String(name),
		Description:      jsii.String("Portal Access: the console and the API at the edge"),
		Scope:            jsii.String("CLOUDFRONT"),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: &awswafv2.CfnWebACL_AllowActionProperty{}},
		VisibilityConfig: visibility(name),
		CustomResponseBodies: map[string]any{tooManyRequestsBody: &awswafv2.CfnWebACL_CustomResponseBodyProperty{
			ContentType: jsii.String("APPLICATION_JSON"),
			Content:     jsii.String(tooManyRequests),
		}},
		Rules: &[]any{
			// Addresses AWS's threat intelligence knows for bots and
			// reconnaissance: refused before they count against anything.
			managed(0, ruleIPReputation, "AWSManagedRulesAmazonIpReputationList"),
			// One client's flood of the public routes, then of the API,
			// answered 429 here before it uses up the throttles that every
			// client shares behind the distribution.
			rate(1, ruleInvitationRate, invitationPathPrefix, s.WafInvitationLimit),
			rate(2, ruleAPIRate, apiPathPrefix, s.WafAPILimit),
			// OWASP-style checks. SizeRestrictions_BODY refuses bodies over
			// 8 KB, and a bulk invite of 100 people is larger: it only counts
			// (the handler bounds what it decodes), the rest block.
			managed(3, ruleCommon, "AWSManagedRulesCommonRuleSet", "SizeRestrictions_BODY"),
			// Request patterns known to exploit software (Log4j and the like).
			managed(4, ruleKnownBadInputs, "AWSManagedRulesKnownBadInputsRuleSet"),
		},
	})

	// AWS WAF writes only to log groups whose names begin aws-waf-logs-,
	// in the web ACL's region; the name carries the stage.
	logName := "aws-waf-logs-" + staged("portalaccess", s.Stage)
	logs := awslogs.NewLogGroup(stack, jsii.String("WafLogs"), &awslogs.LogGroupProps{
		LogGroupName: jsii.String(logName),
		Retention:    retentionDays[s.LogRetentionDays],
	})
	awswafv2.NewCfnLoggingConfiguration(stack, jsii.String("WafLogging"), &awswafv2.CfnLoggingConfigurationProps{
		ResourceArn: acl.AttrArn(),
		// AWS WAF takes the log group's ARN without the ":*" that
		// LogGroupArn ends in.
		LogDestinationConfigs: &[]any{stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: logs.LogGroupName(),
			ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})},
		// Bearer tokens never reach a log.
		RedactedFields: &[]any{&awswafv2.CfnLoggingConfiguration_FieldToMatchProperty{
			SingleHeader: map[string]any{"Name": "authorization"},
		}},
	})

	return &EdgeStack{Stack: stack, WebACLArn: acl.AttrArn(), WebACLName: name}
}
