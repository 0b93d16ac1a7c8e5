package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// publishEvents makes the product's events from the table's stream, with
// AWS's managed parts: the stream holds each committed item (NEW_IMAGE);
// an event source mapping hands publish-events its records in order, one
// shard at a time, retrying from the first record a batch failed on
// (partial batch responses), halving a batch that keeps failing so that
// one bad record cannot hold the others back, and after 10 tries or a day
// handing the record's place in the stream to a dead-letter queue that an
// alarm watches; publish-events puts one event per audit item on the
// stack's own bus. A bus of its own keeps the product's events apart from
// the account's default bus, and its rules (webhooks) apart from others'.
func publishEvents(p *stackParts, fn awslambda.Function) awsevents.EventBus {
	bus := awsevents.NewEventBus(p.stack, jsii.String("Events"), &awsevents.EventBusProps{
		EventBusName: jsii.String(p.props.MainStackName()),
		Description:  jsii.String("Portal Access's events: one per committed change (its audit event), source portal-access."),
	})
	bus.GrantPutEventsTo(fn, nil)
	fn.AddEnvironment(jsii.String("EVENT_BUS_NAME"), bus.EventBusName(), nil)

	dlq := newDeadLetterQueue(p, "PublishEventsDeadLetters", "This queue is the on-failure destination of the stream's event source mapping: it holds where in the stream the records it could not publish are.", false)

	fn.AddEventSource(awslambdaeventsources.NewDynamoEventSource(p.table, &awslambdaeventsources.DynamoEventSourceProps{
		StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:               jsii.Number(100),
		MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(1)),
		ReportBatchItemFailures: jsii.Bool(true),
		BisectBatchOnError:      jsii.Bool(true),
		RetryAttempts:           jsii.Number(10),
		MaxRecordAge:            awscdk.Duration_Hours(jsii.Number(24)),
		OnFailure:               awslambdaeventsources.NewSqsDlq(dlq),
	}))
	// Reading a stream needs dynamodb:ListStreams, which IAM grants on "*"
	// only; the stream's own actions are on its ARN.
	cdknag.NagSuppressions_AddResourceSuppressions(fn.Role(), &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("dynamodb:ListStreams takes no resource but *; the stream's records are read on the table's stream ARN only."),
		AppliesTo: &[]any{jsii.String("Resource::*")},
	}}, jsii.Bool(true))

	p.ops.watch("Events", "PublishEventsDeadLetters",
		"Committed changes whose events could not be published: each message names the stream records; publish them again from the table's audit items, then delete the message.",
		dlq.MetricApproximateNumberOfMessagesVisible(nil), above(1, 1))
	p.ops.watch("Events", "PublishEventsBehind",
		"Events are published more than 5 minutes after their change committed: publish-events keeps failing or is throttled.",
		fn.Metric(jsii.String("IteratorAge"), &awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(1))}),
		above(5*60*1000, 5))
	return bus
}
