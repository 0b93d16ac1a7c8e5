package apptest

import "sync/atomic"

// Meanwhile makes the store's next n commits of op (a store method's name)
// lose to another change, which change(i) makes just before the i-th of
// them lands; change's own commits pass. It answers how many were made.
// The hook goes when the test ends.
func (w *World) Meanwhile(op string, n int32, change func(i int32) error) *atomic.Int32 {
	w.T.Helper()
	var made atomic.Int32
	var inside atomic.Bool
	w.Store.BeforeCommit = func(o string) error {
		if o != op || inside.Load() || made.Load() >= n {
			return nil
		}
		inside.Store(true)
		defer inside.Store(false)
		if err := change(made.Add(1)); err != nil {
			w.T.Errorf("the change meanwhile: %v", err)
		}
		return nil
	}
	w.T.Cleanup(func() { w.Store.BeforeCommit = nil })
	return &made
}
