// Package conc runs independent calls at once.
package conc

import "sync"

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
