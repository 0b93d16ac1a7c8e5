package profile

import (
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
)

// checker gathers what is wrong with the fields of one input, so that a
// refusal names every field at once.
type checker struct{ fields []errs.Field }

func (c *checker) refuse(name, code string) { c.fields = append(c.fields, errs.F(name, code)) }

// err is the refusal, nil when every field was good.
func (c *checker) err() error {
	if len(c.fields) > 0 {
		return errs.Fields(c.fields...)
	}
	return nil
}

// given checks a field the caller gave (in != nil) into dst with clean,
// answering false when clean refused it.
func given[T any](c *checker, name string, in *string, clean func(string) (T, string), dst *T) bool {
	if in == nil {
		return true
	}
	v, code := clean(*in)
	if code != "" {
		c.refuse(name, code)
	}
	*dst = v
	return code == ""
}

// text is a cleaner of free text of at most max characters.
func text(max int) func(string) (string, string) {
	return func(s string) (string, string) { return domain.CleanText(s, max) }
}

// removable checks an optional text field into dst: "" removes it.
func (c *checker) removable(name string, in *string, max int, dst *string) {
	if in == nil {
		return
	}
	*dst = ""
	if v, code := domain.CleanText(*in, max); code == "" {
		*dst = v
	} else if code != "required" {
		c.refuse(name, code)
	}
}
