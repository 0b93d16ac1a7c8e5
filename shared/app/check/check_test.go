package check_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/portalaccess/portalaccess/shared/app/check"
	"github.com/portalaccess/portalaccess/shared/errs"
)

// A refusal names every bad field, in the order they were checked; a field
// not given is left as it was, and one given is cleaned into its place.
func TestFieldsNameEveryProblemAtOnce(t *testing.T) {
	var fs check.Fields
	name, city, label, region := "old", "old", "old", "old"
	empty, long, good, spaced := "", strings.Repeat("x", 11), "Utrecht", "  Utrecht  "
	if !check.Given(&fs, "name", nil, check.Text(10), &name) || name != "old" {
		t.Errorf("a field not given: %v %q", fs.Err(), name)
	}
	if check.Given(&fs, "city", &long, check.Text(10), &city) {
		t.Error("a city too long was taken")
	}
	fs.Removable("label", &empty, 10, &label)
	fs.Removable("region", &spaced, 10, &region)
	fs.RefuseAt("lines", 2, "too_long")
	fs.RefuseAt("roles", -1, "count")
	if label != "" || region != good {
		t.Errorf("removable: label %q, region %q", label, region)
	}
	e := errs.As(fs.Err())
	if e == nil || e.Kind != errs.Invalid {
		t.Fatalf("the refusal: %v", fs.Err())
	}
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Name)
	}
	if want := []string{"city", "lines.2", "roles"}; !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	var none check.Fields
	if !check.Given(&none, "city", &good, check.Text(10), &city) || city != good || none.Err() != nil {
		t.Errorf("a good field: %q %v", city, none.Err())
	}
}
