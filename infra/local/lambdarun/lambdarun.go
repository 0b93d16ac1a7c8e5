// Package lambdarun runs a function's bootstrap binary as AWS Lambda's
// provided.al2023 runtime does: it serves the Lambda Runtime API
// (AWS_LAMBDA_RUNTIME_API: /runtime/invocation/next, the response and error
// endpoints, init errors), hands the binary events, and collects what it
// answers. Tests drive every function's real main through it, and the
// benchmarks time its initialisation.
package lambdarun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// Release are the flags the functions are built with for Lambda.
var Release = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w"}

// Build builds each function's main into dir/<name>/bootstrap for
// goos/goarch with the given flags (Release for what Lambda runs; tests
// pass only the tag, so that the build reuses what go test compiled).
func Build(ctx context.Context, root, dir, goos, goarch string, flags []string, names ...string) error {
	if goos == "" {
		goos, goarch = runtime.GOOS, runtime.GOARCH
	}
	var pkgs []string
	for _, n := range names {
		pkgs = append(pkgs, "./functions/"+n)
	}
	// One go build for all, so that shared packages compile once; then place
	// each as <name>/bootstrap.
	tmp, err := os.MkdirTemp("", "bootstraps-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	args := append([]string{"build"}, flags...)
	args = append(args, "-o", tmp+string(filepath.Separator))
	args = append(args, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	for _, n := range names {
		if err := os.MkdirAll(filepath.Join(dir, n), 0o755); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(tmp, n), filepath.Join(dir, n, "bootstrap")); err != nil {
			return err
		}
	}
	return nil
}

// Result is what the function did with one event.
type Result struct {
	Payload json.RawMessage // the response, when it answered one
	Error   json.RawMessage // the error, when it reported one
}

// Run is one run of a bootstrap: its process and the Runtime API it polls.
type Run struct {
	// Init is the time from starting the process to its first request for
	// an event: Lambda's init phase.
	Init time.Duration
	// InitError is set when the function reported a failed initialisation.
	InitError json.RawMessage

	cmd     *exec.Cmd
	srv     *http.Server
	events  chan invocation
	started time.Time
	first   sync.Once
	ready   chan struct{}
	exited  chan error
	stderr  bytes.Buffer
}

type invocation struct {
	id      string
	payload []byte
	done    chan Result
}

// Start starts the bootstrap with env, serving the Runtime API on a free
// loopback port, and waits until it asks for its first event (or fails).
func Start(ctx context.Context, bootstrap string, env []string) (*Run, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Run{events: make(chan invocation), ready: make(chan struct{}), exited: make(chan error, 1)}
	pending := map[string]invocation{}
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, req *http.Request) {
		r.first.Do(func() { r.Init = time.Since(r.started); close(r.ready) })
		select {
		case inv := <-r.events:
			mu.Lock()
			pending[inv.id] = inv
			mu.Unlock()
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:local")
			h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
			_, _ = w.Write(inv.payload)
		case <-req.Context().Done():
		}
	})
	answer := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, req *http.Request) {
			id := req.PathValue("id")
			body, _ := io.ReadAll(req.Body)
			mu.Lock()
			inv, ok := pending[id]
			delete(pending, id)
			mu.Unlock()
			if !ok {
				http.Error(w, "unknown request id", http.StatusBadRequest)
				return
			}
			if kind == "response" {
				inv.done <- Result{Payload: body}
			} else {
				inv.done <- Result{Error: body}
			}
			w.WriteHeader(http.StatusAccepted)
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", answer("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", answer("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, req *http.Request) {
		r.InitError, _ = io.ReadAll(req.Body)
		w.WriteHeader(http.StatusAccepted)
	})
	r.srv = &http.Server{Handler: mux}
	go func() { _ = r.srv.Serve(l) }()

	r.cmd = exec.Command(bootstrap)
	r.cmd.Env = append(append([]string{}, env...), "AWS_LAMBDA_RUNTIME_API="+l.Addr().String())
	r.cmd.Stderr = &r.stderr
	r.cmd.Stdout = &r.stderr
	r.started = time.Now()
	if err := r.cmd.Start(); err != nil {
		r.srv.Close()
		return nil, err
	}
	go func() { r.exited <- r.cmd.Wait() }()
	select {
	case <-r.ready:
		return r, nil
	case err := <-r.exited:
		r.srv.Close()
		return r, fmt.Errorf("the function exited before asking for an event (%v); init error %s; output:\n%s", err, r.InitError, r.stderr.String())
	case <-ctx.Done():
		r.Stop()
		return nil, ctx.Err()
	case <-time.After(30 * time.Second):
		r.Stop()
		return nil, errors.New("the function did not ask for an event within 30s")
	}
}

var seq int64
var seqMu sync.Mutex

// Invoke hands the function one event and waits for its answer.
func (r *Run) Invoke(ctx context.Context, payload []byte) (Result, error) {
	seqMu.Lock()
	seq++
	id := fmt.Sprintf("req-%d", seq)
	seqMu.Unlock()
	inv := invocation{id: id, payload: payload, done: make(chan Result, 1)}
	select {
	case r.events <- inv:
	case err := <-r.exited:
		return Result{}, fmt.Errorf("the function exited (%v):\n%s", err, r.stderr.String())
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	select {
	case res := <-inv.done:
		return res, nil
	case err := <-r.exited:
		return Result{}, fmt.Errorf("the function exited while handling the event (%v):\n%s", err, r.stderr.String())
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// Output is what the function wrote to stdout and stderr (its logs).
func (r *Run) Output() string { return r.stderr.String() }

// Stop ends the process and the Runtime API.
func (r *Run) Stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		select {
		case <-r.exited:
		case <-time.After(5 * time.Second):
		}
	}
	if r.srv != nil {
		_ = r.srv.Close()
	}
}

// Env is the environment Lambda gives a function, plus the configuration and
// the SDK's standard per-service endpoint variables (how the local runs
// reach the emulators without any branch in the code).
func Env(name string, config map[string]string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(),
		"AWS_LAMBDA_FUNCTION_NAME=" + name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST", "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_SESSION_TOKEN=local",
		"AWS_LAMBDA_LOG_FORMAT=JSON", "_HANDLER=bootstrap", "LAMBDA_TASK_ROOT=/var/task",
	}
	for k, v := range config {
		env = append(env, k+"="+v)
	}
	return env
}
