package lambdafn

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// StartBootstrap runs the custom resource that creates and invites the
// first operator admin at deploy. The resource's AdminEmail property names
// them; deleting the stack's resource leaves the operator in place (the
// table, kept by deletion protection, outlives it anyway).
func StartBootstrap(name string, opts ...Option) {
	log := lambdacontext.NewLogger()
	e, startErr := env(log, opts...)
	if startErr != nil {
		// Answer CloudFormation rather than exit, so that a deploy fails at
		// once with the reason instead of waiting for the resource to time out.
		log.Error("function cannot start", "function", name, "error", startErr.Error())
	}
	lambda.Start(cfn.LambdaWrap(func(ctx context.Context, ev cfn.Event) (string, map[string]any, error) {
		email, _ := ev.ResourceProperties["AdminEmail"].(string)
		if ev.RequestType == cfn.RequestDelete {
			return ev.PhysicalResourceID, nil, nil
		}
		if startErr != nil {
			return "", nil, fmt.Errorf("the bootstrap function cannot start: %w", startErr)
		}
		id, err := e.App.Members().EnsureFirstAdmin(ctx, email)
		if err != nil {
			return "", nil, fmt.Errorf("first operator admin %q: %w", email, err)
		}
		log.Info("first operator admin in place", "operator", id)
		return "operator-" + id, map[string]any{"OperatorId": id}, nil
	}))
}
