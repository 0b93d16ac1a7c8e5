package stack

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/sqsconsume"
	"github.com/portalaccess/portalaccess/shared/app/imports"
	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/mail/sesmail"
	"github.com/portalaccess/portalaccess/shared/store"
)

// The imports' queue as the CDK stack makes it: a dead-letter queue after
// ImportMaxReceives receives, and a visibility timeout after which a
// message its consumer did not delete comes back (IMPORT_VISIBILITY
// locally, default 10s; on AWS six times the consumer's timeout).
const (
	importsQueue      = "portal-access-imports"
	ImportMaxReceives = 5
)

// startQueues starts the SQS emulator (local-aws-sqs) and makes the
// imports' queue and its dead-letter queue.
func (s *Stack) startQueues(ctx context.Context, o Options, cfg aws.Config) error {
	em, err := emulators.StartSQS(ctx, emulators.SQSOptions{Root: o.Root, Log: o.EmulatorLog})
	if err != nil {
		return err
	}
	s.sqsEm = em
	s.Info.Queues.Endpoint = em.URL
	// The consumer's and the stack's own calls leave out the tests'
	// APIOptions: the calls a request costs are the request's.
	plain := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	s.SQS = sqs.NewFromConfig(plain, func(so *sqs.Options) { so.BaseEndpoint = aws.String(em.URL) })
	dlq, err := s.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(importsQueue + "-dlq")})
	if err != nil {
		return fmt.Errorf("the imports' dead-letter queue: %w", err)
	}
	attrs, err := s.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		return err
	}
	vis := 10 * time.Second
	if v := o.Getenv("IMPORT_VISIBILITY"); v != "" {
		if vis, err = time.ParseDuration(v); err != nil || vis < time.Second {
			return fmt.Errorf("IMPORT_VISIBILITY=%q is not a duration of a second or more", v)
		}
	}
	q, err := s.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(importsQueue), Attributes: map[string]string{
		"RedrivePolicy":     `{"deadLetterTargetArn":"` + attrs.Attributes["QueueArn"] + `","maxReceiveCount":"` + strconv.Itoa(ImportMaxReceives) + `"}`,
		"VisibilityTimeout": strconv.Itoa(int(vis.Seconds())),
	}})
	if err != nil {
		return fmt.Errorf("the imports' queue: %w", err)
	}
	s.Info.Queues.Imports, s.Info.Queues.ImportsDead = aws.ToString(q.QueueUrl), aws.ToString(dlq.QueueUrl)
	return nil
}

// startConsumer runs import-users' own code on the imports' queue, as its
// event source mapping does on AWS: batches of up to 5 messages, at most
// IMPORT_CONCURRENCY at once. One process stands for all of them, so it
// paces at the whole IMPORT_SEND_RATE.
func (s *Stack) startConsumer(o Options) {
	// Its own clients, without the tests' APIOptions, as the stream's: the
	// calls a request costs and the faults injected into it are the
	// request's, not the consumer's that runs after it.
	plain := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	env := s.Env
	env.Store = store.New(dynamodb.NewFromConfig(plain, func(do *dynamodb.Options) { do.BaseEndpoint = aws.String(s.emulators.DynamoURL) }), TableName)
	env.Mail = sesmail.New(sesv2.NewFromConfig(plain, sesmail.ClientOptions, func(so *sesv2.Options) { so.BaseEndpoint = aws.String(s.emulators.SESURL) }),
		s.Config.SenderEmail, "")
	svc := env.Imports()
	svc.Pacer = imports.NewPacer(float64(s.Config.ImportSendRate))
	s.Imports = svc
	s.Consumer = &sqsconsume.Consumer{SQS: s.SQS, QueueURL: s.Info.Queues.Imports, BatchSize: 5, Concurrency: s.Config.ImportConcurrency, Log: o.Log,
		Handler: func(ctx context.Context, ev events.SQSEvent) events.SQSEventResponse {
			return lambdafn.WorkImports(ctx, svc, o.Log, ev)
		}}
	s.Consumer.Start()
}

// KillConsumer stops the imports' consumer at once, as a crash would: what
// it was working is left unrecorded and its messages undeleted.
func (s *Stack) KillConsumer() { s.Consumer.Stop() }

// RestartConsumer starts a fresh consumer on the imports' queue.
func (s *Stack) RestartConsumer() {
	c := s.Consumer
	s.Consumer = &sqsconsume.Consumer{SQS: c.SQS, QueueURL: c.QueueURL, BatchSize: c.BatchSize, Concurrency: c.Concurrency, Log: c.Log, Handler: c.Handler}
	s.Consumer.Start()
}
