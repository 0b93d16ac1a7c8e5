package cursor

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestCursorRoundTripAndTampering(t *testing.T) {
	c := New([]byte(strings.Repeat("k", 32)))
	key := map[string]string{"pk": "C#cus_a", "sk": "U#usr_b", "catPk": "C#cus_a#enabled", "catSk": "b@x.example"}
	s := c.Encode("members|cus_a|enabled|", key)
	if s == nil {
		t.Fatal("no cursor")
	}
	got, err := c.Decode("members|cus_a|enabled|", *s)
	if err != nil || got["sk"] != "U#usr_b" {
		t.Fatalf("%v %v", got, err)
	}
	if c.Encode("x", nil) != nil {
		t.Fatal("an empty key is the last page: no cursor")
	}
	if k, err := c.Decode("x", ""); err != nil || k != nil {
		t.Fatal("an empty cursor is the first page")
	}
	// Another listing's cursor, a forged payload, a bad signature, garbage.
	payload, _, _ := strings.Cut(*s, ".")
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"pk":"C#cus_other","sk":"U#x"}`)) + "." + strings.SplitN(*s, ".", 2)[1]
	other := New([]byte(strings.Repeat("z", 32))).Encode("members|cus_a|enabled|", key)
	for name, bad := range map[string]string{
		"other customer": "members|cus_other|enabled|",
		"other category": "members|cus_a|disabled|",
		"other search":   "members|cus_a|enabled|x",
	} {
		if _, err := c.Decode(bad, *s); err != ErrInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, bad := range map[string]string{
		"forged payload": forged,
		"no signature":   payload,
		"other secret":   *other,
		"garbage":        "!!!.???",
		"too long":       strings.Repeat("a", MaxLength+1),
		"empty payload":  "." + strings.SplitN(*s, ".", 2)[1],
	} {
		if _, err := c.Decode("members|cus_a|enabled|", bad); err != ErrInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
}
