package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
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
// the wrong type, and trailing data.
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
	if err := checkObject(b, fieldNames(dst), nullableNames(dst)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	return nil
}

// fieldNames lists the json names of a struct's fields.
func fieldNames(dst any) map[string]bool {
	return jsonNames(dst, func(reflect.StructField) bool { return true })
}

// Nullable is a field type for which null means something (a PATCH's
// "clear it"): its fields may be null; every other field may not.
type Nullable interface{ AcceptsNull() }

var nullableType = reflect.TypeOf((*Nullable)(nil)).Elem()

// nullableNames lists the json names of a struct's Nullable fields.
func nullableNames(dst any) map[string]bool {
	return jsonNames(dst, func(f reflect.StructField) bool {
		return f.Type.Implements(nullableType) || reflect.PointerTo(f.Type).Implements(nullableType)
	})
}

// jsonNames lists the json names of the fields of the struct dst (or
// points to) that keep says to.
func jsonNames(dst any, keep func(reflect.StructField) bool) map[string]bool {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	names := map[string]bool{}
	if t.Kind() != reflect.Struct {
		return names
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" && keep(f) {
			names[name] = true
		}
	}
	return names
}

// checkObject walks the document's tokens: one object at the top, keys
// known and unique at every level, no nulls but where nullable allows,
// nothing after it.
func checkObject(b []byte, known, nullable map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return malformed(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return badBody("malformed_body", "The request body must be a JSON object.")
	}
	var fields []FieldProblem
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return malformed(err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return Invalid(Field(key, "duplicate", "The field appears more than once."))
		}
		seen[key] = true
		isNull, err := skipValue(dec)
		if err != nil {
			return err
		}
		switch {
		case !known[key]:
			fields = append(fields, Field(key, "unknown_field", "There is no such field."))
		case isNull && !nullable[key]:
			fields = append(fields, Field(key, "null", "The field must not be null; leave it out instead."))
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badBody("malformed_body", "The request body has data after the JSON object.")
	}
	if len(fields) > 0 {
		return Invalid(fields...)
	}
	return nil
}

// skipValue consumes one value, checking nested objects for duplicate keys.
func skipValue(dec *json.Decoder) (bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return false, malformed(err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok == nil, nil
	}
	switch d {
	case '[':
		for dec.More() {
			if _, err := skipValue(dec); err != nil {
				return false, err
			}
		}
	case '{':
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return false, malformed(err)
			}
			k, _ := kt.(string)
			if seen[k] {
				return false, Invalid(Field(k, "duplicate", "The field appears more than once."))
			}
			seen[k] = true
			if _, err := skipValue(dec); err != nil {
				return false, err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return false, malformed(err)
	}
	return false, nil
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
