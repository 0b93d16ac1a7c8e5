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
)

// bulk sends one bulk invite of 100 e-mails through the local gateway (the
// whole stack: DynamoDB Local, cognito-local, the SES emulator) and prints
// its wall time and the e-mails per second it held, counted in the SES
// emulator's mailbox.
func bulk() error {
	fmt.Println("\n## A bulk invite of 100 (the local stack, through the gateway)")
	ctx := context.Background()
	env := map[string]string{"INVITE_RATE_LIMIT": "1000000"}
	st, err := stack.Start(ctx, stack.Options{Getenv: func(k string) string { return env[k] }, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		EnrolAdmin: true}) // the admin signs in with an authenticator app's code
	if err != nil {
		return err
	}
	defer st.Stop()
	auth, err := st.SignIn(ctx, st.Info.Admin.Email, st.Info.Admin.Password)
	if err != nil {
		return err
	}
	token := aws.ToString(auth.AccessToken)
	post := func(path string, body any, want int) ([]byte, error) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", st.Info.APIURL+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode != want {
			return nil, fmt.Errorf("POST %s: %d %s", path, res.StatusCode, out)
		}
		return out, nil
	}
	out, err := post("/v1/customers", map[string]any{"name": "Bulk"}, 201)
	if err != nil {
		return err
	}
	var c struct{ ID string }
	_ = json.Unmarshal(out, &c)
	emails := make([]string, 100)
	for i := range emails {
		emails[i] = fmt.Sprintf("bulk%03d@bulk.example", i)
	}
	start := time.Now()
	out, err = post("/v1/customers/"+c.ID+"/users/bulk", map[string]any{"emails": emails}, 200)
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
