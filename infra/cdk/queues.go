package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// newDeadLetterQueue makes the dead-letter queue of one of the stack's queues,
// rules or mappings: SQS-managed encryption, TLS only, fourteen days'
// retention (CloudWatch alarms on it elsewhere). cdk-nag's SQS3 (a queue
// without a dead-letter queue of its own) is suppressed with why: what it
// holds. A FIFO queue's dead-letter queue is FIFO too.
func newDeadLetterQueue(p *stackParts, id, why string, fifo bool) awssqs.Queue {
	props := &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	}
	if fifo {
		props.Fifo = jsii.Bool(true)
	}
	dlq := awssqs.NewQueue(p.stack, jsii.String(id), props)
	cdknag.NagSuppressions_AddResourceSuppressions(dlq, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SQS3"), Reason: jsii.String(why),
	}}, jsii.Bool(false))
	return dlq
}
