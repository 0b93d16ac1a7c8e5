package identity

import (
	"errors"
	"strings"
	"testing"
)

// The policy refuses, as a weak password (400 on field password), every
// password Cognito would refuse, so none reaches it to come back as a 500.
func TestPolicyRefusesWhatCognitosPatternRefuses(t *testing.T) {
	good := "correct horse battery"
	for _, ok := range []string{good, "pässwörd-lang-genoeg", "inner  spaces\tand tabs ok", strings.Repeat("x", 256)} {
		if err := Policy.Check(ok); err != nil {
			t.Errorf("Check(%q) = %v", ok, err)
		}
	}
	for name, bad := range map[string]string{
		"too short":         "short",
		"too long":          strings.Repeat("x", 257),
		"not UTF-8":         good + "\xff",
		"leading space":     " " + good,
		"trailing space":    good + " ",
		"trailing tab":      good + "\t",
		"leading form feed": "\f" + good,
		"a line break":      "correct horse\nbattery",
		"a carriage return": "correct horse\rbattery",
		"a line separator":  "correct horse\u2028battery",
		"a next line":       "correct horse\u0085battery",
	} {
		if err := Policy.Check(bad); !errors.Is(err, ErrWeakPassword) {
			t.Errorf("%s: Check(%q) = %v, want ErrWeakPassword", name, bad, err)
		}
	}
}
