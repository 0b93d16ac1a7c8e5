package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// The init budget (docs/performance.md): every function within
// timeRatioLimit of the hello world on init time, and no function's
// instruction count more than countGrowthLimit over the figure committed in
// infra/bench/baseline.json unless the file says why.
const (
	timeRatioLimit   = 1.25
	countGrowthLimit = 1.10
	baselineFile     = "infra/bench/baseline.json"
)

// Baseline is infra/bench/baseline.json: the committed instruction counts
// of each function's init (median of five callgrind runs, linux/amd64,
// release flags), and for a function allowed past them, the reason.
type Baseline struct {
	Hello        int64             `json:"hello"`
	Instructions map[string]int64  `json:"instructions"`
	Why          map[string]string `json:"why,omitempty"`
}

func readBaseline(path string) (Baseline, error) {
	var b Baseline
	raw, err := os.ReadFile(path)
	if err != nil {
		return b, err
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return b, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

func writeBaseline(path string, b Baseline) error {
	raw, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o644)
}

// Figures are one run's medians: instructions per function, and init time
// per function as a ratio to the hello world's (either may be absent when
// that part was not measured).
type Figures struct {
	Instructions map[string]int64
	TimeRatio    map[string]float64
}

// Verdict is what the budget makes of one run's figures.
type Verdict struct {
	Over  []string // what breaks the budget: make bench fails
	Notes []string // functions with no committed count, and excused growth
}

// judge compares figures with the committed baseline.
func judge(b Baseline, f Figures) Verdict {
	var v Verdict
	names := map[string]bool{}
	for n := range f.Instructions {
		names[n] = true
	}
	for n := range f.TimeRatio {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		if r, ok := f.TimeRatio[n]; ok && r > timeRatioLimit {
			v.Over = append(v.Over, fmt.Sprintf("%s: init time %.2f× the hello world (limit %.2f×)", n, r, timeRatioLimit))
		}
		got, ok := f.Instructions[n]
		if !ok {
			continue
		}
		base, known := b.Instructions[n]
		switch {
		case !known || base <= 0:
			v.Notes = append(v.Notes, fmt.Sprintf("%s: %.2f M instructions, no committed figure (bench -write-baseline records it)", n, float64(got)/1e6))
		case float64(got) > float64(base)*countGrowthLimit:
			growth := fmt.Sprintf("%s: %.2f M instructions, %+.0f%% over the committed %.2f M", n, float64(got)/1e6, 100*(float64(got)/float64(base)-1), float64(base)/1e6)
			if why := b.Why[n]; why != "" {
				v.Notes = append(v.Notes, growth+" ("+why+")")
			} else {
				v.Over = append(v.Over, growth+" (limit +10%; a line in baseline.json's \"why\" allows it)")
			}
		}
	}
	return v
}
