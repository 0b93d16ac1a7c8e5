package main

import "testing"

// TestTheCapacityPartRuns runs make bench's capacity part at a small size,
// so that a change of the store's rules (a member is written into a
// customer that exists) cannot leave the benchmark broken until someone
// runs make bench: the page is read, the 10 due invitations are expired.
func TestTheCapacityPartRuns(t *testing.T) {
	if err := capacity(300); err != nil {
		t.Fatal(err)
	}
}
