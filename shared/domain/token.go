package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// TokenLength is the length of an invitation token: 32 random bytes in
// unpadded base64url.
const TokenLength = 43

// NewToken returns a fresh invitation token and the hash that is stored.
func NewToken() (token, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken is the only form of a token that is ever stored.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// WellFormedToken reports whether s could be a token we issued. Anything else
// is treated exactly like an unknown token.
func WellFormedToken(s string) bool {
	if len(s) != TokenLength {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == 32
}
