// Package openapi holds the OpenAPI 3.1 document of the HTTP API and a validator that tests use
// to check every response they receive against it.
package openapi

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/paths"
	"github.com/pb33f/libopenapi-validator/radix"
	"github.com/pb33f/libopenapi-validator/router"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// Spec is the OpenAPI document (YAML), as embedded in the binary.
//
//go:embed openapi.yaml
var Spec []byte

// Route is one operation of the document: an upper-case HTTP method and a path template such as
// /v1/customers/{customerId}/users.
type Route struct{ Method, Path string }

// Validator checks HTTP responses against the document. It is safe for concurrent use.
type Validator struct {
	mu     sync.Mutex // the library makes no promise of concurrency safety
	model  *v3.Document
	lib    validator.Validator
	opts   *config.ValidationOptions
	routes []Route
}

var shared struct {
	once sync.Once
	v    *Validator
	err  error
}

// New returns the validator of the embedded document. The document is parsed, checked against
// the OpenAPI 3.1 schema and compiled once per process; every call returns the same *Validator
// (or the same error). It fails when the document is not a valid OpenAPI 3.1 document.
func New() (*Validator, error) {
	shared.once.Do(func() { shared.v, shared.err = build() })
	return shared.v, shared.err
}

func build() (*Validator, error) {
	doc, err := libopenapi.NewDocument(Spec)
	if err != nil {
		return nil, fmt.Errorf("openapi: parse: %w", err)
	}
	if v := doc.GetSpecInfo().Version; !strings.HasPrefix(v, "3.1") {
		return nil, fmt.Errorf("openapi: document is OpenAPI %q, want 3.1", v)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("openapi: build model: %w", err)
	}
	lib := validator.NewValidatorFromV3Model(&model.Model, config.WithFormatAssertions())
	lib.SetDocument(doc)
	if ok, errs := lib.ValidateDocument(); !ok {
		return nil, fmt.Errorf("openapi: the document does not follow the OpenAPI 3.1 schema:\n%s", describe(errs))
	}
	return &Validator{
		model:  &model.Model,
		lib:    lib,
		opts:   routingOptions(&model.Model),
		routes: collectRoutes(&model.Model),
	}, nil
}

// Routes returns every operation in the document, sorted by path then method.
func (v *Validator) Routes() []Route {
	return append([]Route(nil), v.routes...)
}

// ValidateResponse checks one response to req: the route and method exist in the document, the
// status code is documented for the operation, the Content-Type is one the document lists for
// that status (and a response documented without content has no body), the documented headers
// are present and well formed, and body validates against the response schema. body is the
// response body as read; resp.Body is not touched. The error lists every problem found.
func (v *Validator) ValidateResponse(req *http.Request, resp *http.Response, body []byte) error {
	if req == nil || req.URL == nil {
		return errors.New("openapi: no request to validate against")
	}
	if resp == nil {
		return fmt.Errorf("openapi: %s %s: no response", req.Method, req.URL.Path)
	}

	// Work on copies: the library reads and replaces the bodies.
	r := req.Clone(req.Context())
	r.Body = http.NoBody
	rs := *resp
	rs.Header = resp.Header.Clone()
	if rs.Header == nil {
		rs.Header = http.Header{}
	}
	// Never http.NoBody: the library reports that as "response object is completely missing";
	// an empty body is reported below instead.
	rs.Body = io.NopCloser(bytes.NewReader(body))

	var problems []string
	v.mu.Lock()
	pathItem, pathErrs, template := paths.FindPath(r, v.model, v.opts)
	if pathItem == nil || len(pathErrs) > 0 {
		v.mu.Unlock()
		if len(pathErrs) == 0 {
			return fmt.Errorf("openapi: %s %s: no such route in the document", req.Method, req.URL.Path)
		}
		return fmt.Errorf("openapi: %s %s → %d:\n%s", req.Method, req.URL.Path, resp.StatusCode, describe(pathErrs))
	}
	op := operation(pathItem, r.Method)
	_, libErrs := v.lib.GetResponseBodyValidator().ValidateResponseBodyWithPathItem(r, &rs, pathItem, template)
	v.mu.Unlock()
	problems = append(problems, describeEach(libErrs)...)

	// What the library leaves alone: a documented body that is missing, and a body (or
	// Content-Type) where the document says there is none.
	if documented := documentedResponse(op, resp.StatusCode); documented != nil {
		ct := resp.Header.Get("Content-Type")
		if documented.Content == nil || documented.Content.Len() == 0 {
			if len(body) > 0 {
				problems = append(problems, fmt.Sprintf("status %d is documented without a body, but %d bytes came", resp.StatusCode, len(body)))
			}
			if ct != "" {
				problems = append(problems, fmt.Sprintf("status %d is documented without a body, but Content-Type is %q", resp.StatusCode, ct))
			}
		} else {
			if len(body) == 0 && req.Method != http.MethodHead {
				problems = append(problems, fmt.Sprintf("status %d is documented with a %s body, but the body is empty", resp.StatusCode, mediaTypes(documented)))
			}
			if ct != "" {
				if _, _, err := mime.ParseMediaType(ct); err != nil {
					problems = append(problems, fmt.Sprintf("Content-Type %q does not parse: %v", ct, err))
				}
			}
		}
	}

	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("openapi: %s %s (%s %s) → %d: %d problem(s):\n  - %s",
		req.Method, req.URL.Path, strings.ToUpper(req.Method), template, resp.StatusCode,
		len(problems), strings.Join(problems, "\n  - "))
}

