// Command hello is the yardstick of the init-time benchmark: an
// aws-lambda-go hello world, built exactly like the product's functions.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, _ map[string]any) (string, error) { return "hello", nil })
}
