// Package cursor makes paging cursors that clients cannot forge: the key of
// the next page, signed with HMAC-SHA256 over the query it belongs to. A
// cursor altered, made up, or taken from another listing (another customer,
// category or search) fails verification and is answered with a 400.
package cursor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/portalaccess/portalaccess/shared/errs"
)

// MaxLength is the longest cursor accepted.
const MaxLength = 2048

// ErrInvalid answers every cursor that does not verify.
var ErrInvalid = errs.Fields(errs.F("cursor", "invalid_cursor"))

// Codec signs and verifies cursors with one secret.
type Codec struct{ key []byte }

// New makes a codec; the secret must be at least 32 random bytes.
func New(secret []byte) *Codec { return &Codec{key: secret} }

func (c *Codec) mac(binding string, payload []byte) []byte {
	h := hmac.New(sha256.New, c.key)
	h.Write([]byte(binding))
	h.Write([]byte{0})
	h.Write(payload)
	return h.Sum(nil)
}

// Encode returns the cursor of key for the listing named by binding, or nil
// when there is no next page.
func (c *Codec) Encode(binding string, key map[string]string) *string {
	if len(key) == 0 {
		return nil
	}
	payload, _ := json.Marshal(key) // a map of strings always encodes
	s := base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(c.mac(binding, payload))
	return &s
}

// Decode verifies a cursor for the listing named by binding; an empty
// cursor is the first page.
func (c *Codec) Decode(binding, s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > MaxLength {
		return nil, ErrInvalid
	}
	p, m, ok := strings.Cut(s, ".")
	if !ok {
		return nil, ErrInvalid
	}
	payload, err1 := base64.RawURLEncoding.Strict().DecodeString(p)
	sig, err2 := base64.RawURLEncoding.Strict().DecodeString(m)
	if err1 != nil || err2 != nil || !hmac.Equal(sig, c.mac(binding, payload)) {
		return nil, ErrInvalid
	}
	var key map[string]string
	if err := json.Unmarshal(payload, &key); err != nil || len(key) == 0 {
		return nil, ErrInvalid
	}
	return key, nil
}
