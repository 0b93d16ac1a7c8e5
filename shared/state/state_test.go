package state_test

import (
	"errors"
	"testing"

	"github.com/portalaccess/portalaccess/shared/state"
)

// Unpinned tries again what reading again can win, and nothing else.
func TestUnpinnedTriesAgainOnlyWhatReadingAgainCanWin(t *testing.T) {
	contended := state.ErrConcurrent.In("", state.ErrContended)
	for _, c := range []struct {
		name  string
		want  int
		err   error
		tries int
		is    error
	}{
		{"lost on something unguarded", 0, state.ErrConcurrent, 4, state.ErrConcurrent},
		{"lost on something unguarded, pinned", 3, state.ErrConcurrent, 4, state.ErrConcurrent},
		{"stale, nothing pinned", 0, state.ErrStale, 4, state.ErrConcurrent},
		{"stale, pinned", 3, state.ErrStale, 1, state.ErrStale},
		{"retried by the store already", 0, contended, 1, state.ErrContended},
		{"refused", 0, state.ErrLastAdmin, 1, state.ErrLastAdmin},
		{"landed", 0, nil, 1, nil},
	} {
		tries := 0
		err := state.Unpinned(c.want, func() error { tries++; return c.err })
		if tries != c.tries || !errors.Is(err, c.is) || (c.is == nil) != (err == nil) {
			t.Errorf("%s: %v after %d tries, want %v after %d", c.name, err, tries, c.is, c.tries)
		}
	}
	// Losing first and landing next is one more try and no error.
	tries := 0
	if err := state.Unpinned(0, func() error {
		if tries++; tries < 3 {
			return state.ErrStale
		}
		return nil
	}); err != nil || tries != 3 {
		t.Fatalf("%v after %d tries", err, tries)
	}
	if !errors.Is(contended, state.ErrConcurrent) {
		t.Fatal("a contended change must still answer as a concurrent change")
	}
}
