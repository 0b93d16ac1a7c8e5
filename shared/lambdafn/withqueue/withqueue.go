// Package withqueue adds the imports' queue to a function. It is a package
// of its own so that only the function that accepts imports links (and
// initialises) the SQS client.
package withqueue

import (
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/portalaccess/portalaccess/shared/lambdafn"
	"github.com/portalaccess/portalaccess/shared/queue"
)

// SQS is the lambdafn option: the queue at IMPORT_QUEUE_URL.
func SQS(e *lambdafn.Env) error {
	e.App.Queue = queue.SQS{URL: e.App.Config.ImportQueueURL,
		API: sqs.NewFromConfig(e.AWS, func(o *sqs.Options) { o.BaseEndpoint = lambdafn.Endpoint("SQS") })}
	return nil
}
