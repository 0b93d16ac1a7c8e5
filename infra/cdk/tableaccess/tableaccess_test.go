package tableaccess

import "testing"

func TestLikeIsIAMStringLike(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"C#*", "C#cus_1", true},
		{"C#*", "C#", true},
		{"C#*", "A#C#cus_1", false},
		{"A#C#*", "A#C#cus_1", true},
		{"OPS", "OPS", true},
		{"OPS", "OPS#x", false},
		{"PID#*", "PID#a/b@example.com", true},
		{"RATE#public#*", "RATE#public#203.0.113.7#1795359600", true},
		{"RATE#public#*", "RATE#invite#c1#1795359600", false},
		{"S#?", "S#x", true},
		{"S#?", "S#xy", false},
		{"s#*", "S#x", false},
		{"*#*#*", "a#b#c", true},
	} {
		if got := like(tc.pattern, tc.s); got != tc.want {
			t.Errorf("like(%q, %q) = %v", tc.pattern, tc.s, got)
		}
	}
}

func TestGrantsSayWhyAndNameRealActions(t *testing.T) {
	known := map[string]bool{GetItem: true, Query: true, PutItem: true, UpdateItem: true, DeleteItem: true, ConditionCheckItem: true, BatchGetItem: true}
	for fn, grants := range Narrowed {
		for _, g := range grants {
			if g.Why == "" || len(g.Actions) == 0 || len(g.Partitions) == 0 {
				t.Errorf("%s: grant %+v", fn, g)
			}
			for _, a := range g.Actions {
				if !known[a] {
					t.Errorf("%s: action %s", fn, a)
				}
			}
		}
	}
	if !Allows(Narrowed["inspect-invitation"], GetItem, "INV#abc") || Allows(Narrowed["inspect-invitation"], PutItem, "INV#abc") {
		t.Error("inspect's grants")
	}
	if Allows(Narrowed["accept-invitation"], PutItem, "IDEM#x") || Allows(Narrowed["accept-invitation"], GetItem, "CUSTOMERS") {
		t.Error("accept reaches what it never touches")
	}
}
