package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/stack"
	"github.com/portalaccess/portalaccess/infra/local/testkit"
)

// gateway is the local stack's API as the first operator admin calls it.
type gateway struct {
	url, token string
}

// localStack starts the whole local stack (DynamoDB Local, cognito-local,
// the SES and SQS emulators, the gateway and the imports' consumer) with
// env as its environment, and signs the first operator admin in.
func localStack(ctx context.Context, env map[string]string) (*stack.Stack, gateway, error) {
	st, err := testkit.StartStack(ctx, env, stack.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		EnrolAdmin: true}) // the admin signs in with an authenticator app's code
	if err != nil {
		return nil, gateway{}, err
	}
	auth, err := st.SignIn(ctx, st.Info.Admin.Email, st.Info.Admin.Password)
	if err != nil {
		st.Stop()
		return nil, gateway{}, err
	}
	return st, gateway{url: st.Info.APIURL, token: aws.ToString(auth.AccessToken)}, nil
}

// call sends one request and wants the status want; it answers the body
// and the headers.
func (g gateway) call(method, path, contentType string, body []byte, want int) ([]byte, http.Header, error) {
	req, err := http.NewRequest(method, g.url+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+g.token)
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		return nil, nil, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, out)
	}
	return out, res.Header, nil
}

func (g gateway) post(path string, body any, want int) ([]byte, error) {
	b, _ := json.Marshal(body)
	out, _, err := g.call("POST", path, "application/json", b, want)
	return out, err
}

// newCustomer creates a customer and answers its id.
func (g gateway) newCustomer(name string) (string, error) {
	out, err := g.post("/v1/customers", map[string]any{"name": name}, 201)
	if err != nil {
		return "", err
	}
	var c struct{ ID string }
	if err := json.Unmarshal(out, &c); err != nil || c.ID == "" {
		return "", fmt.Errorf("a new customer without an id: %s", out)
	}
	return c.ID, nil
}

// bulk sends one bulk invite of 100 e-mails through the local gateway (the
// whole stack: DynamoDB Local, cognito-local, the SES emulator) and prints
// its wall time and the e-mails per second it held, counted in the SES
// emulator's mailbox.
func bulk() error {
	fmt.Println("\n## A bulk invite of 100 (the local stack, through the gateway)")
	ctx := context.Background()
	st, gw, err := localStack(ctx, map[string]string{"INVITE_RATE_LIMIT": "1000000"})
	if err != nil {
		return err
	}
	defer st.Stop()
	id, err := gw.newCustomer("Bulk")
	if err != nil {
		return err
	}
	emails := make([]string, 100)
	for i := range emails {
		emails[i] = fmt.Sprintf("bulk%03d@bulk.example", i)
	}
	start := time.Now()
	out, err := gw.post("/v1/customers/"+id+"/users/bulk", map[string]any{"emails": emails}, 200)
	took := time.Since(start)
	if err != nil {
		return err
	}
	var res struct{ Results []struct{ Outcome string } }
	_ = json.Unmarshal(out, &res)
	invited := 0
	for _, r := range res.Results {
		if r.Outcome == "invited" {
			invited++
		}
	}
	mails, err := emulators.Mailbox(st.Info.SES.Endpoint)
	if err != nil {
		return err
	}
	sent := 0
	for _, e := range emails {
		sent += len(emulators.To(mails, e))
	}
	if invited != 100 || sent != 100 {
		return fmt.Errorf("bulk of 100: %d invited, %d e-mails in the mailbox", invited, sent)
	}
	fmt.Printf("| e-mails | wall time | e-mails per second |\n| --- | --- | --- |\n| %d | %.2f s | %.1f |\n", sent, took.Seconds(), float64(sent)/took.Seconds())
	return nil
}
