// Package faults makes chosen AWS calls fail, through the SDK's middleware,
// against the real emulators: the test names a call (by service, operation
// and how many calls of it came before), a kind of failure, and on which
// attempts it strikes. It also records every call, for the tests that count
// what an operation costs.
package faults

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Kind is a kind of failure.
type Kind string

const (
	// Error: the call fails before it reaches the service.
	Error Kind = "error"
	// Throttle: the service refuses the attempt before doing anything; the
	// SDK's retryer may try again.
	Throttle Kind = "throttle"
	// Timeout: the call reaches the service and is applied, but its answer
	// is lost; the client sees a timeout (and the SDK's retryer may send it
	// again).
	Timeout Kind = "timeout"
)

// Kinds are all kinds, in the order tests try them.
var Kinds = []Kind{Error, Throttle, Timeout}

// Fault names the failure of one call.
type Fault struct {
	Call string // "Service.Operation", e.g. "DynamoDB.TransactWriteItems"
	Nth  int    // 1 for the first call of that operation since Arm
	Kind Kind
	// Attempts is how many attempts of the call fail (Throttle); 0 is all.
	Attempts int
}

func (f Fault) String() string {
	return fmt.Sprintf("%s of call %d of %s", f.Kind, f.Nth, f.Call)
}

// Call is one recorded call.
type Call struct {
	Name       string
	Start, End time.Time
	Attempts   int
	Err        error
}

// Injector is installed in every client of a stack; disarmed it only records.
type Injector struct {
	mu     sync.Mutex
	fault  *Fault
	fired  bool
	counts map[string]int
	calls  []*Call
	hook   *hook
}

// hook runs something just before one call, to make a race happen on cue.
type hook struct {
	call string
	nth  int
	do   func()
}

// Before runs do once, just before the nth call of call (counted from now)
// is sent, and blocks that call until do returns: a test makes "the world
// changes between the read and the write" happen exactly there.
func (i *Injector) Before(call string, nth int, do func()) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.counts = map[string]int{}
	i.hook = &hook{call: call, nth: nth, do: do}
}

// New makes a disarmed injector.
func New() *Injector { return &Injector{counts: map[string]int{}} }

// APIOption installs the injector in a client (aws.Config.APIOptions).
func (i *Injector) APIOption(stack *middleware.Stack) error {
	// After the SDK has registered the service and operation names.
	if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("FaultInjectorCall", i.initialize), middleware.After); err != nil {
		return err
	}
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("FaultInjectorAttempt", i.finalize), "Retry", middleware.After)
}

// Arm makes the injector fail the fault's call; counting starts afresh.
func (i *Injector) Arm(f Fault) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.fault, i.fired, i.counts = &f, false, map[string]int{}
}

// Disarm stops failing calls and reports whether the fault struck.
func (i *Injector) Disarm() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	fired := i.fired
	i.fault, i.fired = nil, false
	return fired
}

// Record starts a new recording of calls.
func (i *Injector) Record() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.calls, i.counts = nil, map[string]int{}
}

// Calls returns the calls recorded since Record.
func (i *Injector) Calls() []Call {
	i.mu.Lock()
	defer i.mu.Unlock()
	out := make([]Call, len(i.calls))
	for k, c := range i.calls {
		out[k] = *c
	}
	return out
}

type callKey struct{}

type callState struct {
	call *Call
	nth  int
}

func (i *Injector) initialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	name := awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
	i.mu.Lock()
	i.counts[name]++
	st := &callState{call: &Call{Name: name, Start: time.Now()}, nth: i.counts[name]}
	i.calls = append(i.calls, st.call)
	strike := i.fault != nil && i.fault.Kind == Error && i.fault.Call == name && i.fault.Nth == st.nth
	if strike {
		i.fired = true
	}
	var before func()
	if h := i.hook; h != nil && h.call == name && h.nth == st.nth {
		before, i.hook = h.do, nil
	}
	i.mu.Unlock()
	if before != nil {
		before()
	}
	var out middleware.InitializeOutput
	var md middleware.Metadata
	var err error
	if strike {
		// As when the service cannot be reached: nothing was sent.
		err = &smithy.OperationError{ServiceID: awsmiddleware.GetServiceID(ctx), OperationName: awsmiddleware.GetOperationName(ctx),
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("injected fault: %s: connection refused", name)}}
	} else {
		out, md, err = next.HandleInitialize(context.WithValue(ctx, callKey{}, st), in)
	}
	i.mu.Lock()
	st.call.End, st.call.Err = time.Now(), err
	i.mu.Unlock()
	return out, md, err
}

// timeoutError is what a lost answer looks like to the SDK: a network
// timeout, which its retryer may retry.
type timeoutError struct{ call string }

func (e timeoutError) Error() string {
	return "injected timeout: the answer to " + e.call + " was lost"
}
func (e timeoutError) Timeout() bool   { return true }
func (e timeoutError) Temporary() bool { return true }

func (i *Injector) finalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	st, _ := ctx.Value(callKey{}).(*callState)
	if st == nil {
		return next.HandleFinalize(ctx, in)
	}
	i.mu.Lock()
	st.call.Attempts++
	attempt := st.call.Attempts
	f := i.fault
	match := f != nil && f.Call == st.call.Name && f.Nth == st.nth
	throttle := match && f.Kind == Throttle && (f.Attempts == 0 || attempt <= f.Attempts)
	timeout := match && f.Kind == Timeout && attempt == 1
	if throttle || timeout {
		i.fired = true
	}
	i.mu.Unlock()
	if throttle {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, &smithy.GenericAPIError{
			Code: "ThrottlingException", Message: "injected throttling", Fault: smithy.FaultServer,
		}
	}
	out, md, err := next.HandleFinalize(ctx, in)
	if timeout && err == nil {
		return middleware.FinalizeOutput{}, md, timeoutError{call: st.call.Name}
	}
	return out, md, err
}
