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
		if o != op || !inside.CompareAndSwap(false, true) {
			return nil
		}
		defer inside.Store(false)
		i := made.Add(1)
		if i > n {
			made.Add(-1)
			return nil
		}
		if err := change(i); err != nil {
			w.T.Errorf("the change meanwhile: %v", err)
		}
		return nil
	}
	w.T.Cleanup(func() { w.Store.BeforeCommit = nil })
	return &made
}
