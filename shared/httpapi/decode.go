package httpapi

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// MaxBody is the largest request body accepted: 64 KiB.
const MaxBody = 64 << 10

var (
	errTooLarge    = &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Detail: "The request body is larger than 64 KiB."}
	errContentType = &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Detail: "The request body must be application/json."}
	errNoBody      = badBody("body_required", "The request needs a JSON object as its body.")
)

func badBody(code, detail string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Detail: detail}
}

// body returns the raw request body, decoding base64 bodies.
func (r *Request) body() ([]byte, error) {
	raw := r.Event.Body
	if r.Event.IsBase64Encoded {
		if base64.StdEncoding.DecodedLen(len(raw)) > MaxBody+3 {
			return nil, errTooLarge
		}
		b, err := base64.StdEncoding.DecodeString(raw)
		if err != nil {
			return nil, badBody("malformed_body", "The request body is not valid base64.")
		}
		return b, nil
	}
	return []byte(raw), nil
}

// Decode reads the JSON object body into dst, a pointer to a struct whose
// fields carry json tags. It refuses, with a 4xx that names the problem:
// another content type, more than 64 KiB, malformed JSON, anything but one
// object, duplicate keys, keys that are not exactly a field's name (Go's
// decoder would otherwise match "EMAIL" to "email"), null values, values of
// the wrong type, and trailing data. The key rules hold in nested objects
// too (a field of struct type, or an array of them), where a problem is
// named by its path: "policy.SeatLimit", "items.2.name".
func (r *Request) Decode(dst any) error {
	b, err := r.body()
	if err != nil {
		return err
	}
	if len(b) > MaxBody {
		return errTooLarge
	}
	ct := r.Header("content-type")
	if ct == "" && len(bytes.TrimSpace(b)) == 0 {
		return errNoBody
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return errContentType
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return errContentType
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return errNoBody
	}
	if err := checkObject(b, reflect.TypeOf(dst)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	return nil
}

// Nullable is a field type for which null means something (a PATCH's
// "clear it"): its fields may be null; every other field of the body's
// object may not. (In a nested object null is the same as leaving the
// field out, and allowed.)
type Nullable interface{ AcceptsNull() }

var (
	nullableType    = reflect.TypeFor[Nullable]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textType        = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// objectField is one field of a struct as the body names it: its type, and
// whether it may be null at the top.
type objectField struct {
	t        reflect.Type
	nullable bool
}

var shapes sync.Map // reflect.Type -> map[string]objectField

// fieldsOf lists, by json name, the fields of the struct t is (or points
// to) when encoding/json decodes an object into it field by field; nil
// for any other type, a struct that decodes itself (json.Unmarshaler,
// encoding.TextUnmarshaler) included: its keys are its own affair.
func fieldsOf(t reflect.Type) map[string]objectField {
	if t == nil {
		return nil
	}
	if m, ok := shapes.Load(t); ok {
		return m.(map[string]objectField)
	}
	var fields map[string]objectField
	s := t
	for s.Kind() == reflect.Pointer {
		s = s.Elem()
	}
	if s.Kind() == reflect.Struct && !decodesItself(s) {
		fields = map[string]objectField{}
		for i := 0; i < s.NumField(); i++ {
			f := s.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && name != "-" && f.IsExported() {
				fields[name] = objectField{t: f.Type, nullable: f.Type.Implements(nullableType) || reflect.PointerTo(f.Type).Implements(nullableType)}
			}
		}
	}
	shapes.Store(t, fields)
	return fields
}

func decodesItself(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(unmarshalerType) || p.Implements(unmarshalerType) || t.Implements(textType) || p.Implements(textType)
}

// elemOf is the type of the elements of the array type t is (or points
// to); nil for any other type, or one that decodes itself.
func elemOf(t reflect.Type) reflect.Type {
	if t == nil {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && !decodesItself(t) {
		return t.Elem()
	}
	return nil
}

// checkObject walks the document's tokens, guided by dst's type t: one
// object at the top; at every level keys unique, and, in an object that
// decodes into a struct, exactly a field's name; no nulls at the top but
// where the field is Nullable; nothing after the object.
func checkObject(b []byte, t reflect.Type) error {
	w := walker{dec: json.NewDecoder(bytes.NewReader(b))}
	w.dec.UseNumber()
	tok, err := w.dec.Token()
	if err != nil {
		return malformed(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return badBody("malformed_body", "The request body must be a JSON object.")
	}
	if err := w.object(fieldsOf(t), "", true); err != nil {
		return err
	}
	if _, err := w.dec.Token(); err != io.EOF {
		return badBody("malformed_body", "The request body has data after the JSON object.")
	}
	if len(w.fields) > 0 {
		return Invalid(w.fields...)
	}
	return nil
}

// walker reads one body's tokens and gathers its field problems; a
// duplicate key ends the walk at once.
type walker struct {
	dec    *json.Decoder
	fields []FieldProblem
}

// object consumes an object's members and its closing brace (the opening
// one is read). fields are the struct's it decodes into; nil checks the
// keys for duplicates only.
func (w *walker) object(fields map[string]objectField, path string, top bool) error {
	seen := map[string]bool{}
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return malformed(err)
		}
		key, _ := tok.(string)
		at := join(path, key)
		if seen[key] {
			return Invalid(Field(at, "duplicate", "The field appears more than once."))
		}
		seen[key] = true
		f, known := fields[key]
		isNull, err := w.value(f.t, at)
		if err != nil {
			return err
		}
		switch {
		case fields != nil && !known:
			w.fields = append(w.fields, Field(at, "unknown_field", "There is no such field."))
		case top && isNull && !f.nullable:
			w.fields = append(w.fields, Field(at, "null", "The field must not be null; leave it out instead."))
		}
	}
	if _, err := w.dec.Token(); err != nil { // the closing brace
		return malformed(err)
	}
	return nil
}

// value consumes one value that decodes into t (nil: unknown) and says
// whether it was null.
func (w *walker) value(t reflect.Type, path string) (bool, error) {
	tok, err := w.dec.Token()
	if err != nil {
		return false, malformed(err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok == nil, nil
	}
	if d == '{' {
		return false, w.object(fieldsOf(t), path, false)
	}
	elem := elemOf(t)
	for i := 0; w.dec.More(); i++ {
		if _, err := w.value(elem, join(path, strconv.Itoa(i))); err != nil {
			return false, err
		}
	}
	if _, err := w.dec.Token(); err != nil { // the closing bracket
		return false, malformed(err)
	}
	return false, nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func malformed(err error) error {
	e := badBody("malformed_body", "The request body is not valid JSON.")
	e.Err = err
	return e
}

func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "body"
		}
		return Invalid(Field(field, "wrong_type", fmt.Sprintf("The field must be %s.", jsonKind(te.Type))))
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		name := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		return Invalid(Field(name, "unknown_field", "There is no such field."))
	}
	return malformed(err)
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "an array of " + strings.TrimPrefix(jsonKind(t.Elem()), "a ") + "s"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "of another type"
}

// MaxUpload is the largest file body accepted (an import's CSV file):
// 5 MiB, under Lambda's 6 MB request payload.
const MaxUpload = 5 << 20

var errUploadTooLarge = &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Detail: "The file is larger than 5 MiB."}

// File reads a body that is a file of the media type (a CSV file, say), up
// to MaxUpload bytes: 415 for another type or a charset but UTF-8, 413 past
// the limit, 400 when it is empty.
func (r *Request) File(mediaType string) ([]byte, error) {
	raw := r.Event.Body
	if r.Event.IsBase64Encoded && base64.StdEncoding.DecodedLen(len(raw)) > MaxUpload+3 || !r.Event.IsBase64Encoded && len(raw) > MaxUpload {
		return nil, errUploadTooLarge
	}
	mt, params, err := mime.ParseMediaType(r.Header("content-type"))
	if err != nil || mt != mediaType {
		return nil, &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Detail: "The request body must be " + mediaType + "."}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Detail: "The request body must be " + mediaType + " in UTF-8."}
	}
	var b []byte
	if r.Event.IsBase64Encoded {
		if b, err = base64.StdEncoding.DecodeString(raw); err != nil {
			return nil, badBody("malformed_body", "The request body is not valid base64.")
		}
	} else {
		b = []byte(raw)
	}
	if len(b) > MaxUpload {
		return nil, errUploadTooLarge
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, badBody("body_required", "The request needs a file as its body.")
	}
	return b, nil
}
