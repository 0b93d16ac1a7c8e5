package lambdafn

import (
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
)

type (
	awsConfig = aws.Config
	eventIn   = events.APIGatewayV2HTTPRequest
	eventOut  = events.APIGatewayV2HTTPResponse
)
