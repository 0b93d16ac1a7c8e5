package main

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/portalaccess/portalaccess/shared/config"
)

// The imports' queue: one message a chunk of an import's rows. A message
// its consumer did not delete comes back after the visibility timeout (six
// times the consumer's, as Lambda advises); after importMaxReceives
// receives it goes to the dead-letter queue, which an alarm watches.
const (
	importMaxReceives = 5
	// importConcurrency is the event source mapping's maximum concurrency
	// (2 is SQS's least): each consumer holds IMPORT_SEND_RATE divided by
	// it.
	importConcurrency = 2
	importBatch       = 5
)

func importsQueue(p *stackParts) awssqs.Queue {
	dlq := newDeadLetterQueue(p, "ImportsDeadLetters", "This queue is the imports queue's dead-letter queue: it holds the chunks that failed five times.", false)
	q := awssqs.NewQueue(p.stack, jsii.String("Imports"), &awssqs.QueueProps{
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(6 * taskTimeouts["queue"].Seconds())),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(4)),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(importMaxReceives)},
	})
	p.ops.watch("Imports", "ImportsDeadLetters",
		"Chunks of an import that failed five times: their rows have no outcome and the import stays running. Fix the cause, then redrive the messages to the imports queue (each row is invited once, whatever is redriven).",
		dlq.MetricApproximateNumberOfMessagesVisible(nil), above(1, 1))
	return q
}

// consumeImports hands import-users the queue's messages, a few at a time,
// at most importConcurrency batches at once, with partial batch responses:
// only the chunks that failed come back.
func consumeImports(p *stackParts, fn awslambda.Function, q awssqs.Queue) {
	fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(q, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(importBatch),
		MaxConcurrency:          jsii.Number(importConcurrency),
		ReportBatchItemFailures: jsii.Bool(true),
	}))
	fn.AddEnvironment(jsii.String("IMPORT_CONCURRENCY"), jsii.String(strconv.Itoa(importConcurrency)), nil)
	if p.props.ImportSendRate == "" {
		fn.AddEnvironment(jsii.String("IMPORT_SEND_RATE"), jsii.String(strconv.Itoa(config.DefaultImportSendRate)), nil)
	}
}
