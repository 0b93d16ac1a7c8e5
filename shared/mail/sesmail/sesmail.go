// Package sesmail sends the product's e-mails through Amazon SES (API v2).
package sesmail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/mail"
)

// Client is the part of the SES v2 client the sender uses.
type Client interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

var _ Client = (*sesv2.Client)(nil)

// Sender sends from one address, optionally through a configuration set.
type Sender struct {
	c                Client
	from             string
	configurationSet string
}

var _ mail.Sender = (*Sender)(nil)

// New makes a sender.
func New(c Client, from, configurationSet string) *Sender {
	return &Sender{c: c, from: from, configurationSet: configurationSet}
}

// Send sends one message with a text and an HTML part, both UTF-8.
func (s *Sender) Send(ctx context.Context, m mail.Message) (string, error) {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: &s.from,
		Destination:      &types.Destination{ToAddresses: []string{m.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: &m.Subject, Charset: aws.String("UTF-8")},
			Body: &types.Body{
				Text: &types.Content{Data: &m.Text, Charset: aws.String("UTF-8")},
				Html: &types.Content{Data: &m.HTML, Charset: aws.String("UTF-8")},
			},
		}},
	}
	if s.configurationSet != "" {
		in.ConfigurationSetName = &s.configurationSet
	}
	out, err := s.c.SendEmail(ctx, in)
	if err != nil {
		if outcomeUnknown(err) {
			// The request may have reached SES and its answer been lost: the
			// message may or may not have gone out.
			return "", fmt.Errorf("SendEmail: %w: %w", mail.ErrOutcomeUnknown, err)
		}
		var thr *types.TooManyRequestsException
		var lim *types.LimitExceededException
		if errors.As(err, &thr) || errors.As(err, &lim) {
			return "", mail.ErrUnavailable.In("ses: SendEmail", err)
		}
		return "", errs.Wrap("ses: SendEmail", err)
	}
	return aws.ToString(out.MessageId), nil
}

// outcomeUnknown reports whether an error leaves it open whether SES got the
// request: a timeout, or a connection that broke while reading the answer.
// An answer from SES, or a failure to connect, means nothing was sent.
func outcomeUnknown(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Op != "dial" && op.Op != "proxyconnect"
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// ClientOptions configure the SES client so that the SDK retries only what
// SES refused before sending (throttling). A timeout after the request left
// is not retried: the message may have gone out, and a blind retry would send
// it twice.
func ClientOptions(o *sesv2.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.Retryables = []retry.IsErrorRetryable{
			retry.RetryableErrorCode{Codes: map[string]struct{}{
				"TooManyRequestsException": {}, "ThrottlingException": {}, "Throttling": {}, "LimitExceededException": {},
			}},
		}
	})
}
