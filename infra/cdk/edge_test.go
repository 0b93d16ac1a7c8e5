package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/portalaccess/portalaccess/infra/cdk/tableaccess"
	"github.com/portalaccess/portalaccess/shared/routes"
)

// rules are the web ACL's rules by name.
func rules(t *testing.T, syn *synthesized) (resource, map[string]map[string]any) {
	t.Helper()
	acl := syn.edge.one(t, "AWS::WAFv2::WebACL")
	out := map[string]map[string]any{}
	for _, r := range list(acl.Props["Rules"]) {
		m := r.(map[string]any)
		out[fmt.Sprint(m["Name"])] = m
	}
	return acl, out
}

func TestWebACLForCloudFrontInUsEast1(t *testing.T) {
	for name, syn := range variants {
		acl, byName := rules(t, syn)
		if acl.Props["Scope"] != "CLOUDFRONT" || acl.Props["Name"] != syn.stackName || get(acl.Props, "DefaultAction", "Allow") == nil {
			t.Errorf("%s: web ACL %v", name, acl.Props)
		}
		// In order: reputation, the two rate rules, then the managed sets.
		var order []string
		for _, r := range list(acl.Props["Rules"]) {
			order = append(order, fmt.Sprint(r.(map[string]any)["Name"]))
		}
		if want := []string{ruleIPReputation, ruleInvitationRate, ruleAPIRate, ruleCommon, ruleKnownBadInputs}; !slices.Equal(order, want) {
			t.Errorf("%s: rules %v, want %v", name, order, want)
		}
		for rule, group := range map[string]string{
			ruleIPReputation: "AWSManagedRulesAmazonIpReputationList", ruleCommon: "AWSManagedRulesCommonRuleSet",
			ruleKnownBadInputs: "AWSManagedRulesKnownBadInputsRuleSet",
		} {
			r := byName[rule]
			g, _ := get(r, "Statement", "ManagedRuleGroupStatement").(map[string]any)
			if g["VendorName"] != "AWS" || g["Name"] != group || get(r, "OverrideAction", "None") == nil {
				t.Errorf("%s: %s is %v", name, rule, r)
			}
			var counted []string
			for _, o := range list(g["RuleActionOverrides"]) {
				m := o.(map[string]any)
				if get(m, "ActionToUse", "Count") == nil {
					t.Errorf("%s: %s overrides %v to other than count", name, rule, m)
				}
				counted = append(counted, fmt.Sprint(m["Name"]))
			}
			// A bulk invite of 100 people is over the 8 KB of SizeRestrictions_BODY.
			if want := map[string][]string{ruleCommon: {"SizeRestrictions_BODY"}}[rule]; !slices.Equal(counted, want) {
				t.Errorf("%s: %s counts %v, want %v", name, rule, counted, want)
			}
		}
		for rule, want := range map[string]struct {
			prefix string
			limit  int
		}{ruleInvitationRate: {invitationPathPrefix, syn.settings.WafInvitationLimit}, ruleAPIRate: {apiPathPrefix, syn.settings.WafAPILimit}} {
			r := byName[rule]
			rb, _ := get(r, "Statement", "RateBasedStatement").(map[string]any)
			bm, _ := get(rb, "ScopeDownStatement", "ByteMatchStatement").(map[string]any)
			if rb["Limit"] != float64(want.limit) || rb["EvaluationWindowSec"] != float64(60) || rb["AggregateKeyType"] != "IP" {
				t.Errorf("%s: %s counts %v", name, rule, rb)
			}
			if bm["SearchString"] != want.prefix || bm["PositionalConstraint"] != "STARTS_WITH" || get(bm, "FieldToMatch", "UriPath") == nil {
				t.Errorf("%s: %s is scoped to %v", name, rule, bm)
			}
			resp, _ := get(r, "Action", "Block", "CustomResponse").(map[string]any)
			hdrs := list(resp["ResponseHeaders"])
			if resp["ResponseCode"] != float64(429) || resp["CustomResponseBodyKey"] != tooManyRequestsBody || len(hdrs) != 1 ||
				get(hdrs[0].(map[string]any), "Name") != "Retry-After" || get(hdrs[0].(map[string]any), "Value") != "60" {
				t.Errorf("%s: %s answers %v", name, rule, resp)
			}
		}
		body, _ := get(acl.Props, "CustomResponseBodies", tooManyRequestsBody).(map[string]any)
		var p struct {
			Status int    `json:"status"`
			Code   string `json:"code"`
			Type   string `json:"type"`
		}
		if body["ContentType"] != "APPLICATION_JSON" || json.Unmarshal([]byte(fmt.Sprint(body["Content"])), &p) != nil ||
			p.Status != 429 || p.Code != "rate_limited" || p.Type != "urn:portal-access:problem:rate_limited" {
			t.Errorf("%s: the 429 body %v", name, body)
		}
		// The distribution uses it, across regions.
		ref := refID(get(distribution(t, syn.template).Props, "DistributionConfig", "WebACLId"))
		if r, ok := syn.template.resource(ref); !ok || r.Type != "Custom::CrossRegionExportReader" {
			t.Errorf("%s: the distribution's web ACL comes from %s", name, ref)
		}
	}
	if domainVariant.settings.WafInvitationLimit != DefaultWafInvitationLimit || cloudfrontVariant.settings.WafAPILimit != 1000 {
		t.Errorf("limits %+v", domainVariant.settings)
	}
}

