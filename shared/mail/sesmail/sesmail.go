// Package sesmail sends the product's e-mails through Amazon SES (API v2).
package sesmail

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/portalaccess/portalaccess/shared/apperr"
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
		var thr *types.TooManyRequestsException
		var lim *types.LimitExceededException
		if errors.As(err, &thr) || errors.As(err, &lim) {
			return "", &apperr.Error{Kind: apperr.Unavailable, Code: "unavailable", Detail: "The mail service is busy.", Err: err}
		}
		return "", apperr.Wrap(fmt.Errorf("SendEmail: %w", err), "")
	}
	return aws.ToString(out.MessageId), nil
}
