package webhooks

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// The Standard Webhooks specification's own example: this secret, id,
// timestamp and body sign to this signature.
func TestTheSpecificationsExample(t *testing.T) {
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = 1614265330
		body   = `{"test": 2432232314}`
		want   = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	h := http.Header{}
	if err := Sign(h, []string{secret}, id, time.Unix(ts, 0), []byte(body)); err != nil {
		t.Fatal(err)
	}
	if h.Get(HeaderSignature) != want || h.Get(HeaderID) != id || h.Get(HeaderTimestamp) != "1614265330" {
		t.Fatalf("headers %v, want signature %s", h, want)
	}
	if err := Verify(h, secret, []byte(body), time.Unix(ts+60, 0)); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	secret, other := NewSecret(), NewSecret()
	body := []byte(`{"id":"evt_1"}`)
	now := time.Now()
	h := http.Header{}
	if err := Sign(h, []string{secret}, "evt_1", now, body); err != nil {
		t.Fatal(err)
	}
	if err := Verify(h, other, body, now); err != ErrSignature {
		t.Errorf("another secret: %v", err)
	}
	if err := Verify(h, secret, []byte(`{"id":"evt_2"}`), now); err != ErrSignature {
		t.Errorf("another body: %v", err)
	}
	if err := Verify(h, secret, body, now.Add(Tolerance+time.Minute)); err == nil {
		t.Error("a replay an hour later verified")
	}
	h2 := h.Clone()
	h2.Set(HeaderID, "evt_2")
	if err := Verify(h2, secret, body, now); err != ErrSignature {
		t.Errorf("another id: %v", err)
	}
	if err := Sign(http.Header{}, []string{"plain"}, "x", now, body); err == nil {
		t.Error("signed with a secret that is not whsec_")
	}
}

// During a rotation's grace period both secrets verify.
func TestRotationSignsWithBoth(t *testing.T) {
	old, cur := NewSecret(), NewSecret()
	body := []byte(`{}`)
	h := http.Header{}
	if err := Sign(h, []string{cur, old}, "evt_1", time.Now(), body); err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(h.Get(HeaderSignature))); n != 2 {
		t.Fatalf("%d signatures", n)
	}
	for _, s := range []string{old, cur} {
		if err := Verify(h, s, body, time.Now()); err != nil {
			t.Error(err)
		}
	}
}

func TestSealer(t *testing.T) {
	k := make([]byte, 32)
	k[0] = 1
	s, err := NewSealer(k)
	if err != nil {
		t.Fatal(err)
	}
	secret := NewSecret()
	sealed := s.Seal("sub_1", secret)
	if strings.Contains(sealed, strings.TrimPrefix(secret, "whsec_")) {
		t.Fatal("the sealed secret shows the secret")
	}
	if got, err := s.Open("sub_1", sealed); err != nil || got != secret {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := s.Open("sub_2", sealed); err == nil {
		t.Error("opened for another subscription")
	}
	k2 := make([]byte, 32)
	s2, _ := NewSealer(k2)
	if _, err := s2.Open("sub_1", sealed); err == nil {
		t.Error("opened with another key")
	}
	if _, err := NewSealer(k[:16]); err == nil {
		t.Error("a 16-byte key")
	}
}
