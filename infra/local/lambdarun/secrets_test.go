package lambdarun_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/infra/local/lambdarun"
	"github.com/portalaccess/portalaccess/shared/lambdafn/origin"
)

const (
	cursorSecretARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:CursorSecret-AbCdEf"
	originSecretARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:OriginSecret-AbCdEf"
)

// fakeSecretsManager answers GetSecretValue (JSON 1.1, as the SDK speaks
// it) from values by "ARN stage-or-version", and counts each read; denied
// ARNs get AccessDeniedException, unknown versions ResourceNotFoundException.
type fakeSecretsManager struct {
	mu     sync.Mutex
	values map[string]string
	denied map[string]bool
	reads  map[string]int
}

func (f *fakeSecretsManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"__type":"InvalidRequestException","Message":"only GetSecretValue"}`))
		return
	}
	var in struct{ SecretId, VersionId, VersionStage string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	key := in.SecretId + " " + in.VersionStage + in.VersionId
	f.mu.Lock()
	f.reads[key]++
	v, ok := f.values[key]
	denied := f.denied[in.SecretId]
	f.mu.Unlock()
	switch {
	case denied:
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"__type":"AccessDeniedException","Message":"not authorized to perform: secretsmanager:GetSecretValue"}`))
	case !ok:
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret value"}`))
	default:
		b, _ := json.Marshal(map[string]any{"ARN": in.SecretId, "SecretString": v, "VersionId": "11111111-1111-1111-1111-111111111111"})
		_, _ = w.Write(b)
	}
}

// onAWS is the function's environment as the stack sets it: the secrets by
// ARN, read from the fake at cold start.
func onAWS(t *testing.T, fn string, sm *fakeSecretsManager) []string {
	t.Helper()
	srv := httptest.NewServer(sm)
	t.Cleanup(srv.Close)
	env := config()
	delete(env, "CURSOR_SECRET")
	delete(env, "WEBHOOK_KEY")
	env["CURSOR_SECRET_ARN"] = cursorSecretARN
	env["ORIGIN_SECRET_ARN"] = originSecretARN
	env["ORIGIN_SECRET_PREVIOUS_VERSION"] = "AWSPREVIOUS"
	env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = srv.URL
	if fn == "health" { // the stack gives it the origin secret only
		delete(env, "CURSOR_SECRET_ARN")
	}
	return lambdarun.Env(fn, env)
}

// On AWS the real binaries read their secrets from Secrets Manager, once
// at cold start: the origin check then holds as with the plain setting (a
// fresh secret has no AWSPREVIOUS, which is skipped), and no value reaches
// a log. Both ways of starting a function: lambdafn.Start and public.Start.
func TestFunctionsReadTheirSecretsAtColdStart(t *testing.T) {
	cursor := base64.StdEncoding.EncodeToString(st.Config.CursorSecret)
	for _, fn := range []string{"inspect-invitation", "health"} {
		t.Run(fn, func(t *testing.T) {
			sm := &fakeSecretsManager{reads: map[string]int{}, values: map[string]string{
				cursorSecretARN + " AWSCURRENT": cursor,
				originSecretARN + " AWSCURRENT": originSecret,
			}}
			f := newFixtures(t)
			run, err := lambdarun.Start(context.Background(), filepath.Join(bins, fn, "bootstrap"), onAWS(t, fn, sm))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(run.Stop)
			for range 3 {
				if resp := invoke(t, run, sample(t, fn, f)); resp.StatusCode != 403 || !strings.Contains(resp.Body, origin.CodeRefused) {
					t.Fatalf("without the header: %d %s", resp.StatusCode, resp.Body)
				}
				if resp := invoke(t, run, withHeaders(sample(t, fn, f), origin.Header, originSecret)); resp.StatusCode != 200 {
					t.Fatalf("with the secret: %d %s\n%s", resp.StatusCode, resp.Body, run.Output())
				}
			}
			want := map[string]int{originSecretARN + " AWSCURRENT": 1, originSecretARN + " AWSPREVIOUS": 1}
			if fn != "health" {
				want[cursorSecretARN+" AWSCURRENT"] = 1
			}
			sm.mu.Lock()
			defer sm.mu.Unlock()
			if len(sm.reads) != len(want) {
				t.Errorf("reads %v, want %v", sm.reads, want)
			}
			for k, n := range want {
				if sm.reads[k] != n {
					t.Errorf("reads %v, want %v: once each, at cold start", sm.reads, want)
				}
			}
			if strings.Contains(run.Output(), originSecret) || strings.Contains(run.Output(), cursor) {
				t.Fatal("a secret reached a log")
			}
			// What reading them costs the cold start, against a stand-in
			// on this machine (not Secrets Manager's latency): logged, not
			// asserted.
			plain := startWith(t, fn, map[string]string{"ORIGIN_SECRET": originSecret})
			invoke(t, plain, withHeaders(sample(t, fn, f), origin.Header, originSecret))
			t.Logf("%s: init %s reading its secrets, %s with plain values", fn, run.Init.Round(100*time.Microsecond), plain.Init.Round(100*time.Microsecond))
		})
	}
}

// A secret the function may not read fails its init, with a message that
// names the setting and the secret, and no value.
func TestAFunctionThatCannotReadItsSecretDoesNotStart(t *testing.T) {
	cursor := base64.StdEncoding.EncodeToString(st.Config.CursorSecret)
	sm := &fakeSecretsManager{reads: map[string]int{}, denied: map[string]bool{cursorSecretARN: true}, values: map[string]string{
		cursorSecretARN + " AWSCURRENT": cursor,
		originSecretARN + " AWSCURRENT": originSecret,
	}}
	run, err := lambdarun.Start(context.Background(), filepath.Join(bins, "inspect-invitation", "bootstrap"), onAWS(t, "inspect-invitation", sm))
	if err == nil {
		run.Stop()
		t.Fatal("started")
	}
	msg := err.Error()
	for _, want := range []string{"function cannot start", "CURSOR_SECRET: reading " + cursorSecretARN + " stage AWSCURRENT", "AccessDeniedException"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failed start does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, originSecret) || strings.Contains(msg, cursor) {
		t.Errorf("a secret reached the log:\n%s", msg)
	}
}

// An API function signs its paging cursors: without the cursor secret it
// does not start (the tasks, which page nothing, start without it:
// TestEveryFunctionRunsAsALambda).
func TestAnAPIFunctionWithoutItsCursorSecretDoesNotStart(t *testing.T) {
	env := config()
	delete(env, "CURSOR_SECRET")
	run, err := lambdarun.Start(context.Background(), filepath.Join(bins, "list-customers", "bootstrap"), lambdarun.Env("list-customers", env))
	if err == nil {
		run.Stop()
		t.Fatal("started")
	}
	if msg := err.Error(); !strings.Contains(msg, "function cannot start") || !strings.Contains(msg, "CURSOR_SECRET is not set") {
		t.Fatalf("the failed start does not say why:\n%s", msg)
	}
}
