// Package totpcode computes and checks an authenticator app's codes (TOTP,
// RFC 6238: 6 digits, 30 seconds, SHA-1, as Cognito's software tokens
// are) with github.com/pquerna/otp. The local Cognito front checks codes
// with it, and tests and scripts compute the code an app would show.
package totpcode

import (
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

var opts = totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Code is the code an authenticator app with the secret (base32) shows at t.
func Code(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(normalize(secret), t, opts)
}

// Valid reports whether the code is the secret's at t, or one step either
// side of it (clocks drift, people are slow).
func Valid(secret, code string, t time.Time) bool {
	ok, err := totp.ValidateCustom(strings.TrimSpace(code), normalize(secret), t, opts)
	return err == nil && ok
}

// NewSecret makes a random secret (base32, 32 characters: 160 bits, as
// Cognito's SecretCode).
func NewSecret() (string, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: "Portal Access", AccountName: "local", SecretSize: 20})
	if err != nil {
		return "", err
	}
	return k.Secret(), nil
}

func normalize(secret string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(secret), " ", ""))
}
