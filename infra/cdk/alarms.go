package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Operations on AWS: alarms that notify one SNS topic, and one dashboard.
// Every alarm goes through watch, which also graphs its metric on the
// dashboard, so that a new signal (a queue's depth, a dead-letter queue's
// messages, once the product has queues) is one call:
//
//	p.ops.watch("MailQueueDepth", "…", queue.MetricApproximateNumberOfMessagesVisible(nil), above(100, 3))

// Why these signals: a function's errors are crashes and timeouts only
// (the handlers turn every failure into an answer), and its throttles are
// refused invocations, so either is worth a look at once; one alarm per
// function over errors + throttles (metric math, two metrics) says which
// function it is, where a sum over all 29 would not (a math expression in
// an alarm takes at most 10 metrics), and costs 29 alarms instead of 58.
// The API's 5xx are our faults; its 4xx are mostly people's (401, 404, 429),
// so only their share of the traffic is watched, and only with traffic.
// The sweep's lag is read from its log: it logs "sweep stopped at its time
// budget" when it leaves due work for the next run; a few runs in a row
// mean the backlog is not draining. SES reputation is the account's, as
// SES keeps it.

const (
	alarmPeriod = 5 // minutes
	// sweepBudgetLog is what the sweep logs when it stops with due work left
	// (shared/app/sweep; a test holds the two together).
	sweepBudgetLog = "sweep stopped at its time budget"
	sweepItemLog   = "sweep item failed; the next run retries"
	// SES puts an account under review at a 5% bounce rate or a 0.1%
	// complaint rate; the alarms fire there, before sending is paused.
	sesBounceRateLimit    = 0.05
	sesComplaintRateLimit = 0.001
	// apiServerErrors in 5 minutes; api4xxPercent of requests, with at
	// least api4xxMinRequests of them.
	apiServerErrors    = 5
	api4xxPercent      = 25
	api4xxMinRequests  = 100
	sweepBudgetStops   = 3 // runs in 5 minutes
	sweepItemFailures  = 5 // in 5 minutes
	functionFaultLimit = 1 // errors + throttles in 5 minutes
)

type operations struct {
	p     *stackParts
	scope constructs.Construct
	topic awssns.Topic
	// namespace is the stack's own, for the metrics of its log filters:
	// two stages in one account never mix.
	namespace     string
	dashboardName string
	// widgets in the order they were watched, by section.
	sections map[string][]awscloudwatch.IWidget
	order    []string
	alarms   []interfacesawscloudwatch.IAlarmRef
}

// newOperations makes the alarm topic: encrypted with a key of its own
// (CloudWatch cannot publish to a topic under the AWS-managed SNS key),
// HTTPS only, and subscribed by alarmEmail when given.
func newOperations(p *stackParts) *operations {
	scope := constructs.NewConstruct(p.stack, jsii.String("Operations"))
	key := awskms.NewKey(scope, jsii.String("AlarmTopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the alarm topic of " + p.props.MainStackName()),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
	})
	// Alarms publish as the CloudWatch service, which must use the key.
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": p.stack.Account()}},
	}), jsii.Bool(false))
	topic := awssns.NewTopic(scope, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String(p.props.MainStackName() + " alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	if e := p.props.AlarmEmail; e != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
	}
	return &operations{
		p: p, scope: scope, topic: topic,
		namespace: p.props.MainStackName(), dashboardName: p.props.MainStackName(),
		sections: map[string][]awscloudwatch.IWidget{},
	}
}

// threshold is how an alarm judges its metric.
type threshold struct {
	value      float64
	comparison awscloudwatch.ComparisonOperator
	periods    int
}

func above(v float64, periods int) threshold {
	return threshold{v, awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, periods}
}

// watch makes an alarm (see alarm) and shows it, with its metric, in a
// section of the dashboard.
func (o *operations) watch(section, id, description string, metric awscloudwatch.IMetric, t threshold) awscloudwatch.Alarm {
	a := o.alarm(id, description, metric, t)
	o.graph(section, awscloudwatch.NewAlarmWidget(&awscloudwatch.AlarmWidgetProps{
		Title: jsii.String(id), Alarm: a, Width: jsii.Number(8), Height: jsii.Number(5),
	}))
	return a
}

// alarm makes an alarm on the metric that notifies the topic (alarm and
// back to OK) and appears in the dashboard's alarm status. No data is no
// fault: most metrics here exist only when something happens.
func (o *operations) alarm(id, description string, metric awscloudwatch.IMetric, t threshold) awscloudwatch.Alarm {
	alarm := awscloudwatch.NewAlarm(o.scope, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(o.p.props.MainStackName() + " " + id),
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(t.value),
		ComparisonOperator: t.comparison,
		EvaluationPeriods:  jsii.Number(t.periods),
		DatapointsToAlarm:  jsii.Number(t.periods),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	action := awscloudwatchactions.NewSnsAction(o.topic)
	alarm.AddAlarmAction(action)
	alarm.AddOkAction(action)
	o.alarms = append(o.alarms, alarm)
	return alarm
}

// graph adds a widget to a section of the dashboard.
func (o *operations) graph(section string, w awscloudwatch.IWidget) {
	if _, ok := o.sections[section]; !ok {
		o.order = append(o.order, section)
	}
	o.sections[section] = append(o.sections[section], w)
}

func minutes(n int) awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(n)) }

