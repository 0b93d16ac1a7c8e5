// Package awsenv is the AWS configuration Lambda gives a function, in a
// package of its own so that a function that needs no other client (the
// health check, which may read its origin secret) links nothing more.
package awsenv

import (
	"errors"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Config is the AWS configuration Lambda gives a function: the region
// and the execution role's credentials in the environment. It reads exactly
// what the SDK's default chain would read on Lambda, without linking the
// config package, whose STS, SSO and sign-in clients cost every cold start a
// few milliseconds of package initialisation for credential sources a
// function never uses.
func Config() (aws.Config, error) {
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if region == "" || key == "" || secret == "" {
		return aws.Config{}, errors.New("AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them)")
	}
	return aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN"))),
	}, nil
}

// Endpoint is the SDK's standard endpoint override for a service, from
// AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL (unset on AWS; the local
// runs point the functions at the emulators with them).
func Endpoint(service string) *string {
	key := "AWS_ENDPOINT_URL_" + strings.ToUpper(strings.NewReplacer(" ", "_", "-", "_").Replace(service))
	if v := os.Getenv(key); v != "" {
		return &v
	}
	if v := os.Getenv("AWS_ENDPOINT_URL"); v != "" {
		return &v
	}
	return nil
}