func TestWAFLogsRedactTheAuthorizationHeader(t *testing.T) {
	for name, syn := range variants {
		acl := syn.edge.one(t, "AWS::WAFv2::WebACL")
		logging := syn.edge.one(t, "AWS::WAFv2::LoggingConfiguration")
		if refID(logging.Props["ResourceArn"]) != acl.ID {
			t.Errorf("%s: logging of %v", name, logging.Props["ResourceArn"])
		}
		red := list(logging.Props["RedactedFields"])
		if len(red) != 1 || get(red[0].(map[string]any), "SingleHeader", "Name") != "authorization" {
			t.Errorf("%s: redacted %v", name, red)
		}
		lg := syn.edge.one(t, "AWS::Logs::LogGroup")
		wantName := "aws-waf-logs-portalaccess"
		if s := syn.settings.Stage; s != "" {
			wantName += "-" + s
		}
		if lg.Props["LogGroupName"] != wantName || lg.Props["RetentionInDays"] != float64(syn.settings.LogRetentionDays) {
			t.Errorf("%s: log group %v", name, lg.Props)
		}
		dest := strs(logging.Props["LogDestinationConfigs"])
		if len(dest) != 1 || dest[0] != "arn:<AWS::Partition>:logs:us-east-1:<AWS::AccountId>:log-group:<"+lg.ID+">" {
			t.Errorf("%s: logs go to %v (AWS WAF wants the ARN without :*)", name, dest)
		}
	}
}

// Two stages live side by side in one account: every name that is unique
// in an account or a region carries the stage, and the default stage keeps
// the names of the first deploys.
func TestStageNamesTheStacksAndTheirResources(t *testing.T) {
	for name, syn := range variants {
		stage := syn.settings.Stage
		wantMain, wantEdge := "PortalAccess", "PortalAccessEdge"
		if stage != "" {
			wantMain, wantEdge = wantMain+"-"+stage, wantEdge+"-"+stage
		}
		if syn.stackName != wantMain || syn.edgeName != wantEdge {
			t.Errorf("%s: stacks %s and %s, want %s and %s", name, syn.stackName, syn.edgeName, wantMain, wantEdge)
		}
		tpl := syn.template
		if d := tpl.one(t, "AWS::CloudWatch::Dashboard").Props["DashboardName"]; d != wantMain {
			t.Errorf("%s: dashboard %v", name, d)
		}
		for _, a := range tpl.resources("AWS::CloudWatch::Alarm") {
			if n := fmt.Sprint(a.Props["AlarmName"]); !strings.HasPrefix(n, wantMain+" ") {
				t.Errorf("%s: alarm %s", name, n)
			}
		}
		for _, f := range tpl.resources("AWS::Logs::MetricFilter") {
			for _, m := range list(f.Props["MetricTransformations"]) {
				if ns := get(m.(map[string]any), "MetricNamespace"); ns != wantMain {
					t.Errorf("%s: metric namespace %v", name, ns)
				}
			}
		}
		if syn.settings.DomainPrefix == "" {
			if d := render(tpl.one(t, "AWS::Cognito::UserPoolDomain").Props["Domain"]); d != strings.ToLower(wantMain)+"-<AWS::AccountId>" {
				t.Errorf("%s: domain prefix %s", name, d)
			}
		}
		// Nothing else that must be unique is named by hand: the rest are
		// CloudFormation's, unique per stack (an API's and an authorizer's
		// names need not be unique).
		for _, r := range tpl.resources("") {
			if r.Type == "AWS::ApiGatewayV2::Api" || r.Type == "AWS::ApiGatewayV2::Authorizer" {
				continue
			}
			for _, key := range []string{"Name", "LogGroupName", "TopicName", "SecretName", "TableName", "UserPoolName", "FunctionName", "RoleName", "BucketName"} {
				if v, ok := r.Props[key].(string); ok && r.Type != "AWS::CloudFront::Function" && !strings.Contains(v, wantMain) {
					t.Errorf("%s: %s %s has the fixed %s %q", name, r.Type, r.ID, key, v)
				}
			}
		}
	}
}

