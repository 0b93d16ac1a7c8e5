package console

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/portalaccess/portalaccess/shared/domain"
)

// The webhooks screen offers the event types a subscription may name (the
// events' schema and the API's check both follow domain.Actions), in their
// order, and no other.
func TestTheWebhookScreensEventTypesAreTheAPIs(t *testing.T) {
	b, err := fs.ReadFile(Static(), "js/screens/webhooks.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	start := strings.Index(src, "export const EVENT_TYPES = [")
	end := strings.Index(src[start:], "];")
	if start < 0 || end < 0 {
		t.Fatal("no EVENT_TYPES in js/screens/webhooks.js")
	}
	var types []string
	for _, m := range regexp.MustCompile(`'([a-z_.]+)'`).FindAllStringSubmatch(src[start:start+end], -1) {
		types = append(types, m[1])
	}
	if want := domain.Actions(); !slices.Equal(types, want) {
		t.Fatalf("the console offers %v,\nthe API takes %v", types, want)
	}
}
