package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/jsii-runtime-go"
)

// mailFeedbackEvents are SES's event types that the product records on
// invitations, and their EventBridge detail types.
var mailFeedbackEvents = map[awsses.EmailSendingEvent]string{
	awsses.EmailSendingEvent_DELIVERY:  "Email Delivered",
	awsses.EmailSendingEvent_BOUNCE:    "Email Bounced",
	awsses.EmailSendingEvent_COMPLAINT: "Email Complained",
}

// mailFeedback sends what SES hears back of each invitation e-mail to the
// function that records it on the invitation, with AWS's managed parts
// only: the configuration set publishes its delivery, bounce and complaint
// events to the account's default event bus (the only bus SES publishes
// to); a rule on this configuration set's events invokes the function; an
// event that cannot be delivered, or that the function failed on after
// Lambda's retries (a report that came before its send was recorded is
// failed on purpose, to come again), lands in a dead-letter queue that an
// alarm watches.
func mailFeedback(p *stackParts, fn awslambda.Function) {
	bus := awsevents.EventBus_FromEventBusName(p.stack, jsii.String("DefaultEventBus"), jsii.String("default"))
	events := []awsses.EmailSendingEvent{awsses.EmailSendingEvent_DELIVERY, awsses.EmailSendingEvent_BOUNCE, awsses.EmailSendingEvent_COMPLAINT}
	p.configSet.AddEventDestination(jsii.String("FeedbackToEventBridge"), &awsses.ConfigurationSetEventDestinationOptions{
		Destination: awsses.EventDestination_EventBus(bus),
		Events:      &events,
	})

	dlq := newDeadLetterQueue(p, "MailFeedbackDeadLetters", "This queue is the dead-letter queue of the mail feedback rule and function.", false)

	// Lambda retries a failed event twice (a minute, then two, apart), then
	// hands it to the queue.
	fn.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
		RetryAttempts: jsii.Number(2),
		MaxEventAge:   awscdk.Duration_Hours(jsii.Number(6)),
		OnFailure:     awslambdadestinations.NewSqsDestination(dlq),
	})

	var detailTypes []*string
	for _, e := range events {
		detailTypes = append(detailTypes, jsii.String(mailFeedbackEvents[e]))
	}
	awsevents.NewRule(p.stack, jsii.String("MailFeedback"), &awsevents.RuleProps{
		Description: jsii.String("SES's delivery, bounce and complaint events of the product's configuration set, to the function that records them on invitations."),
		EventBus:    bus,
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.ses"),
			DetailType: &detailTypes,
			Detail: &map[string]any{"mail": map[string]any{"tags": map[string]any{
				"ses:configuration-set": []any{p.configSet.ConfigurationSetName()},
			}}},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: dlq,
			RetryAttempts:   jsii.Number(8),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(6)),
		})},
	})

	p.ops.watch("Mail", "MailFeedbackDeadLetters",
		"SES reports that could not be recorded on their invitations are waiting in the dead-letter queue: read them, mend the cause, redrive them.",
		dlq.MetricApproximateNumberOfMessagesVisible(nil), above(1, 1))
}