func TestStageIsChecked(t *testing.T) {
	good := map[string]any{"adminEmail": "a@example.com", "senderEmail": "s@example.com"}
	for _, bad := range []string{"Prod", "1st", "my-stage", "awsprod", "averyveryverylongstage"} {
		ctx := map[string]any{"stage": bad}
		for k, v := range good {
			ctx[k] = v
		}
		if _, err := SettingsFromContext(lookupFrom(ctx)); err == nil || !strings.Contains(err.Error(), "stage") {
			t.Errorf("stage %q: %v", bad, err)
		}
	}
	s, err := SettingsFromContext(lookupFrom(map[string]any{"adminEmail": "a@example.com", "senderEmail": "s@example.com", "stage": "prod2"}))
	if err != nil || s.MainStackName() != "PortalAccess-prod2" || s.EdgeStackName() != "PortalAccessEdge-prod2" {
		t.Errorf("%v %s %s", err, s.MainStackName(), s.EdgeStackName())
	}
	for ctx, key := range map[string]string{
		"originSecretPreviousVersion": "originSecretPreviousVersion", // without the current one
		"wafInvitationLimit":          "wafInvitationLimit",
		"alarmEmail":                  "alarmEmail",
	} {
		m := map[string]any{"adminEmail": "a@example.com", "senderEmail": "s@example.com"}
		m[ctx] = map[string]string{"originSecretPreviousVersion": "7e6d5c4b-3a29-4817-a6b5-c4d3e2f1a0b9", "wafInvitationLimit": "5", "alarmEmail": "not an address"}[ctx]
		if _, err := SettingsFromContext(lookupFrom(m)); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: %v", ctx, err)
		}
	}
}

// The public routes' functions reach only the partitions they touch, each
// grant one statement on the table (no index) with a LeadingKeys condition.
func TestPublicFunctionsReachOnlyTheirPartitions(t *testing.T) {
	// Reachable without the gateway's authorizer: the public routes, those
	// that check their own token, and the triggers of Cognito and of SES's
	// events (whose input comes from whoever asks for a code or is mailed).
	var public []string
	for _, r := range append(append([]routes.Route{}, routes.Table...), routes.Tasks...) {
		open := r.Public || r.OwnToken || r.Trigger == routes.TriggerCognito || r.Trigger == routes.TriggerMailEvents
		if open && r.Table != routes.TableNone {
			public = append(public, r.Function)
		}
	}
	var narrowed []string
	for fn := range tableaccess.Narrowed {
		narrowed = append(narrowed, fn)
	}
	sort.Strings(public)
	sort.Strings(narrowed)
	if !slices.Equal(public, narrowed) {
		t.Errorf("narrowed %v, want every public function that reaches the table: %v", narrowed, public)
	}
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		tpl := syn.template
		fns := functions(t, tpl)
		table := "<" + tpl.one(t, "AWS::DynamoDB::Table").ID + ".Arn>"
		for fn, grants := range tableaccess.Narrowed {
			var want, got []string
			for _, g := range grants {
				want = append(want, fmt.Sprint(g.Actions, table, g.Partitions))
			}
			for _, s := range roleStatementsRaw(t, tpl, refID(fns[fn].Props["Role"])) {
				st := toStatement(s)
				if !strings.HasPrefix(st.Actions[0], "dynamodb:") {
					continue
				}
				var parts []string
				for _, k := range list(get(s, "Condition", "ForAllValues:StringLike", "dynamodb:LeadingKeys")) {
					parts = append(parts, fmt.Sprint(k))
				}
				got = append(got, fmt.Sprint(st.Actions, strings.Join(st.Resources, " "), parts))
			}
			sort.Strings(want)
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s may\n  %v\nwant\n  %v", fn, got, want)
			}
		}
	})
}

