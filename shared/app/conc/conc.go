// Package conc runs independent calls at once.
package conc

import (
	"errors"
	"sync"
)

// Both runs f and g at once and returns their errors, each its own, so
// that the caller decides which one the client hears first.
func Both(f, g func() error) (error, error) {
	var ef, eg error
	var wg sync.WaitGroup
	wg.Go(func() { ef = f() })
	eg = g()
	wg.Wait()
	return ef, eg
}

// All runs the calls at once and returns their errors joined (nil when
// none failed).
func All(fs ...func() error) error {
	errs := make([]error, len(fs))
	var wg sync.WaitGroup
	for i, f := range fs[1:] {
		wg.Go(func() { errs[i+1] = f() })
	}
	errs[0] = fs[0]()
	wg.Wait()
	return errors.Join(errs...)
}
