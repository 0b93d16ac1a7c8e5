// Command run is `make run`: the whole product on this machine, with no
// cloud account. Ctrl-C stops every process it started.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/stack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "make run:", err)
		os.Exit(1)
	}
}

func port(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("%s=%q is not a port number", name, v)
	}
	return p, nil
}

func run() error {
	start := time.Now()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := emulators.FindRoot()
	if err != nil {
		return err
	}
	data := filepath.Join(root, ".local")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	apiPort, err := port("PORT", 8080)
	if err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(data, "emulators.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
	admin := os.Getenv("ADMIN_EMAIL")
	sweep := time.Minute
	if v := os.Getenv("EXPIRY_SWEEP_INTERVAL"); v != "" {
		if sweep, err = time.ParseDuration(v); err != nil || sweep <= 0 {
			return fmt.Errorf("EXPIRY_SWEEP_INTERVAL=%q is not a positive duration such as 1m", v)
		}
	}
	fmt.Println("Starting DynamoDB Local, cognito-local and aws-ses-v2-local…")
	s, err := stack.Start(ctx, stack.Options{
		Root: root, DataDir: data, APIPort: apiPort, DynamoPort: 8000, CognitoPort: 9229, SESPort: 8005,
		// Fixed, so that a portal setup made for the sample portal (its URL
		// is the setup's) and the issuer in its tokens survive a restart.
		FrontPort: 9230, SamplePortalPort: 8090, SampleReceiverPort: 8091,
		AdminEmail: admin, Log: log, EmulatorLog: logFile, SweepInterval: sweep,
	})
	if err != nil {
		return err
	}
	defer s.Stop()
	for _, r := range s.Repaired {
		fmt.Printf("Repaired the first operator admin %s: %s.\n", s.Info.Admin.Email, r)
	}
	i := s.Info
	fmt.Printf(`
Portal Access is running (ready in %.1fs). Data is kept in .local/; Ctrl-C stops everything.

  Web console    %s/   (sign in as the admin below)
  API            %s   (try %s/v1/health)
  Sample portal  %s   a customer's portal: give it a portal setup with this URL
  Managed login  %s   stand-in for Cognito's sign-in and password-reset pages
  DynamoDB       %s   table %s
  Cognito        %s   user pool %s, app client %s (cognito-local: %s)
  SES (e-mails)  %s   open it in a browser to read every e-mail sent
  Events         %s   the event bus's stand-in (PutEvents); every committed change is published to it
  Queues (SQS)   %s   local-aws-sqs: the imports' queue, worked by import-users' own code; the webhooks' queues, by deliver-webhooks'
  Webhooks       %s/   sample receiver: subscribe %s/hooks; it verifies signatures with a secret pasted on its page
                 delivery log: GET %s/v1/customers/{customerId}/webhooks/{webhookId}/deliveries
  Expiry sweep   every %s
  Stack details  .local/stack.json    emulator logs: .local/emulators.log

First operator admin:  %s  /  %s

The walk from a portal setup to a user signed in at the sample portal is in
README.md, "A customer's portal signs in through Portal Access".

Sign in (Cognito InitiateAuth, USER_PASSWORD_AUTH) and make a first request:

  TOKEN=$(curl -s %s/ \
    -H 'Content-Type: application/x-amz-json-1.1' \
    -H 'X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth' \
    -d '{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"%s","AuthParameters":{"USERNAME":"%s","PASSWORD":"%s"}}' \
    | node -pe 'JSON.parse(require("fs").readFileSync(0)).AuthenticationResult.AccessToken')
  curl -s %s/v1/me -H "Authorization: Bearer $TOKEN"

`, time.Since(start).Seconds(), i.APIURL, i.APIURL, i.APIURL, i.SamplePortal.URL, i.ManagedLogin.URL,
		i.DynamoDB.Endpoint, i.DynamoDB.Table,
		i.Cognito.Endpoint, i.Cognito.UserPoolID, i.Cognito.ClientID, i.Cognito.Emulator, i.SES.Endpoint, i.Events.Bus, i.Queues.Endpoint,
		i.Webhooks.Receiver, i.Webhooks.Receiver, i.APIURL, sweep,
		i.Admin.Email, i.Admin.Password,
		i.Cognito.Endpoint, i.Cognito.ClientID, i.Admin.Email, i.Admin.Password, i.APIURL)
	<-ctx.Done()
	fmt.Println("\nStopping…")
	return nil
}