// CDK's handlers for cross-region references (a reader in the main stack,
// a writer in the edge stack) are made when the app is synthesized, after
// cdk-nag has looked, so their permissions are held here: Lambda's basic
// execution role and SSM on this stack's own /cdk/exports/ parameters.
func TestCrossRegionReferenceProviders(t *testing.T) {
	for name, syn := range variants {
		for _, tpl := range []template{syn.template, syn.edge} {
			var roles int
			for _, r := range tpl.resources("AWS::IAM::Role") {
				if !isCDKProvider(r.ID) {
					continue
				}
				roles++
				managed := strs(r.Props["ManagedPolicyArns"])
				if len(managed) != 1 || !strings.HasSuffix(managed[0], ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]") {
					t.Errorf("%s: %s has managed policies %v", name, r.ID, managed)
				}
				for _, p := range list(r.Props["Policies"]) {
					for _, s := range list(get(p.(map[string]any), "PolicyDocument", "Statement")) {
						st := toStatement(s.(map[string]any))
						for _, a := range st.Actions {
							if !strings.HasPrefix(a, "ssm:") || strings.Contains(a, "*") {
								t.Errorf("%s: %s may %s", name, r.ID, a)
							}
						}
						for _, res := range st.Resources {
							if !strings.Contains(res, ":parameter/cdk/exports/") || !strings.HasSuffix(res, "/*") {
								t.Errorf("%s: %s reaches %s", name, r.ID, res)
							}
						}
					}
				}
			}
			if roles != 1 {
				t.Errorf("%s: %d cross-region reference roles in a stack, want 1", name, roles)
			}
		}
	}
}

// The alarms' log filters match what the sweep logs.
func TestSweepLagFiltersMatchTheSweepsLogLines(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "shared", "app", "sweep", "sweep.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{sweepBudgetLog, sweepItemLog} {
		if !strings.Contains(string(src), `"`+msg+`"`) {
			t.Errorf("the sweep no longer logs %q", msg)
		}
	}
	fns := functions(t, base.template)
	sweepLogs := refID(get(fns["sweep-invitations"].Props, "LoggingConfig", "LogGroup"))
	filters := base.template.resources("AWS::Logs::MetricFilter")
	if len(filters) != 2 {
		t.Fatalf("%d metric filters", len(filters))
	}
	for _, f := range filters {
		pattern := fmt.Sprint(f.Props["FilterPattern"])
		if refID(f.Props["LogGroupName"]) != sweepLogs ||
			(pattern != `{ $.message = "`+sweepBudgetLog+`" }` && pattern != `{ $.message = "`+sweepItemLog+`" }`) {
			t.Errorf("filter %s on %v: %s", f.ID, f.Props["LogGroupName"], pattern)
		}
	}
}

