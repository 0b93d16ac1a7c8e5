package domain

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// Id prefixes make ids readable in logs and impossible to mix up.
const (
	PrefixCustomer = "cus"
	PrefixPortal   = "ptl"
	PrefixUser     = "usr"
	PrefixOperator = "opr"
	PrefixEvent    = "evt"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns prefix + "_" + 26 characters from 128 random bits.
func NewID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// ValidID reports whether s looks like an id with the prefix. Handlers answer
// 404 for ids that do not, without a database read.
func ValidID(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) != 26 {
		return false
	}
	for _, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}
