package main

import (
	"strings"
	"testing"
)

func TestCdkNagAwsSolutions(t *testing.T) {
	for name, syn := range variants {
		for _, e := range syn.nagErrors {
			t.Errorf("%s: unsuppressed cdk-nag error %s", name, e)
		}
		for _, w := range syn.nagWarnings {
			t.Errorf("%s: unsuppressed cdk-nag warning %s", name, w)
		}
	}
}

// Every suppression says why, in one line.
func TestNagSuppressionsGiveOneLineReasons(t *testing.T) {
	var n int
	for name, syn := range variants {
		for _, r := range syn.template.resources("") {
			for _, s := range list(get(r.Raw, "Metadata", "cdk_nag", "rules_to_suppress")) {
				n++
				m := s.(map[string]any)
				reason, _ := m["reason"].(string)
				if len(reason) < 20 || strings.ContainsAny(reason, "\r\n") {
					t.Errorf("%s: %s: suppression of %v has no one-line reason: %q", name, r.ID, m["id"], reason)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no suppressions found: are they still in the template's metadata?")
	}
}
