package totpcode

import (
	"testing"
	"time"
)

// RFC 6238's test vector for SHA-1 (the 8-digit code 94287082 at 59 s);
// six digits are its last six.
func TestTheRFCVector(t *testing.T) {
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // "12345678901234567890"
	got, err := Code(secret, time.Unix(59, 0))
	if err != nil || got != "287082" {
		t.Fatalf("code %q, %v; want 287082", got, err)
	}
	if !Valid(secret, "287082", time.Unix(59+30, 0)) {
		t.Error("one step later the code is refused")
	}
	if Valid(secret, "287082", time.Unix(59+120, 0)) {
		t.Error("four steps later the code still works")
	}
	if Valid(secret, "000000", time.Unix(59, 0)) {
		t.Error("a wrong code works")
	}
}

func TestNewSecretsDiffer(t *testing.T) {
	a, err1 := NewSecret()
	b, err2 := NewSecret()
	if err1 != nil || err2 != nil || a == b || len(a) != 32 {
		t.Fatalf("%q %q %v %v", a, b, err1, err2)
	}
	code, _ := Code(a, time.Now())
	if !Valid(a, code, time.Now()) {
		t.Fatal("a fresh secret's code is refused")
	}
}
