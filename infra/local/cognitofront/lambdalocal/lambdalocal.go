// Package lambdalocal is a local stand-in for AWS Lambda's Invoke API, for
// cognito-local's triggers: cognito-local's Lambda client (aws-sdk v2, its
// LambdaClient.endpoint pointed here) calls
// POST /2015-03-31/functions/<name>/invocations, and the Go handler
// registered for that name runs in this process and answers.
//
// The request's signature is not checked: this is for loopback only.
package lambdalocal

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Handler runs one invocation: the event in, the function's answer out (for
// a Cognito trigger: the event with its response filled in).
type Handler func(ctx context.Context, event []byte) ([]byte, error)

// Typed adapts a handler of typed events and answers, as aws-lambda-go's
// lambda.Start takes (for example
// func(context.Context, events.CognitoEventUserPoolsCustomMessage)
// (events.CognitoEventUserPoolsCustomMessage, error)), to a Handler.
func Typed[E, A any](h func(context.Context, E) (A, error)) Handler {
	return func(ctx context.Context, event []byte) ([]byte, error) {
		var ev E
		if err := json.Unmarshal(event, &ev); err != nil {
			return nil, fmt.Errorf("the event does not decode: %w", err)
		}
		answer, err := h(ctx, ev)
		if err != nil {
			return nil, err
		}
		return json.Marshal(answer)
	}
}

// Observer sees each successful invocation: the function's name, the event
// and the answer. It must not keep the slices' memory beyond the call
// without copying; it must not block for long.
type Observer func(ctx context.Context, function string, event, answer []byte)

// Functions are the registered functions; a *Functions is the http.Handler
// of the Invoke endpoint. The zero value is not usable: call New.
type Functions struct {
	mu        sync.RWMutex
	fns       map[string]Handler
	observers []Observer
	log       *slog.Logger
	timeout   time.Duration
}

// New makes an empty set of functions. log may be nil; it never receives
// events or answers (they carry user attributes).
func New(log *slog.Logger) *Functions {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Functions{fns: map[string]Handler{}, log: log, timeout: 30 * time.Second}
}

// Register makes name invocable; a second Register replaces the handler.
func (f *Functions) Register(name string, h Handler) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fns[name] = h
}

// Observe adds an observer of every successful invocation.
func (f *Functions) Observe(o Observer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.observers = append(f.observers, o)
}

// maxPayload is Lambda's limit for a synchronous invocation's request.
const maxPayload = 6 << 20

const prefix = "/2015-03-31/functions/"

func (f *Functions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := functionName(r.URL)
	if !ok {
		writeAPIError(w, http.StatusNotFound, "UnknownOperationException", "Unknown operation "+r.Method+" "+r.URL.Path)
		return
	}
	if r.Method != http.MethodPost {
		writeAPIError(w, http.StatusMethodNotAllowed, "UnknownOperationException", "Invoke is POST")
		return
	}
	f.mu.RLock()
	h := f.fns[name]
	observers := append([]Observer(nil), f.observers...)
	f.mu.RUnlock()
	if h == nil {
		writeAPIError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	event, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPayload))
	if err != nil {
		writeAPIError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
		return
	}
	if len(event) == 0 {
		event = []byte("{}")
	}
	switch r.Header.Get("X-Amz-Invocation-Type") {
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
			defer cancel()
			if answer, err := run(ctx, h, event); err != nil {
				f.log.Warn("local Lambda function failed", "function", name, "error", err.Error())
			} else {
				notify(ctx, observers, name, event, answer)
			}
		}()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), f.timeout)
	defer cancel()
	answer, err := run(ctx, h, event)
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		// As Lambda answers a function error: 200, the header, the error.
		f.log.Warn("local Lambda function failed", "function", name, "error", err.Error())
		b, _ := json.Marshal(map[string]any{"errorMessage": err.Error(), "errorType": fmt.Sprintf("%T", err)})
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
		return
	}
	notify(ctx, observers, name, event, answer)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(answer)
}

func functionName(u *url.URL) (string, bool) {
	p := u.EscapedPath()
	if !strings.HasPrefix(p, prefix) || !strings.HasSuffix(p, "/invocations") {
		return "", false
	}
	raw := strings.TrimSuffix(strings.TrimPrefix(p, prefix), "/invocations")
	name, err := url.PathUnescape(raw)
	if err != nil || name == "" || strings.Contains(name, "/") {
		return "", false
	}
	// An ARN or a name with a qualifier: arn:aws:lambda:<r>:<a>:function:<name>[:<q>].
	if strings.HasPrefix(name, "arn:") {
		parts := strings.Split(name, ":")
		if len(parts) >= 7 && parts[5] == "function" {
			name = parts[6]
		}
	} else if i := strings.IndexByte(name, ':'); i > 0 {
		name = name[:i]
	}
	return name, true
}

// run calls the handler, a panic being an error as in Lambda.
func run(ctx context.Context, h Handler, event []byte) (answer []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			answer, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	answer, err = h(ctx, event)
	if err == nil && len(answer) == 0 {
		answer = []byte("null")
	}
	if err == nil && !json.Valid(answer) {
		return nil, fmt.Errorf("the function's answer is not JSON")
	}
	return answer, err
}

func notify(ctx context.Context, observers []Observer, name string, event, answer []byte) {
	for _, o := range observers {
		o(ctx, name, event, answer)
	}
}

// writeAPIError answers an error of the Invoke API itself (not of the
// function), as the service does: the type in X-Amzn-ErrorType.
func writeAPIError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"Type": "User", "Message": msg})
	_, _ = w.Write(b)
}
