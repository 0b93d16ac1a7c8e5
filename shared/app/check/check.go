// Package check gathers what is wrong with the fields of one input a caller
// gave, so that a refusal names every field at once: the use cases check
// their inputs with it, field by field, into the item they make or change.
package check

import (
	"strconv"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
)

// Fields are the problems found so far.
type Fields struct{ fields []errs.Field }

// Refuse adds a field's problem: its name and the reason's code.
func (c *Fields) Refuse(name, code string) { c.fields = append(c.fields, errs.F(name, code)) }

// RefuseAt adds the problem of the i-th item of a list field ("name.i"),
// or of the whole field when i < 0.
func (c *Fields) RefuseAt(name string, i int, code string) {
	if i >= 0 {
		name += "." + strconv.Itoa(i)
	}
	c.Refuse(name, code)
}

// Err is the refusal (errs.Invalid, naming each field), nil when every
// field was good.
func (c *Fields) Err() error {
	if len(c.fields) > 0 {
		return errs.Fields(c.fields...)
	}
	return nil
}

// Given checks a field the caller gave (in != nil) into dst with clean,
// and answers false when clean refused it; a field not given (nil) is left
// as it is. What clean answers is in dst either way.
func Given[T any](c *Fields, name string, in *string, clean func(string) (T, string), dst *T) bool {
	if in == nil {
		return true
	}
	v, code := clean(*in)
	if code != "" {
		c.Refuse(name, code)
	}
	*dst = v
	return code == ""
}

// Text is a cleaner of free text of at most max characters.
func Text(max int) func(string) (string, string) {
	return func(s string) (string, string) { return domain.CleanText(s, max) }
}

// Removable checks an optional text field into dst: "" (or only white
// space) removes it.
func (c *Fields) Removable(name string, in *string, max int, dst *string) {
	if in == nil {
		return
	}
	*dst = ""
	if v, code := domain.CleanText(*in, max); code == "" {
		*dst = v
	} else if code != "required" {
		c.Refuse(name, code)
	}
}