// watchFunctions alarms on each function's errors and throttles together.
// FaultGroup is how many functions one FunctionFaults alarm watches: a
// math expression takes at most 10 metrics, errors and throttles of each.
// One alarm per function would cost the stack a resource per function, and
// CloudFormation takes at most 500 resources a stack.
const FaultGroup = 5

// faultAlarmName names the alarm of a group of functions (sorted by name)
// after its first and last.
func faultAlarmName(group []string) string {
	if len(group) == 1 {
		return "FunctionFaults-" + group[0]
	}
	return "FunctionFaults-" + group[0] + "-to-" + group[len(group)-1]
}

func (o *operations) watchFunctions(fns map[string]awslambda.Function) {
	names := make([]string, 0, len(fns))
	for n := range fns {
		names = append(names, n)
	}
	sort.Strings(names)
	var errs, throttles []awscloudwatch.IMetric
	for start := 0; start < len(names); start += FaultGroup {
		group := names[start:min(start+FaultGroup, len(names))]
		using := map[string]awscloudwatch.IMetric{}
		var terms []string
		for i, n := range group {
			fn := fns[n]
			e := fn.MetricErrors(&awscloudwatch.MetricOptions{Period: minutes(alarmPeriod), Label: jsii.String(n)})
			th := fn.MetricThrottles(&awscloudwatch.MetricOptions{Period: minutes(alarmPeriod), Label: jsii.String(n)})
			errs, throttles = append(errs, e), append(throttles, th)
			using[fmt.Sprintf("e%d", i)], using[fmt.Sprintf("t%d", i)] = e, th
			terms = append(terms, fmt.Sprintf("e%d + t%d", i, i))
		}
		// One alarm for up to FaultGroup functions (a math expression
		// takes at most 10 metrics), in the alarm status; its description
		// names them, and the graphs below show which one.
		o.alarm(faultAlarmName(group),
			fmt.Sprintf("One of %s crashed, timed out or was throttled (errors + throttles >= %d in %d minutes). The graphs \"Errors by function\" and \"Throttles by function\" say which; its log group has the reason.",
				strings.Join(group, ", "), functionFaultLimit, alarmPeriod),
			awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Expression:   jsii.String(strings.Join(terms, " + ")),
				UsingMetrics: &using,
				Label:        jsii.String("errors + throttles"),
				Period:       minutes(alarmPeriod),
			}), above(functionFaultLimit, 1))
	}
	o.graph("Functions", awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String("Errors by function"), Left: &errs, Width: jsii.Number(12), Height: jsii.Number(6), Stacked: jsii.Bool(true),
	}))
	o.graph("Functions", awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String("Throttles by function"), Left: &throttles, Width: jsii.Number(12), Height: jsii.Number(6), Stacked: jsii.Bool(true),
	}))
}

// watchAPI alarms on the API's server errors and on spikes of client errors.
func (o *operations) watchAPI(api awsapigatewayv2.HttpApi) {
	period := &awscloudwatch.MetricOptions{Period: minutes(alarmPeriod)}
	count := api.MetricCount(period)
	e4 := api.MetricClientError(period)
	e5 := api.MetricServerError(period)
	o.watch("API", "Api5xx",
		fmt.Sprintf("The API answered %d or more 5xx in %d minutes: our faults, each logged with its request id.", apiServerErrors, alarmPeriod),
		e5, above(apiServerErrors, 1))
	o.watch("API", "Api4xxSpike",
		fmt.Sprintf("%d%% or more of the API's answers were 4xx for 10 minutes (with at least %d requests in 5): a broken client, a scan, or the throttle answering 429.", api4xxPercent, api4xxMinRequests),
		awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression:   jsii.String(fmt.Sprintf("IF(requests >= %d, 100 * e4 / requests, 0)", api4xxMinRequests)),
			UsingMetrics: &map[string]awscloudwatch.IMetric{"requests": count, "e4": e4},
			Label:        jsii.String("4xx % of requests"),
			Period:       minutes(alarmPeriod),
		}), above(api4xxPercent, 2))
	o.graph("API", awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String("Requests and errors"), Left: &[]awscloudwatch.IMetric{count, e4, e5},
		Width: jsii.Number(12), Height: jsii.Number(6),
	}))
	o.graph("API", awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String("Latency (p50, p99)"),
		Left: &[]awscloudwatch.IMetric{
			api.MetricLatency(&awscloudwatch.MetricOptions{Period: minutes(alarmPeriod), Statistic: jsii.String("p50")}),
			api.MetricLatency(&awscloudwatch.MetricOptions{Period: minutes(alarmPeriod), Statistic: jsii.String("p99")}),
		},
		Width: jsii.Number(12), Height: jsii.Number(6),
	}))
}

