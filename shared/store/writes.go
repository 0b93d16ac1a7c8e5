package store

// Writes are extra writes a handler adds to the transaction of an operation,
// such as the idempotency record of the request, so that they land together
// or not at all.
type Writes []func(*tx)

func (w Writes) apply(t *tx) {
	for _, f := range w {
		f(t)
	}
}
