package lambdafn

import (
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/portalaccess/portalaccess/shared/lambdafn/awsenv"
)

// awsFromEnv is the AWS configuration Lambda gives a function (awsenv.Config).
func awsFromEnv() (aws.Config, error) { return awsenv.Config() }

// AWSFromEnv is the AWS configuration Lambda gives a function (awsFromEnv),
// for the packages that start functions of their own kind.
func AWSFromEnv() (aws.Config, error) { return awsFromEnv() }

// Endpoint is the SDK's standard endpoint override for a service, from
// AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL (awsenv.Endpoint).
func Endpoint(service string) *string { return awsenv.Endpoint(service) }