// watchSweep alarms when the sweep's items fail and when it lags: it stops
// at its time budget with due work left, run after run. (Its errors are in
// watchFunctions.)
func (o *operations) watchSweep(fn awslambda.Function) {
	logs := fn.LogGroup()
	metric := func(id, name, message string) awscloudwatch.IMetric {
		f := awslogs.NewMetricFilter(o.scope, jsii.String(id), &awslogs.MetricFilterProps{
			LogGroup:        logs,
			FilterPattern:   awslogs.FilterPattern_StringValue(jsii.String("$.message"), jsii.String("="), jsii.String(message)),
			MetricNamespace: jsii.String(o.namespace),
			MetricName:      jsii.String(name),
			MetricValue:     jsii.String("1"),
			// No zero when nothing matched: an absent datapoint is no fault.
		})
		return f.Metric(&awscloudwatch.MetricOptions{Period: minutes(alarmPeriod), Statistic: jsii.String("Sum")})
	}
	stops := metric("SweepBudgetStopsFilter", "SweepBudgetStops", sweepBudgetLog)
	failures := metric("SweepItemFailuresFilter", "SweepItemFailures", sweepItemLog)
	o.watch("Sweep", "SweepLag",
		fmt.Sprintf("The sweep stopped at its time budget with due work left %d times in %d minutes: reminders, expiries and identity syncs are falling behind.", sweepBudgetStops, alarmPeriod),
		stops, above(sweepBudgetStops, 1))
	o.watch("Sweep", "SweepItemFailures",
		fmt.Sprintf("%d or more sweep items failed in %d minutes (each is retried by the next run); the sweep's log has each one.", sweepItemFailures, alarmPeriod),
		failures, above(sweepItemFailures, 1))
}

// watchMail alarms on the account's SES reputation.
func (o *operations) watchMail() {
	rate := func(name string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/SES"), MetricName: jsii.String(name),
			Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Hours(jsii.Number(1)),
		})
	}
	o.watch("Mail", "SesBounceRate",
		fmt.Sprintf("The account's SES bounce rate reached %.0f%%, where SES puts the account under review: look at the failed deliveries.", sesBounceRateLimit*100),
		rate("Reputation.BounceRate"), above(sesBounceRateLimit, 1))
	o.watch("Mail", "SesComplaintRate",
		fmt.Sprintf("The account's SES complaint rate reached %.1f%%, where SES puts the account under review.", sesComplaintRateLimit*100),
		rate("Reputation.ComplaintRate"), above(sesComplaintRateLimit, 1))
}

// watchEdge graphs what AWS WAF allowed and blocked, per rule (its metrics
// are in us-east-1, which a dashboard can show from any region).
func (o *operations) watchEdge(edge *EdgeStack) {
	waf := func(rule, name string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/WAFV2"), MetricName: jsii.String(name),
			DimensionsMap: &map[string]*string{"WebACL": jsii.String(edge.WebACLName), "Rule": jsii.String(rule)},
			Statistic:     jsii.String("Sum"), Period: minutes(alarmPeriod),
			Region: jsii.String(edgeRegion), Label: jsii.String(rule),
		})
	}
	var blocked []awscloudwatch.IMetric
	for _, r := range []string{ruleIPReputation, ruleInvitationRate, ruleAPIRate, ruleCommon, ruleKnownBadInputs} {
		blocked = append(blocked, waf(r, "BlockedRequests"))
	}
	o.graph("Edge", awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String("AWS WAF: blocked by rule (rate rules answer 429)"), Left: &blocked, Width: jsii.Number(12), Height: jsii.Number(6),
	}))
	o.graph("Edge", awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String("AWS WAF: allowed and blocked"),
		Left:  &[]awscloudwatch.IMetric{waf("ALL", "AllowedRequests"), waf("ALL", "BlockedRequests")},
		Width: jsii.Number(12), Height: jsii.Number(6),
	}))
}

// dashboardOf makes the dashboard: the alarms' states first, then each
// section's graphs and alarms.
func (o *operations) dashboardOf() awscloudwatch.Dashboard {
	rows := []*[]awscloudwatch.IWidget{{awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String("Alarms"), Alarms: &o.alarms, Width: jsii.Number(24),
	})}}
	for _, s := range o.order {
		ws := o.sections[s]
		rows = append(rows, &[]awscloudwatch.IWidget{awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
			Markdown: jsii.String("## " + s), Width: jsii.Number(24), Height: jsii.Number(1),
		})}, &ws)
	}
	return awscloudwatch.NewDashboard(o.scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String(o.dashboardName),
		Widgets:       &rows,
	})
}
