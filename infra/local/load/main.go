// Command load is `make load`: a bounded run of mixed traffic through the
// local gateway, on loopback only, against a stack of its own, with the
// sweep running alongside as the schedule runs it. Every route of the API
// is in the mix (TestTheMixHasEveryRoute holds it to routes.Table), in the
// proportions a provider's day brings: mostly the operators' and portal
// admins' reads, portal users asking for their access, then invitations
// sent and accepted, members enabled, disabled and deleted, imports, the
// organization profile, roles, portal setups, webhooks, the operators' own
// life cycle, offboarded customers' jobs. It prints per operation the
// route, the requests, p50/p90/p99, the errors (any answer other than the
// one the request expects; there must be none) and the AWS calls one
// request of it makes (counted by infra/local/faults, one request at a time
// after the run), and fails when any route of the table was not served.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	var c config
	flag.IntVar(&c.requests, "requests", 3000, "how many requests to send")
	flag.IntVar(&c.workers, "workers", 16, "how many at once")
	flag.DurationVar(&c.max, "max", 2*time.Minute, "stop after this long whatever the count")
	flag.IntVar(&c.customers, "customers", 5, "how many customers to seed")
	flag.Parse()
	c.out = os.Stdout
	rep, err := run(context.Background(), c)
	if err == nil {
		err = rep.failure()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// config is one run's size.
type config struct {
	requests, workers int
	max               time.Duration
	customers         int       // seeded, each with members in every state
	out               io.Writer // progress and the table
}

// report is what a run found.
type report struct {
	requests, errors  int
	firstError        string
	sweeps, sweepErrs int64
	unserved          []string // routes of the table no request reached
	misrouted         []string // operations that did not reach the route they name
	elapsed           time.Duration
}

// failure is the run's verdict: no errors, no failed sweep, every route
// served by the operation that names it.
func (r *report) failure() error {
	switch {
	case r.errors > 0 || r.sweepErrs > 0:
		return fmt.Errorf("%d requests failed (the first: %s), %d sweep runs failed", r.errors, r.firstError, r.sweepErrs)
	case len(r.unserved) > 0:
		return fmt.Errorf("no request reached %v: add them to the mix (mix.go)", r.unserved)
	case len(r.misrouted) > 0:
		return fmt.Errorf("operations that did not reach the route they name: %v", r.misrouted)
	}
	return nil
}