func TestAlarmsNotifyAnEncryptedTopic(t *testing.T) {
	for name, syn := range variants {
		tpl := syn.template
		topic := tpl.one(t, "AWS::SNS::Topic")
		key, ok := tpl.resource(refID(topic.Props["KmsMasterKeyId"]))
		if !ok || key.Type != "AWS::KMS::Key" || key.Props["EnableKeyRotation"] != true {
			t.Errorf("%s: topic key %v", name, topic.Props["KmsMasterKeyId"])
		}
		// CloudWatch may use the key to publish.
		var cw bool
		for _, s := range list(get(key.Props, "KeyPolicy", "Statement")) {
			st := s.(map[string]any)
			if fmt.Sprint(get(st, "Principal", "Service")) == "cloudwatch.amazonaws.com" {
				cw = slices.Contains(strs(st["Action"]), "kms:GenerateDataKey*") && slices.Contains(strs(st["Action"]), "kms:Decrypt")
			}
		}
		if !cw {
			t.Errorf("%s: CloudWatch may not use the topic's key", name)
		}
		var ssl bool
		for _, p := range tpl.resources("AWS::SNS::TopicPolicy") {
			for _, s := range list(get(p.Props, "PolicyDocument", "Statement")) {
				st := s.(map[string]any)
				ssl = ssl || (st["Effect"] == "Deny" && get(st, "Condition", "Bool", "aws:SecureTransport") == "false")
			}
		}
		if !ssl {
			t.Errorf("%s: the topic does not refuse plain HTTP", name)
		}
		subs := tpl.resources("AWS::SNS::Subscription")
		switch {
		case syn.settings.AlarmEmail == "" && len(subs) != 0:
			t.Errorf("%s: subscriptions %v without alarmEmail", name, subs)
		case syn.settings.AlarmEmail != "" && (len(subs) != 1 || subs[0].Props["Endpoint"] != syn.settings.AlarmEmail || subs[0].Props["Protocol"] != "email"):
			t.Errorf("%s: subscriptions %v, want %s", name, subs, syn.settings.AlarmEmail)
		}
		alarms := map[string]resource{}
		for _, a := range tpl.resources("AWS::CloudWatch::Alarm") {
			n := strings.TrimPrefix(fmt.Sprint(a.Props["AlarmName"]), syn.stackName+" ")
			alarms[n] = a
			for _, key := range []string{"AlarmActions", "OKActions"} {
				if acts := list(a.Props[key]); len(acts) != 1 || refID(acts[0]) != topic.ID {
					t.Errorf("%s: %s %s %v", name, n, key, acts)
				}
			}
			if a.Props["TreatMissingData"] != "notBreaching" || a.Props["AlarmDescription"] == nil {
				t.Errorf("%s: %s %v", name, n, a.Props)
			}
		}
		want := []string{"Api5xx", "Api4xxSpike", "SweepLag", "SweepItemFailures", "SesBounceRate", "SesComplaintRate", "MailFeedbackDeadLetters",
			"PublishEventsDeadLetters", "PublishEventsBehind", "ImportsDeadLetters",
			"WebhookEventsDeadLetters", "WebhookDeliveriesDeadLetters", "WebhookEventsBehind", "WebhookDeliveriesBehind"}
		var fnNames []string
		for _, r := range allFunctions() {
			fnNames = append(fnNames, r.Function)
		}
		sort.Strings(fnNames)
		groupOf := map[string]string{}
		for start := 0; start < len(fnNames); start += FaultGroup {
			g := fnNames[start:min(start+FaultGroup, len(fnNames))]
			want = append(want, faultAlarmName(g))
			for _, n := range g {
				groupOf[n] = faultAlarmName(g)
			}
		}
		var got []string
		for n := range alarms {
			got = append(got, n)
		}
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: alarms %v, want %v", name, got, want)
		}
		// A function's alarm sums its errors and its throttles with those of
		// the others of its group.
		fns := functions(t, tpl)
		for _, r := range allFunctions() {
			a := alarms[groupOf[r.Function]]
			var names []string
			for _, m := range list(a.Props["Metrics"]) {
				mm := m.(map[string]any)
				if ms := get(mm, "MetricStat", "Metric"); ms != nil {
					dims := list(get(ms.(map[string]any), "Dimensions"))
					if len(dims) == 1 && refID(get(dims[0].(map[string]any), "Value")) == fns[r.Function].ID {
						names = append(names, fmt.Sprint(get(ms.(map[string]any), "MetricName")))
					}
				} else if e := fmt.Sprint(mm["Expression"]); !strings.Contains(e, " + t") {
					t.Errorf("%s: %s expression %v", name, r.Function, e)
				}
			}
			sort.Strings(names)
			if !slices.Equal(names, []string{"Errors", "Throttles"}) || a.Props["Threshold"] != float64(1) {
				t.Errorf("%s: %s's alarm %v", name, r.Function, a.Props)
			}
		}
		for n, m := range map[string]string{"SesBounceRate": "Reputation.BounceRate", "SesComplaintRate": "Reputation.ComplaintRate", "Api5xx": "5xx"} {
			if alarms[n].Props["MetricName"] != m {
				t.Errorf("%s: %s watches %v", name, n, alarms[n].Props["MetricName"])
			}
		}
		if alarms["SesBounceRate"].Props["Threshold"] != sesBounceRateLimit || alarms["SesComplaintRate"].Props["Threshold"] != sesComplaintRateLimit {
			t.Errorf("%s: SES thresholds", name)
		}
		// One dashboard, with every alarm in its status widget.
		body := render(tpl.one(t, "AWS::CloudWatch::Dashboard").Props["DashboardBody"])
		for _, a := range alarms {
			if !strings.Contains(body, a.ID) {
				t.Errorf("%s: the dashboard does not show %s", name, a.ID)
			}
		}
		if !strings.Contains(body, `"region":"us-east-1"`) || !strings.Contains(body, "AWS/WAFV2") {
			t.Errorf("%s: the dashboard does not show the edge's WAF metrics", name)
		}
	}
}
