package domain

import (
	"net/mail"
	"strings"
)

// MaxEmailLength is the longest address SMTP allows (RFC 5321 4.5.3.1.3).
const MaxEmailLength = 254

// NormalizeEmail trims and lower-cases an address and checks that it is one
// plain addr-spec a mail system will deliver to: no display name, no comments,
// no quoted local part, no header-breaking characters, a dotted domain.
// It returns a code for the field error when the address is refused.
func NormalizeEmail(raw string) (string, string) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", "required"
	}
	if len(s) > MaxEmailLength {
		return "", "too_long"
	}
	for _, r := range s {
		// ASCII only, printable, no spaces: rules out CR/LF header injection,
		// control characters and look-alike Unicode. Checked before lower
		// casing, which folds some of them (the Kelvin sign, U+212A) to
		// ASCII letters: an address the person never typed.
		if r <= ' ' || r >= 0x7f {
			return "", "invalid_email"
		}
	}
	s = strings.ToLower(s)
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return "", "invalid_email"
	}
	if len(local) > 64 || !validLocal(local) || !validDomain(domain) {
		return "", "invalid_email"
	}
	// net/mail must read it back as exactly this bare address.
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", "invalid_email"
	}
	return s, ""
}

func validLocal(local string) bool {
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for _, r := range local {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", r):
		default:
			return false
		}
	}
	return true
}

func validDomain(domain string) bool {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 || len(domain) > 253 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	for _, r := range tld {
		if r >= '0' && r <= '9' {
			return false // a numeric top-level label is an IP address, not a domain
		}
	}
	return true
}

// LocalPart is the text before the "@": the default name of a new user.
func LocalPart(email string) string {
	local, _, _ := strings.Cut(email, "@")
	return local
}