// routingOptions sets up route finding as the library's own validator does: path only (any host
// and port), literal segments before parameters.
func routingOptions(m *v3.Document) *config.ValidationOptions {
	tree := radix.BuildPathTree(m)
	return config.NewValidationOptions(
		config.WithPathTree(tree),
		func(o *config.ValidationOptions) {
			o.Router = router.NewRouter(m, router.WithPathLookup(tree), router.WithPathOnlyMatching())
		},
	)
}

func operation(item *v3.PathItem, method string) *v3.Operation {
	for pair := item.GetOperations().First(); pair != nil; pair = pair.Next() {
		if strings.EqualFold(pair.Key(), method) {
			return pair.Value()
		}
	}
	return nil
}

// documentedResponse finds the response the library matched: the exact code, then a range
// (4XX), then default.
func documentedResponse(op *v3.Operation, status int) *v3.Response {
	if op == nil || op.Responses == nil {
		return nil
	}
	if op.Responses.Codes != nil {
		if r := op.Responses.Codes.GetOrZero(fmt.Sprint(status)); r != nil {
			return r
		}
		if r := op.Responses.Codes.GetOrZero(fmt.Sprintf("%dXX", status/100)); r != nil {
			return r
		}
	}
	return op.Responses.Default
}

func mediaTypes(r *v3.Response) string {
	var names []string
	for pair := r.Content.First(); pair != nil; pair = pair.Next() {
		names = append(names, pair.Key())
	}
	return strings.Join(names, " or ")
}

func collectRoutes(m *v3.Document) []Route {
	var routes []Route
	if m.Paths == nil || m.Paths.PathItems == nil {
		return nil
	}
	for p := m.Paths.PathItems.First(); p != nil; p = p.Next() {
		for op := p.Value().GetOperations().First(); op != nil; op = op.Next() {
			routes = append(routes, Route{Method: strings.ToUpper(op.Key()), Path: p.Key()})
		}
	}
	sort.Slice(routes, func(i, j int) bool {
		if routes[i].Path != routes[j].Path {
			return routes[i].Path < routes[j].Path
		}
		return routes[i].Method < routes[j].Method
	})
	return routes
}

func describe(errs []*verrors.ValidationError) string {
	return "  - " + strings.Join(describeEach(errs), "\n  - ")
}

// describeEach turns the library's errors into one readable line each, with a sub-line per
// schema violation (where in the body, and why).
func describeEach(errs []*verrors.ValidationError) []string {
	var out []string
	for _, e := range errs {
		if e == nil {
			continue
		}
		var b strings.Builder
		b.WriteString(e.Message)
		if e.Reason != "" && e.Reason != e.Message && len(e.SchemaValidationErrors) == 0 {
			b.WriteString(": ")
			b.WriteString(e.Reason)
		}
		if e.ValidationSubType == helpers.Schema || len(e.SchemaValidationErrors) > 0 {
			for _, s := range e.SchemaValidationErrors {
				if s == nil {
					continue
				}
				where := s.FieldPath
				if where == "" {
					where = "$"
				}
				fmt.Fprintf(&b, "\n      %s: %s", where, s.Reason)
				if s.KeywordLocation != "" {
					fmt.Fprintf(&b, " (schema %s)", s.KeywordLocation)
				}
			}
		}
		out = append(out, b.String())
	}
	return out
}
