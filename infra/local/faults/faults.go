// Package faults makes chosen AWS calls fail, through the SDK's middleware,
// against the real emulators: the test names a call (by service, operation
// and how many calls of it came before), a kind of failure, and on which
// attempts it strikes. It also records every call, for the tests that count
// what an operation costs.
package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
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
	// TransactionConflict: DynamoDB cancels a TransactWriteItems call because
	// another transaction held one of its items, as it does under contention
	// (DynamoDB Local never does). The answer is the service's own:
	// a TransactionCanceledException whose CancellationReasons hold one reason
	// per item, each "TransactionConflict" or "None", at least one a conflict.
	// The SDK does not retry it; the caller's own retries are new calls.
	TransactionConflict Kind = "transaction_conflict"
	// Interleave: the call waits while Fault.During runs (another request,
	// say), then goes through unharmed. A test slips a change in between an
	// operation's reads and its write, which is where races land.
	Interleave Kind = "interleave"
)

// Kinds are the kinds that apply to every call, in the order tests try them.
// TransactionConflict applies to DynamoDB.TransactWriteItems only.
var Kinds = []Kind{Error, Throttle, Timeout}

// Fault names the failure of one call.
type Fault struct {
	Call string // "Service.Operation", e.g. "DynamoDB.TransactWriteItems"
	Nth  int    // 1 for the first call of that operation since Arm
	Kind Kind
	// Attempts is how many attempts of the call fail (Throttle); 0 is all.
	// For TransactionConflict it is how many calls in a row, from the Nth
	// on, are cancelled (a store retrying a conflict makes a new call each
	// time); 0 is every call from the Nth on.
	Attempts int
	// Seed varies which items of a cancelled transaction name the conflict.
	Seed uint64
	// During is what an Interleave runs, once, before the call goes out.
	During func()
}

func (f Fault) String() string {
	s := fmt.Sprintf("%s of call %d of %s", f.Kind, f.Nth, f.Call)
	if f.Attempts > 0 {
		s += fmt.Sprintf(" (%d attempts)", f.Attempts)
	}
	return s
}

// strikes reports whether the fault is for the nth call of name.
func (f *Fault) strikes(name string, nth int) bool {
	if f == nil || f.Call != name {
		return false
	}
	if f.Kind == TransactionConflict {
		return nth >= f.Nth && (f.Attempts == 0 || nth < f.Nth+f.Attempts)
	}
	return f.Nth == nth
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
	// hold delays every call once it is recorded (see Hold).
	hold time.Duration
}

// Hold makes every call wait d after it is recorded as started, before it
// is sent: calls a function makes at once then overlap by d even on a
// machine too busy to start them together, so that which calls ran one
// after another is read from the recording without depending on the load.
// Zero stops it.
func (i *Injector) Hold(d time.Duration) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.hold = d
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
	// items is the number of items of a TransactWriteItems call.
	items int
}

func (i *Injector) initialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	name := awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
	i.mu.Lock()
	i.counts[name]++
	st := &callState{call: &Call{Name: name, Start: time.Now()}, nth: i.counts[name]}
	if tx, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok {
		st.items = len(tx.TransactItems)
	}
	i.calls = append(i.calls, st.call)
	strike := i.fault != nil && i.fault.Kind == Error && i.fault.strikes(name, st.nth)
	if strike {
		i.fired = true
	}
	var during func()
	if i.fault != nil && i.fault.Kind == Interleave && !i.fired && i.fault.strikes(name, st.nth) {
		i.fired, during = true, i.fault.During
	}
	var before func()
	if h := i.hook; h != nil && h.call == name && h.nth == st.nth {
		before, i.hook = h.do, nil
	}
	hold := i.hold
	i.mu.Unlock()
	if hold > 0 {
		time.Sleep(hold)
	}
	if before != nil {
		before()
	}
	if during != nil {
		// Without the lock: what runs meanwhile makes calls of its own.
		during()
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
	match := f.strikes(st.call.Name, st.nth)
	throttle := match && f.Kind == Throttle && (f.Attempts == 0 || attempt <= f.Attempts)
	timeout := match && f.Kind == Timeout && attempt == 1
	conflict := match && f.Kind == TransactionConflict && st.items > 0
	var seed uint64
	if conflict {
		seed = f.Seed
	}
	if throttle || timeout || conflict {
		i.fired = true
	}
	i.mu.Unlock()
	if conflict {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, transactionConflict(st.items, seed, st.nth, attempt)
	}
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

// transactionConflict is DynamoDB's answer to a transaction of n items that
// lost to another one: HTTP 400, a TransactionCanceledException with one
// reason per item. The SDK surfaces it as it would the service's, inside a
// ResponseError (and, at the operation, a smithy OperationError).
func transactionConflict(n int, seed uint64, nth, attempt int) error {
	rng := rand.New(rand.NewPCG(seed, uint64(nth)<<32|uint64(attempt)))
	reasons := make([]types.CancellationReason, n)
	codes := make([]string, n)
	conflicts := 0
	for k := range reasons {
		codes[k] = "None"
		if rng.IntN(2) == 0 {
			codes[k] = "TransactionConflict"
			conflicts++
		}
	}
	if conflicts == 0 {
		codes[rng.IntN(n)] = "TransactionConflict"
	}
	for k, c := range codes {
		reasons[k].Code = ptr(c)
		if c == "TransactionConflict" {
			reasons[k].Message = ptr("Transaction is ongoing for the item")
		}
	}
	tce := &types.TransactionCanceledException{
		Message:             ptr("Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]"),
		CancellationReasons: reasons,
	}
	res := &http.Response{StatusCode: http.StatusBadRequest, Status: "400 Bad Request", Header: http.Header{}}
	return &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: res}, Err: tce},
		RequestID:     "injected-transaction-conflict",
	}
}

func ptr(s string) *string { return &s }
