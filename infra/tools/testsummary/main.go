// Command testsummary reads `go test -json` on stdin, prints the output of
// failed tests as they finish, and ends with how many tests ran, passed,
// failed and were skipped. It exits non-zero when anything failed.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

func main() {
	start := time.Now()
	output := map[string]*strings.Builder{}
	var passed, failed, skipped int
	var failures []string
	pkgs := map[string]string{}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			fmt.Println(string(line)) // build errors and the like
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			b := output[key]
			if b == nil {
				b = &strings.Builder{}
				output[key] = b
			}
			b.WriteString(e.Output)
		case "pass", "fail", "skip":
			if e.Test == "" {
				if e.Action == "skip" {
					continue // a package without tests
				}
				pkgs[e.Package] = e.Action
				fmt.Printf("%-4s %s (%.1fs)\n", strings.ToUpper(e.Action), e.Package, e.Elapsed)
				if e.Action == "fail" {
					if b := output[key]; b != nil {
						fmt.Print(b.String())
					}
				}
				continue
			}
			switch e.Action {
			case "pass":
				passed++
			case "skip":
				skipped++
			case "fail":
				failed++
				failures = append(failures, key)
				if b := output[key]; b != nil {
					fmt.Print(b.String())
				}
			}
			delete(output, key)
		}
	}
	badPkgs := 0
	for _, a := range pkgs {
		if a == "fail" {
			badPkgs++
		}
	}
	sort.Strings(failures)
	fmt.Printf("\n%d tests ran in %d packages: %d passed, %d failed, %d skipped (%.0fs)\n",
		passed+failed+skipped, len(pkgs), passed, failed, skipped, time.Since(start).Seconds())
	for _, f := range failures {
		fmt.Println("FAILED:", f)
	}
	if failed > 0 || badPkgs > 0 {
		os.Exit(1)
	}
}
