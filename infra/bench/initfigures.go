package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/portalaccess/portalaccess/infra/local/lambdarun"
)

// initFigures prints, for every function and the hello world, the init's
// instruction count (median of counts callgrind runs) and its init time
// as AWS's Runtime Interface Emulator reports it (median of runs, each
// function's run interleaved with one of the hello world), then holds
// them to the budget (budget.go). Callgrind runs the host's architecture,
// so the functions are built for linux/amd64 with the release flags.
func initFigures(root string, names []string, pick string, counts, runs int, write bool) error {
	ctx := context.Background()
	fmt.Println("\n## Init (linux/amd64 here, release flags): instructions under callgrind, and time in the Runtime Interface Emulator")
	dir, err := os.MkdirTemp("", "bench-init-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := lambdarun.Build(ctx, root, dir, "linux", "amd64", lambdarun.Release, names...); err != nil {
		return err
	}
	hello := filepath.Join(dir, "hello", "bootstrap")
	rie := filepath.Join(dir, "aws-lambda-rie")
	for _, b := range [][2]string{{hello, "./infra/bench/hello"}, {rie, "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"}} {
		cmd := exec.Command("go", append(append([]string{"build"}, lambdarun.Release...), "-o", b[0], b[1])...)
		cmd.Dir, cmd.Env = root, append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v: %s", b[1], err, out)
		}
	}
	config := functionConfig()
	bin := func(n string) string {
		if n == "hello" {
			return hello
		}
		return filepath.Join(dir, n, "bootstrap")
	}
	all := append([]string{"hello"}, names...)

	fig := Figures{Instructions: map[string]int64{}, TimeRatio: map[string]float64{}}
	if counts > 0 {
		if _, err := exec.LookPath("valgrind"); err != nil {
			return fmt.Errorf("valgrind is needed to count instructions (apt-get install valgrind), or pass -counts 0: %w", err)
		}
		fmt.Fprintf(os.Stderr, "callgrind: %d runs of %d binaries\n", counts, len(all))
		for _, n := range all {
			var c []int64
			for range counts {
				v, err := countInit(ctx, bin(n), lambdarun.Env(n, config))
				if err != nil {
					return err
				}
				c = append(c, v)
			}
			fig.Instructions[n] = medianInt(c)
		}
	}
	times := map[string][]float64{}
	var helloTimes []float64
	if runs > 0 {
		fmt.Fprintf(os.Stderr, "emulator: %d runs of %d functions, each after one of the hello world\n", runs, len(names))
		for range runs {
			for _, n := range names {
				h, err := rieInit(ctx, rie, hello, lambdarun.Env("hello", config))
				if err != nil {
					return err
				}
				d, err := rieInit(ctx, rie, bin(n), lambdarun.Env(n, config))
				if err != nil {
					return err
				}
				helloTimes = append(helloTimes, h)
				times[n] = append(times[n], d)
			}
		}
	}
	base, err := readBaseline(filepath.Join(root, baselineFile))
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	hm := 0.0
	if runs > 0 {
		hm = medianFloat(helloTimes)
	}
	fmt.Println("| function | instructions (M) | committed (M) | × hello (instructions) | init (ms) | × hello (time) |\n| --- | --- | --- | --- | --- | --- |")
	for _, n := range all {
		row := []string{n}
		if c, ok := fig.Instructions[n]; ok {
			committed := base.Instructions[n]
			if n == "hello" {
				committed = base.Hello
			}
			row = append(row, fmt.Sprintf("%.2f", float64(c)/1e6), mega(committed), fmt.Sprintf("%.2f", float64(c)/float64(fig.Instructions["hello"])))
		} else {
			row = append(row, "", "", "")
		}
		switch {
		case runs == 0:
			row = append(row, "", "")
		case n == "hello":
			row = append(row, fmt.Sprintf("%.2f", hm), "1.00")
		default:
			m := medianFloat(times[n])
			fig.TimeRatio[n] = m / hm
			row = append(row, fmt.Sprintf("%.2f", m), fmt.Sprintf("%.2f", m/hm))
		}
		fmt.Println("| " + strings.Join(row, " | ") + " |")
	}
	helloCount := fig.Instructions["hello"]
	delete(fig.Instructions, "hello")
	worstT, worstC := 0.0, 0.0
	for _, r := range fig.TimeRatio {
		worstT = max(worstT, r)
	}
	for _, c := range fig.Instructions {
		worstC = max(worstC, float64(c)/1e6)
	}
	fmt.Printf("\nworst init time %.2f× the hello world (budget %.2f×; median of %d, interleaved); largest count %.2f M instructions (median of %d)\n",
		worstT, timeRatioLimit, runs, worstC, counts)
	if write && counts > 0 {
		// Only what was measured changes: a run over some functions keeps
		// the others' figures, and the hello world's they were committed
		// beside.
		hello := helloCount
		if pick != "" && base.Hello > 0 {
			hello = base.Hello
		}
		nb := Baseline{Hello: hello, Instructions: map[string]int64{}, Why: base.Why}
		for n, c := range base.Instructions {
			nb.Instructions[n] = c
		}
		for n, c := range fig.Instructions {
			nb.Instructions[n] = c
		}
		if err := writeBaseline(filepath.Join(root, baselineFile), nb); err != nil {
			return err
		}
		fmt.Println("recorded in " + baselineFile)
		return nil
	}
	v := judge(base, fig)
	for _, n := range v.Notes {
		fmt.Println("note: " + n)
	}
	if len(v.Over) > 0 {
		return fmt.Errorf("over the init budget:\n  %s", strings.Join(v.Over, "\n  "))
	}
	fmt.Println("within the init budget")
	return nil
}

func mega(v int64) string {
	if v <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", float64(v)/1e6)
}
