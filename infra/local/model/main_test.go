package model

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go/middleware"

	"github.com/portalaccess/portalaccess/infra/local/faults"
	"github.com/portalaccess/portalaccess/infra/local/stack"
	"github.com/portalaccess/portalaccess/infra/local/testkit"
	"github.com/portalaccess/portalaccess/shared/openapi"
)

// The run's parameters. make model passes MODEL_STEPS and MODEL_SEED; the
// flags win over the environment.
var (
	flagSteps = flag.Int("model.steps", envInt("MODEL_STEPS", 0), "steps per seed (0: the default)")
	flagSeed  = flag.Uint64("model.seed", uint64(envInt("MODEL_SEED", 0)), "the one seed to run (0: pick seeds at random, or the fixed default when no count is given)")
	flagSeeds = flag.Int("model.seeds", envInt("MODEL_SEEDS", 0), "how many random seeds to run when no seed is given (0: the fixed default seed)")
	flagFault = flag.Float64("model.faults", envFloat("MODEL_FAULTS", 0.2), "the share of steps that get a fault")
	// MODEL_STRICT=1 turns every known-bug switch off, MODEL_STRICT=a,b
	// those named: the model then fails on those bugs, as it should once
	// they are fixed.
	flagStrict = flag.String("model.strict", os.Getenv("MODEL_STRICT"), `known bugs not to tolerate: "1" for all, or names, comma-separated`)
	// MODEL_TRACE=1 prints every seed's numbered steps, also when it passes.
	flagTrace = flag.Bool("model.trace", os.Getenv("MODEL_TRACE") == "1", "print the steps of passing seeds too")
)

// Defaults for go test ./... (make test): one fixed seed of a few hundred
// steps, a minute or so on a laptop (0.1 to 0.2 s a step). Long runs, and
// other seeds, go through make model.
const (
	defaultSeed  = 20261201
	defaultSteps = 300
)

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(strings.TrimSpace(os.Getenv(k))); err == nil {
		return v
	}
	return def
}

func envFloat(k string, def float64) float64 {
	if v, err := strconv.ParseFloat(strings.TrimSpace(os.Getenv(k)), 64); err == nil {
		return v
	}
	return def
}

// The model's settings of the stack; the model predicts from the same values.
const (
	invitationTTL    = 168 * time.Hour
	reminderBefore   = 48 * time.Hour
	reinviteCooldown = 90 * time.Second // not the send lease's 60 s, so that the two are told apart
	sendLease        = 60 * time.Second // shared/api's sendLease
	syncGrace        = 2 * time.Minute  // shared/store's syncGrace: when the sweep finishes an identity
	claimLease       = 30 * time.Second // shared/app/invitations' ClaimLease
	pendingGrace     = 2 * time.Minute  // and its PendingGrace: when the sweep looks at a pending identity
	idempotencyTTL   = 24 * time.Hour
)

var (
	st       *stack.Stack
	spec     *openapi.Validator
	injector = faults.New()
	// clock is the business clock of the handlers, and the model's: it moves
	// only when a step moves it.
	clock struct {
		mu  sync.Mutex
		now time.Time
	}
	// logs holds what the stack logged during the current step (far less
	// than 1 MiB: past that it keeps the tail).
	logs = testkit.LockedBuffer{Max: 1 << 20}
)

func now() time.Time {
	clock.mu.Lock()
	defer clock.mu.Unlock()
	return clock.now
}

func setNow(t time.Time) {
	clock.mu.Lock()
	clock.now = t
	clock.mu.Unlock()
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	var err error
	if spec, err = openapi.New(); err != nil {
		fmt.Fprintln(os.Stderr, "load the OpenAPI document:", err)
		return 1
	}
	setNow(time.Now().UTC().Truncate(time.Millisecond))
	env := map[string]string{
		"INVITATION_TTL": invitationTTL.String(), "INVITATION_REMINDER": reminderBefore.String(),
		"REINVITE_COOLDOWN": reinviteCooldown.String(),
		// Rate limits are not modelled: far above what a run sends.
		"INVITE_RATE_LIMIT": "1000000", "PUBLIC_RATE_LIMIT": "1000000",
		// Nor is the operators' second factor (infra/local/e2e/mfa_test.go
		// tests it): operators need no authenticator app here.
		"OPERATOR_MFA": "off",
	}
	st, err = testkit.StartStack(ctx, env, stack.Options{
		Log:        slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:        now,
		APIOptions: []func(*middleware.Stack) error{injector.APIOption},
		MaxBackoff: 10 * time.Millisecond,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Stop()
	return m.Run()
}

// request is one HTTP request of a step, kept so that it can be sent again
// byte for byte (a retry, an idempotent replay).
type request struct {
	method, path string
	body         []byte
	key          string // Idempotency-Key
	ifMatch      string
}

func (r request) String() string {
	s := r.method + " " + shortPath(r.path)
	if r.body != nil {
		b := string(r.body)
		if len(b) > 160 {
			b = b[:160] + "…"
		}
		s += " " + b
	}
	if r.key != "" {
		s += " [Idempotency-Key " + r.key + "]"
	}
	if r.ifMatch != "" {
		s += " [If-Match " + r.ifMatch + "]"
	}
	return s
}

// response is an answer, with the problem fields decoded.
type response struct {
	status int
	code   string
	fields []string
	body   []byte
	header http.Header
	// invalid is set when the answer does not match the OpenAPI document.
	invalid error
}

func (r *response) String() string {
	if r == nil {
		return "-"
	}
	return outcome(r.status, r.code, r.fields)
}

// outcome is how an answer and an expectation print: the status, and the
// problem's code and fields when there is one.
func outcome(status int, code string, fields []string) string {
	if code != "" {
		s := fmt.Sprintf("%d %s", status, code)
		if len(fields) > 0 {
			s += " " + strings.Join(fields, ",")
		}
		return s
	}
	return strconv.Itoa(status)
}

func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// send makes one request with a bearer token ("" for none).
func send(token string, r request) (*response, error) {
	req, err := http.NewRequest(r.method, st.Info.APIURL+r.path, bytes.NewReader(r.body))
	if err != nil {
		return nil, err
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if r.key != "" {
		req.Header.Set("Idempotency-Key", r.key)
	}
	if r.ifMatch != "" {
		req.Header.Set("If-Match", r.ifMatch)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	out := &response{status: res.StatusCode, body: body, header: res.Header}
	if res.StatusCode >= 400 {
		var p struct {
			Code   string `json:"code"`
			Errors []struct {
				Field string `json:"field"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, fmt.Errorf("%s %s answered %d with %q", r.method, r.path, res.StatusCode, body)
		}
		out.code = p.Code
		for _, f := range p.Errors {
			out.fields = append(out.fields, f.Field)
		}
	}
	vreq, _ := http.NewRequest(r.method, st.Info.APIURL+r.path, bytes.NewReader(r.body))
	vreq.Header = req.Header.Clone()
	out.invalid = spec.ValidateResponse(vreq, res, body)
	return out, nil
}

func shortPath(p string) string {
	return strings.TrimPrefix(p, "/v1")
}
