package domain

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on free text, shared by validation and the OpenAPI document.
const (
	MaxNameLength = 100
	MaxRoles      = MaxCatalogueRoles // a member may hold every role of the catalogue
	MaxRoleLength = 64
	MaxPortalIDs  = 20
	// MaxURLLength bounds a portal URL as stored (after normalising, which
	// can grow it): Cognito takes callback and logout URLs of at most 1,024
	// characters, and the default redirect URI is the URL with a "/" added.
	MaxURLLength = 1023
	// MaxOriginLength bounds the origin of a portal URL: never longer than
	// the URL. A longer Origin header is no portal's, whatever the table holds.
	MaxOriginLength = MaxURLLength
)

// CleanText trims s and checks its length in characters and that it holds no
// control or invisible formatting characters. It returns a field error code.
func CleanText(s string, max int) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "required"
	}
	if !utf8.ValidString(s) {
		return "", "invalid_text"
	}
	if utf8.RuneCountInString(s) > max {
		return "", "too_long"
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return "", "invalid_text"
		}
	}
	return s, ""
}

// CleanRoles trims, checks and de-duplicates roles, keeping their order.
// It returns the index of the bad role and its code when one is refused.
func CleanRoles(roles []string) ([]string, int, string) {
	if len(roles) > MaxRoles {
		return nil, -1, "too_many"
	}
	out := make([]string, 0, len(roles))
	seen := make(map[string]bool, len(roles))
	for i, r := range roles {
		c, code := CleanText(r, MaxRoleLength)
		if code != "" {
			return nil, i, code
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out, -1, ""
}

// CleanURL checks a portal URL: absolute http(s), a host, no credentials, no
// fragment. Invitation links are built from configuration, never from this.
func CleanURL(raw string) (string, string) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", "required"
	}
	if len(s) > MaxURLLength {
		return "", "too_long"
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" || !validPort(u.Port()) {
		return "", "invalid_url"
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return "", "invalid_url"
		}
	}
	if out := u.String(); len(out) <= MaxURLLength {
		return out, ""
	}
	return "", "too_long"
}

// validPort: no port, or one from 1 to 65535.
func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && p[0] != '0'
}

// MaxRedirectURIs is how many redirect URIs a portal setup may have.
const MaxRedirectURIs = 10

// CleanPortalURL checks an address a portal setup signs its users in and
// out at: CleanURL's rules, and https — plain http only for a portal on
// this machine at http://localhost, as Cognito allows no other.
func CleanPortalURL(raw string) (string, string) {
	s, code := CleanURL(raw)
	if code != "" {
		return "", code
	}
	u, _ := url.Parse(s)
	if u.Scheme == "http" && !strings.EqualFold(u.Hostname(), "localhost") {
		return "", "https_required"
	}
	return s, ""
}

// OriginOf is the web origin of an absolute URL as a browser sends it
// (scheme://host[:port], lower case, no default port), or "".
func OriginOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}

// DefaultRedirectURI is where a portal's users come back to when its setup
// names no redirect URIs: its address, ending in a slash.
func DefaultRedirectURI(portalURL string) string {
	if strings.HasSuffix(portalURL, "/") {
		return portalURL
	}
	return portalURL + "/"
}

// Locales the product's e-mails are written in.
const (
	LocaleEN = "en"
	LocaleNL = "nl"
)

// ValidLocale reports whether l is a supported locale.
func ValidLocale(l string) bool { return l == LocaleEN || l == LocaleNL }

// CleanLocale checks a locale a caller gave: one of the locales, or the
// reason it is not ("invalid_locale").
func CleanLocale(l string) (string, string) {
	if !ValidLocale(l) {
		return l, "invalid_locale"
	}
	return l, ""
}
