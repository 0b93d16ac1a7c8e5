package domain

import (
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	ok := map[string]string{
		"jane@acme.example":               "jane@acme.example",
		"  Jane.Doe@Acme.Example  ":       "jane.doe@acme.example",
		"o'brien+portal@sub.acme.co":      "o'brien+portal@sub.acme.co",
		"x@a-b.example":                   "x@a-b.example",
		strings.Repeat("a", 64) + "@x.io": strings.Repeat("a", 64) + "@x.io",
	}
	for in, want := range ok {
		got, code := NormalizeEmail(in)
		if code != "" || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %q; want %q", in, got, code, want)
		}
	}
	bad := map[string]string{
		"":                                      "required",
		"   ":                                   "required",
		"jane":                                  "invalid_email",
		"jane@":                                 "invalid_email",
		"@acme.example":                         "invalid_email",
		"jane@localhost":                        "invalid_email",
		"jane@acme..example":                    "invalid_email",
		".jane@acme.example":                    "invalid_email",
		"jane.@acme.example":                    "invalid_email",
		"ja..ne@acme.example":                   "invalid_email",
		"Jane <jane@acme.example>":              "invalid_email",
		"jane@acme.example\r\nBcc: x@y.z":       "invalid_email",
		"jane@acme.example\nX: y":               "invalid_email",
		"jane doe@acme.example":                 "invalid_email",
		"\"jane\"@acme.example":                 "invalid_email",
		"jané@acme.example":                     "invalid_email",
		"jane@аcme.example":                     "invalid_email", // Cyrillic a
		"\u212aate@acme.example":                "invalid_email", // the Kelvin sign, which lower-cases to k
		"jane@\u212a.example":                   "invalid_email",
		"jane@acme.example,bob@acme.example":    "invalid_email",
		"jane@-acme.example":                    "invalid_email",
		"jane@acme.123":                         "invalid_email",
		"jane@[127.0.0.1]":                      "invalid_email",
		"jane(comment)@acme.example":            "invalid_email",
		"a@b@acme.example":                      "invalid_email",
		strings.Repeat("a", 65) + "@x.io":       "invalid_email",
		"a@" + strings.Repeat("b", 250) + ".io": "too_long",
	}
	for in, want := range bad {
		if got, code := NormalizeEmail(in); code != want {
			t.Errorf("NormalizeEmail(%q) = %q, %q; want code %q", in, got, code, want)
		}
	}
}

func TestCleanText(t *testing.T) {
	if s, code := CleanText("  Jane Doe ", 100); s != "Jane Doe" || code != "" {
		t.Errorf("got %q %q", s, code)
	}
	if _, code := CleanText(strings.Repeat("é", 101), 100); code != "too_long" {
		t.Errorf("101 characters: %q", code)
	}
	if s, code := CleanText(strings.Repeat("é", 100), 100); code != "" || s == "" {
		t.Errorf("100 two-byte characters are 100 characters: %q", code)
	}
	for _, bad := range []string{"a\nb", "a\x00b", "a\u200bb", "a\u202eb", "\xff"} {
		if _, code := CleanText(bad, 100); code != "invalid_text" {
			t.Errorf("CleanText(%q) = %q; want invalid_text", bad, code)
		}
	}
	if _, code := CleanText(" ", 100); code != "required" {
		t.Errorf("blank: %q", code)
	}
}

func TestCleanRoles(t *testing.T) {
	roles, i, code := CleanRoles([]string{" Portal managers", "Portal managers", "Billing"})
	if code != "" || i != -1 || len(roles) != 2 || roles[0] != "Portal managers" || roles[1] != "Billing" {
		t.Fatalf("got %v %d %q", roles, i, code)
	}
	if _, i, code := CleanRoles([]string{"ok", ""}); code != "required" || i != 1 {
		t.Errorf("empty role: %d %q", i, code)
	}
	many := make([]string, MaxRoles+1)
	for k := range many {
		many[k] = "r"
	}
	if _, _, code := CleanRoles(many); code != "too_many" {
		t.Errorf("too many: %q", code)
	}
}

func TestCleanURL(t *testing.T) {
	for _, ok := range []string{"https://portal.acme.example", "http://127.0.0.1:8080/portal?x=1"} {
		if _, code := CleanURL(ok); code != "" {
			t.Errorf("CleanURL(%q) = %q", ok, code)
		}
	}
	for _, bad := range []string{"", "portal.acme.example", "javascript:alert(1)", "ftp://x.example", "https://user:pw@x.example", "https://x.example/#frag", "https://x.example/a b", "https:///nohost"} {
		if _, code := CleanURL(bad); code == "" {
			t.Errorf("CleanURL(%q) accepted", bad)
		}
	}
}

func TestTokens(t *testing.T) {
	tok, hash := NewToken()
	if len(tok) != TokenLength || !WellFormedToken(tok) {
		t.Fatalf("token %q is not 43 characters of base64url", tok)
	}
	if hash != HashToken(tok) || len(hash) != 64 || strings.Contains(hash, tok) {
		t.Fatalf("hash %q", hash)
	}
	tok2, _ := NewToken()
	if tok2 == tok {
		t.Fatal("two tokens are the same")
	}
	for _, bad := range []string{"", "short", tok + "A", tok[:42] + "=", tok[:42] + "+", strings.Repeat("A", 42) + "B"} {
		// 42 A's and a B encodes bits beyond 32 bytes: not canonical.
		if WellFormedToken(bad) {
			t.Errorf("WellFormedToken(%q) = true", bad)
		}
	}
}

func TestIDs(t *testing.T) {
	id := NewID(PrefixUser)
	if !ValidID(PrefixUser, id) || ValidID(PrefixCustomer, id) {
		t.Fatalf("id %q", id)
	}
	for _, bad := range []string{"", "usr_", "usr_ABCDEFGHIJKLMNOPQRSTUVWXYZ", "usr_aaaaaaaaaaaaaaaaaaaaaaaaa1", "usr_../../etc/passwd", id + "a"} {
		if ValidID(PrefixUser, bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

func TestLocalPart(t *testing.T) {
	if LocalPart("jane.doe@acme.example") != "jane.doe" {
		t.Fatal("local part")
	}
}

func TestCleanNameRefusesWhatReadsAsALink(t *testing.T) {
	links := []string{
		"IT Security: verify at https://evil.example", "evil.com", "Support (evil.com)", "evil[.]com", "evil(.)com",
		"evil\u2024com", "evil\uFF0Ecom", "www.evil", "WWW.Example.org", "x.com", "10.0.0.1", "see mailto:x",
		"jane@evil.com", "http\uFF1A//evil", "Acme.co.uk",
	}
	for _, s := range links {
		if _, code := CleanName(s); code != "link_not_allowed" {
			t.Errorf("CleanName(%q) = %q, want link_not_allowed", s, code)
		}
	}
	names := []string{"Jane", "J. R. R. Tolkien", "Acme B.V.", "Acme Inc.", "St. John", "Jane O'Neil", "Ana-María", "Mr.Smith", "john.smith", "Dr. Who 2.0"}
	for _, s := range names {
		if got, code := CleanName(s); code != "" || got != s {
			t.Errorf("CleanName(%q) = %q, %q, want it kept", s, got, code)
		}
	}
	if _, code := CleanName(" "); code != "required" {
		t.Errorf("blank: %q", code)
	}
}
