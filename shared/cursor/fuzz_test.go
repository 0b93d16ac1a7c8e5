package cursor

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// No string but one this codec made for this listing decodes; and every
// cursor it makes decodes back to its key, for its listing only.
func FuzzCursor(f *testing.F) {
	c := New([]byte(strings.Repeat("s", 32)))
	good := *c.Encode("members\x00cus_a\x00enabled\x00", map[string]string{"pk": "C#cus_a", "sk": "U#usr_b"})
	for _, s := range []string{good, "", ".", "a.b", good + "x", strings.Replace(good, ".", "..", 1), "eyJwayI6IngifQ.AAAA"} {
		f.Add(s, "members\x00cus_a\x00enabled\x00", "C#cus_a")
	}
	f.Fuzz(func(t *testing.T, s, binding, pk string) {
		key, err := c.Decode(binding, s)
		if err == nil && s != "" {
			// Only cursors made by us decode: re-encoding reproduces it.
			if again := c.Encode(binding, key); again == nil || *again != s {
				t.Fatalf("decoded a cursor the codec did not make: %q", s)
			}
		}
		if !utf8.ValidString(pk) {
			return // key values come from DynamoDB, whose strings are UTF-8
		}
		made := c.Encode(binding, map[string]string{"pk": pk})
		if made == nil {
			t.Fatal("no cursor for a key")
		}
		if len(*made) > MaxLength {
			return // real keys (an e-mail at most) make cursors far below the limit
		}
		back, err := c.Decode(binding, *made)
		if err != nil || back["pk"] != pk {
			t.Fatalf("round trip: %v %v", back, err)
		}
		if _, err := c.Decode(binding+"x", *made); err == nil {
			t.Fatal("a cursor decoded for another listing")
		}
	})
}
