package domain

import (
	"net/mail"
	"strings"
	"testing"
	"unicode/utf8"
)

// An accepted e-mail address is normalised (trimming and lower-casing it
// again changes nothing), fits SMTP's limit, holds nothing that could break
// a header, and is one bare address to net/mail.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"jane@acme.example", " Jane.Doe@ACME.example ", "a@b", "x@y.z\r\nBcc: q@r.s",
		"Eve <eve@acme.example>", "\"q\"@acme.example", "jané@acme.example", "a@[127.0.0.1]", strings.Repeat("a", 300) + "@x.io"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, code := NormalizeEmail(s)
		if code != "" {
			if e != "" {
				t.Fatalf("refused %q with %s but returned %q", s, code, e)
			}
			return
		}
		if again, c2 := NormalizeEmail(e); c2 != "" || again != e {
			t.Fatalf("not stable: %q → %q → %q (%s)", s, e, again, c2)
		}
		if len(e) > MaxEmailLength || strings.ContainsAny(e, "\r\n\t <>\",;:\\") || e != strings.ToLower(e) {
			t.Fatalf("accepted %q", e)
		}
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e || a.Name != "" {
			t.Fatalf("net/mail reads %q differently: %v", e, err)
		}
	})
}

// Cleaned text is trimmed, valid UTF-8, within its length, and free of
// control and invisible formatting characters.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"Jane", " a ", "a\nb", "\u202eevil", "\xff", strings.Repeat("é", 101)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, code := CleanText(s, 100)
		if code != "" {
			return
		}
		if out != strings.TrimSpace(out) || !utf8.ValidString(out) || utf8.RuneCountInString(out) > 100 || out == "" {
			t.Fatalf("accepted %q as %q", s, out)
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x202a && r <= 0x202e) || r == 0x200b {
				t.Fatalf("accepted control or format character %U in %q", r, out)
			}
		}
	})
}

// Only tokens of exactly the form we issue are well formed, and hashing is
// stable; anything else is treated as an unknown token.
func FuzzToken(f *testing.F) {
	tok, _ := NewToken()
	for _, s := range []string{tok, "", "short", strings.Repeat("A", 43), strings.Repeat("A", 42) + "B", tok + "=", strings.ToUpper(tok)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if WellFormedToken(s) {
			if len(s) != TokenLength || strings.ContainsAny(s, "+/=") {
				t.Fatalf("accepted %q", s)
			}
		}
		if HashToken(s) != HashToken(s) || len(HashToken(s)) != 64 {
			t.Fatal("unstable hash")
		}
	})
}
