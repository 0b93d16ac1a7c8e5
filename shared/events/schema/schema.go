// Package schema is the JSON Schema of the product's events, version 1
// (v1.json), and a validator for it.
package schema

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/pb33f/jsonschema/v6"
)

//go:embed v1.json
var v1 []byte

// V1 is the JSON Schema of version 1, as published.
func V1() []byte { return bytes.Clone(v1) }

var (
	compileOnce sync.Once
	compiled    *jsonschema.Schema
	compileErr  error
)

// Validate checks an event's body against the schema of version 1, the
// only one.
func Validate(body []byte) error {
	compileOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(v1))
		if err != nil {
			compileErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		const url = "https://portal-access.example/events/v1.json"
		if err := c.AddResource(url, doc); err != nil {
			compileErr = err
			return
		}
		compiled, compileErr = c.Compile(url)
	})
	if compileErr != nil {
		return fmt.Errorf("events: the schema does not compile: %w", compileErr)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("events: not JSON: %w", err)
	}
	return compiled.Validate(v)
}
