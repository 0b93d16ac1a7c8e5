package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestTheBudgetFailsOnGrowthPastTenPercentWithoutAReason(t *testing.T) {
	b := Baseline{Hello: 800_000, Instructions: map[string]int64{"me": 1_000_000, "invite-user": 2_000_000}}
	v := judge(b, Figures{Instructions: map[string]int64{"me": 1_100_000, "invite-user": 2_200_001}})
	if len(v.Over) != 1 || !strings.HasPrefix(v.Over[0], "invite-user:") {
		t.Fatalf("10%% exactly passes, past it fails: %q", v.Over)
	}
	b.Why = map[string]string{"invite-user": "links the SES client since issue 99"}
	v = judge(b, Figures{Instructions: map[string]int64{"me": 1_100_000, "invite-user": 2_200_001}})
	if len(v.Over) != 0 || len(v.Notes) != 1 || !strings.Contains(v.Notes[0], "issue 99") {
		t.Fatalf("a reason in the file excuses the growth and is shown: over %q notes %q", v.Over, v.Notes)
	}
}

func TestTheBudgetFailsOnInitTimePastTheHelloWorldLimit(t *testing.T) {
	v := judge(Baseline{}, Figures{TimeRatio: map[string]float64{"me": 1.25, "sweep-invitations": 1.26}})
	if len(v.Over) != 1 || !strings.HasPrefix(v.Over[0], "sweep-invitations:") {
		t.Fatalf("1.25× passes, past it fails: %q", v.Over)
	}
	// A reason for instruction growth does not excuse time.
	v = judge(Baseline{Why: map[string]string{"sweep-invitations": "x"}}, Figures{TimeRatio: map[string]float64{"sweep-invitations": 1.3}})
	if len(v.Over) != 1 {
		t.Fatalf("time over the limit fails whatever the file says: %q", v.Over)
	}
}

func TestANewFunctionIsNotedNotFailed(t *testing.T) {
	v := judge(Baseline{Instructions: map[string]int64{"me": 1}}, Figures{Instructions: map[string]int64{"enroll-mfa": 2_000_000}})
	if len(v.Over) != 0 || len(v.Notes) != 1 || !strings.Contains(v.Notes[0], "enroll-mfa") {
		t.Fatalf("over %q notes %q", v.Over, v.Notes)
	}
}

func TestTheCommittedBaselineNamesOnlyFunctionsThatExist(t *testing.T) {
	b, err := readBaseline(filepath.Join("..", "..", baselineFile))
	if err != nil {
		t.Fatal(err)
	}
	if b.Hello <= 0 {
		t.Fatal("no hello-world count in the baseline")
	}
	names, err := functionNames(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no functions found under functions/")
	}
	exists := map[string]bool{}
	for _, n := range names {
		exists[n] = true
	}
	for n, c := range b.Instructions {
		if c <= 0 || !exists[n] {
			t.Errorf("%s: count %d, under functions/: %v", n, c, exists[n])
		}
	}
}

func TestTheRoundTripOfTheBaselineFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.json")
	in := Baseline{Hello: 1, Instructions: map[string]int64{"a": 2}, Why: map[string]string{"a": "b"}}
	if err := writeBaseline(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := readBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if out.Hello != 1 || out.Instructions["a"] != 2 || out.Why["a"] != "b" {
		t.Fatalf("%+v", out)
	}
}
