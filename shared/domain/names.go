package domain

import (
	"net/netip"
	"strings"
	"unicode"

	"golang.org/x/net/publicsuffix"
)

// CleanName checks a name that may reach an e-mail sent from the provider's
// domain (a person's, an inviter's, a customer's or a portal's): the rules
// of CleanText, and nothing that reads as a link. "IT Security: verify at
// https://evil.example" must not be one PATCH away from every invitation.
func CleanName(s string) (string, string) {
	s, code := CleanText(s, MaxNameLength)
	if code != "" {
		return "", code
	}
	if LinkLike(s) {
		return "", "link_not_allowed"
	}
	return s, ""
}

// linkDots are characters that look like, or stand in for, the dot of a
// host name; linkSlashes and linkColons likewise.
var linkDots = strings.NewReplacer(
	"\u2024", ".", "\uFE52", ".", "\uFF0E", ".", "\u3002", ".", "\uFF61", ".", "\u0701", ".", "\u0702", ".",
	"[.]", ".", "(.)", ".", "{.}", ".", "[dot]", ".", "(dot)", ".",
	"\uFF0F", "/", "\u2044", "/", "\u2215", "/", "\u29F8", "/",
	"\uFF1A", ":", "\uA789", ":", "\u02D0", ":",
)

// reservedTLDs are names a mail client may still show as a link although no
// registry serves them (RFC 2606, RFC 6761).
var reservedTLDs = map[string]bool{"example": true, "test": true, "invalid": true, "localhost": true, "local": true, "internal": true}

// LinkLike reports whether s holds something a reader or a mail client
// could take for a link: a scheme ("https://", "mailto:"), "www.", an IP
// address, or a dotted name whose last label is a top-level domain in the
// public suffix list (or a reserved one), including the look-alike and
// "defanged" dots people use to slip past filters ("evil[.]com", "evil․com").
// Initials and abbreviations ("J. R. R. Tolkien", "Acme B.V.") are not.
func LinkLike(s string) bool {
	n := strings.ToLower(linkDots.Replace(s))
	if strings.Contains(n, "://") || strings.Contains(n, "www.") {
		return true
	}
	for _, scheme := range []string{"mailto:", "javascript:", "data:", "tel:", "sms:", "file:"} {
		if strings.Contains(n, scheme) {
			return true
		}
	}
	// Runs of letters, digits, hyphens and dots: candidate host names.
	for _, run := range strings.FieldsFunc(n, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '.')
	}) {
		run = strings.Trim(run, ".-")
		if !strings.Contains(run, ".") {
			continue
		}
		if _, err := netip.ParseAddr(run); err == nil {
			return true
		}
		labels := strings.Split(run, ".")
		ok := true
		for _, l := range labels {
			if l == "" {
				ok = false // "B..V": not a host name
				break
			}
		}
		if !ok {
			continue
		}
		tld := labels[len(labels)-1]
		if len([]rune(tld)) < 2 {
			continue // "B.V.", "J.R.R.": initials and abbreviations
		}
		if reservedTLDs[tld] {
			return true
		}
		if _, icann := publicsuffix.PublicSuffix(run); icann {
			return true
		}
	}
	return false
}
