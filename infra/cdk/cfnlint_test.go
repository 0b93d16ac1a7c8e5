package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// cfnLintVersion is the pinned cfn-lint (the Makefile installs it when
// missing): its checks of CloudFormation's resource schemas are what this
// test holds the templates to.
const cfnLintVersion = "1.51.0"

// cfnLintIgnored are the findings accepted on purpose: a rule on resources
// whose logical ids begin with a prefix, and why.
var cfnLintIgnored = []struct{ rule, prefix, why string }{{
	rule: "W3005", prefix: "CustomCrossRegionExport",
	why: "CDK's cross-region reference handlers (a CustomResourceProvider) depend on their role explicitly; " +
		"CDK makes them during synthesis, after the app's code has run, so the redundant DependsOn cannot be taken off as it is for the stack's own functions",
}}

func ignored(f cfnLintFinding) bool {
	for _, ig := range cfnLintIgnored {
		if f.Rule.ID == ig.rule && len(f.Location.Path) > 1 && strings.HasPrefix(fmt.Sprint(f.Location.Path[1]), ig.prefix) {
			return true
		}
	}
	return false
}

type cfnLintFinding struct {
	Rule struct {
		ID string `json:"Id"`
	} `json:"Rule"`
	Level    string `json:"Level"`
	Message  string `json:"Message"`
	Filename string `json:"Filename"`
	Location struct {
		Path []any `json:"Path"`
	} `json:"Location"`
}

// Every template of the app, as cdk synth writes it, passes cfn-lint
// against CloudFormation's own resource schemas, in the region it deploys
// to: no error and no warning. cfn-lint missing is a failure, not a skip.
func TestTemplatesPassCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatalf("cfn-lint %s is not installed: `make test` installs it (pip install cfn-lint==%s); the templates are not checked without it", cfnLintVersion, cfnLintVersion)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "cfn-lint")) != cfnLintVersion {
		t.Fatalf("cfn-lint --version says %q (%v), want %s, the pinned version", strings.TrimSpace(string(out)), err, cfnLintVersion)
	}
	// One cfn-lint run per region (loading its schemas is most of its
	// time): the main stacks' and the edge stacks' (us-east-1).
	byRegion := map[string][]string{}
	names := map[string]string{}
	for _, st := range *assembly.Stacks() {
		file := filepath.Join(*assembly.Directory(), *st.TemplateFile())
		region := *st.Environment().Region
		byRegion[region] = append(byRegion[region], file)
		names[file] = *st.StackName() + " (" + region + ")"
	}
	var stacks int
	for region, files := range byRegion {
		stacks += len(files)
		cmd := exec.Command(bin, append([]string{"--format", "json", "--regions", region, "--"}, files...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("cfn-lint did not run: %v\n%s", err, stderr.String())
		}
		var findings []cfnLintFinding
		if err := json.Unmarshal(stdout.Bytes(), &findings); err != nil {
			t.Fatalf("cfn-lint's output is not its JSON (%v):\n%s\n%s", err, stdout.String(), stderr.String())
		}
		if exit != nil && len(findings) == 0 {
			t.Errorf("cfn-lint exited %d with no finding:\n%s", exit.ExitCode(), stderr.String())
		}
		var bad []string
		for _, f := range findings {
			if ignored(f) || f.Level == "Informational" {
				continue
			}
			name := names[f.Filename]
			if name == "" {
				name = f.Filename
			}
			bad = append(bad, name+": "+f.Level+" "+f.Rule.ID+" at "+pathOf(f.Location.Path)+": "+f.Message)
		}
		sort.Strings(bad)
		for _, b := range bad {
			t.Error(b)
		}
	}
	// The three variants, each a main and an edge stack.
	if stacks != 2*len(variants) {
		t.Errorf("%d stacks linted, want %d", stacks, 2*len(variants))
	}
}

func pathOf(p []any) string {
	s := make([]string, len(p))
	for i, x := range p {
		b, _ := json.Marshal(x)
		s[i] = strings.Trim(string(b), `"`)
	}
	return strings.Join(s, "/")
}
