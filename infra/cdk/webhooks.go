package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// Webhook deliveries, with AWS's managed parts:
//
//   - a rule on the stack's bus takes the customers' events (data.customerId
//     a string) and sends each event's detail to the events queue;
//   - deliver-webhooks, through an event source mapping on it, reads the
//     customer's subscriptions and sends one message per subscription that
//     wants the event to the deliveries queue, a FIFO queue whose group is
//     the subscription and the event's target, deduplicated by subscription
//     and event;
//   - through a second mapping on the deliveries queue, deliver-webhooks
//     posts each, signed; a failure is put back with its backoff (the
//     message's visibility timeout) and holds back only its own group, so
//     that what happens to one user reaches a receiver in order.
//
// API destinations were not used: they sign with a static header, not the
// Standard Webhooks HMAC of each body with the subscription's own secret,
// and one destination per subscription would be CloudFormation resources
// per customer's endpoint.
const (
	webhookEventReceives    = 5
	webhookDeliveryReceives = 500 // a delivery retries with its own backoff, and holds while paused
)

// newWebhookKey makes the key that seals subscriptions' secrets at rest
// (WEBHOOK_KEY: 64 alphanumerics, read as base64 of 48 bytes, hashed to the
// AES-256 key). Rotating it would leave every sealed secret unreadable, so
// it is not rotated.
func newWebhookKey(stack awscdk.Stack) awssecretsmanager.Secret {
	return newAlphanumericSecret(stack, "WebhookKey",
		"Seals webhook subscriptions' signing secrets in the table (WEBHOOK_KEY): 64 alphanumerics, read as base64 of 48 bytes.",
		"The subscriptions' secrets are sealed under it; rotating it would make every one unreadable. Not rotated; the README says how to replace it (new secrets for every subscription).")
}

func webhooks(p *stackParts, fn awslambda.Function, bus awsevents.EventBus) {
	queue := func(id, why string, fifo bool, receives float64, visibility awscdk.Duration) awssqs.Queue {
		dlq := newDeadLetterQueue(p, id+"DeadLetters", why, fifo)
		props := &awssqs.QueueProps{
			Encryption: awssqs.QueueEncryption_SQS_MANAGED, EnforceSSL: jsii.Bool(true),
			VisibilityTimeout: visibility, RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
			DeadLetterQueue: &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(receives)},
		}
		if fifo {
			props.Fifo = jsii.Bool(true)
		}
		return awssqs.NewQueue(p.stack, jsii.String(id), props)
	}
	visibility := awscdk.Duration_Seconds(jsii.Number(6 * taskTimeouts["queue"].Seconds()))
	events := queue("WebhookEvents", "This queue is the webhook events queue's dead-letter queue: events that could not be fanned out five times.",
		false, webhookEventReceives, visibility)
	deliveries := queue("WebhookDeliveries", "This queue is the webhook deliveries queue's dead-letter queue: deliveries that kept failing past their retries.",
		true, webhookDeliveryReceives, visibility)

	awsevents.NewRule(p.stack, jsii.String("WebhookEventsRule"), &awsevents.RuleProps{
		EventBus:    bus,
		Description: jsii.String("Customers' events, to the webhook events queue (deliver-webhooks fans them out)."),
		EventPattern: &awsevents.EventPattern{
			Source: jsii.Strings("portal-access"),
			Detail: &map[string]any{"data": map[string]any{"customerId": []any{map[string]any{"prefix": "cus_"}}}},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSqsQueue(events, &awseventstargets.SqsQueueProps{
			Message: awsevents.RuleTargetInput_FromEventPath(jsii.String("$.detail")),
		})},
	})

	for _, q := range []awssqs.Queue{events, deliveries} {
		fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(q, &awslambdaeventsources.SqsEventSourceProps{
			BatchSize: jsii.Number(10), ReportBatchItemFailures: jsii.Bool(true),
		}))
	}
	// The mappings grant receive, delete and visibility changes (a failed
	// delivery sets its own message's: its backoff); the fan-out sends to
	// the deliveries queue, and nothing else.
	deliveries.Grant(fn, jsii.String("sqs:SendMessage"))
	fn.AddEnvironment(jsii.String("WEBHOOK_QUEUE_URL"), deliveries.QueueUrl(), nil)

	for _, w := range []struct {
		q    awssqs.Queue
		name string
	}{{events, "WebhookEvents"}, {deliveries, "WebhookDeliveries"}} {
		p.ops.watch("Webhooks", w.name+"DeadLetters",
			"Webhook work that failed past its retries: look at the function's log for why, then redrive the messages (receivers dedupe on webhook-id).",
			w.q.DeadLetterQueue().Queue.MetricApproximateNumberOfMessagesVisible(nil), above(1, 1))
	}
	p.ops.watch("Webhooks", "WebhookDeliveriesBehind",
		"A webhook delivery has waited over an hour: a receiver keeps failing (its subscription pauses after 10 failures over 24 h), or deliver-webhooks is failing.",
		deliveries.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(5))}),
		above(3600, 3))
	p.ops.watch("Webhooks", "WebhookEventsBehind",
		"Events wait over 5 minutes to be fanned out to webhook subscriptions: deliver-webhooks is failing or throttled.",
		events.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(1))}),
		above(300, 5))
}
