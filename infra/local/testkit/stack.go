package testkit

import (
	"context"
	"fmt"

	"github.com/portalaccess/portalaccess/infra/local/stack"
)

// StartStack starts the local stack for a test binary or a benchmark with
// env as the handlers' whole environment (nothing of the process's own:
// o.Getenv is set from env), so that a run does not depend on the shell
// it was started from.
func StartStack(ctx context.Context, env map[string]string, o stack.Options) (*stack.Stack, error) {
	o.Getenv = func(k string) string { return env[k] }
	st, err := stack.Start(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("start the local stack: %w", err)
	}
	return st, nil
}
