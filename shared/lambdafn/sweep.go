package lambdafn

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/portalaccess/portalaccess/shared/app/sweep"
)

// StartSweep runs the scheduled sweep: each EventBridge event starts one run,
// which stops a few seconds before the function's timeout.
func StartSweep(name string, opts ...Option) {
	e, _ := MustEnv(name, opts...)
	sweeper := e.App.Sweeper()
	lambda.Start(func(ctx context.Context, _ events.EventBridgeEvent) (sweep.Report, error) {
		budget := 50 * time.Second
		if dl, ok := ctx.Deadline(); ok {
			budget = time.Until(dl) - 5*time.Second
		}
		return sweeper.Run(ctx, budget)
	})
}
