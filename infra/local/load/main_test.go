package main

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/routes"
)

// TestTheMixHasEveryRoute holds the mix to the route table: a new route
// is not done until make load sends it, in the proportion a provider's
// day would.
func TestTheMixHasEveryRoute(t *testing.T) {
	w := &world{}
	named := map[string]bool{}
	names := map[string]bool{}
	for _, o := range w.operations() {
		if o.weight <= 0 {
			t.Errorf("%s has weight %d: it would never be sent", o.name, o.weight)
		}
		if names[o.name] {
			t.Errorf("two operations are called %q", o.name)
		}
		names[o.name] = true
		named[o.route] = true
	}
	var functions []string
	for _, rt := range routes.Table {
		if rt.Method == "" {
			continue
		}
		functions = append(functions, rt.Function)
		if !named[rt.Function] {
			t.Errorf("no operation of the mix sends %s %s (%s)", rt.Method, rt.Path, rt.Function)
		}
	}
	for r := range named {
		if !slices.Contains(functions, r) {
			t.Errorf("an operation names %q, which is no route of the table", r)
		}
	}
}

// TestAShortRunReachesEveryRouteWithoutAnError is make load, small: every
// operation's requests answered as expected, each operation reaching the
// route it names, every route of the table reached, the sweep alongside
// never failing.
func TestAShortRunReachesEveryRouteWithoutAnError(t *testing.T) {
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	rep, err := run(ctx, config{requests: 300, workers: 4, max: 3 * time.Minute, customers: 2, out: &out})
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.failure(); err != nil {
		t.Fatal(err)
	}
	if rep.requests < 300 {
		t.Errorf("%d requests were measured, 300 were asked for", rep.requests)
	}
}
