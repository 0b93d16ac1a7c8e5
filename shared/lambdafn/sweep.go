package lambdafn

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/portalaccess/portalaccess/shared/app/sweep"
)

// StartSweep runs the scheduled sweep: each EventBridge event starts one run,
// which stops a few seconds before the function's timeout.
func StartSweep(name string, opts ...Option) {
	log := lambdacontext.NewLogger()
	e, err := env(log, opts...)
	if err != nil {
		log.Error("function cannot start", "function", name, "error", err.Error())
		os.Exit(1)
	}
	sweeper := e.App.Sweeper()
	lambda.Start(func(ctx context.Context, _ events.EventBridgeEvent) (sweep.Report, error) {
		budget := 50 * time.Second
		if dl, ok := ctx.Deadline(); ok {
			budget = time.Until(dl) - 5*time.Second
		}
		return sweeper.Run(ctx, budget)
	})
}
