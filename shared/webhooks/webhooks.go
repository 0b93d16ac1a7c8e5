// Package webhooks signs and verifies deliveries as Standard Webhooks
// (https://www.standardwebhooks.com) does: the headers webhook-id,
// webhook-timestamp and webhook-signature, the signature
// v1,base64(HMAC-SHA256(secret, id + "." + timestamp + "." + body)), one per
// secret, space-separated, so that during a rotation's grace period the
// old secret and the new one both verify. Secrets are whsec_ + base64 of
// 32 random bytes; they are kept encrypted at rest (Sealer), since signing
// needs them.
package webhooks

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

const secretPrefix = "whsec_"

// NewSecret is a fresh signing secret, as shown once to its subscriber.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// key is the secret's HMAC key.
func key(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, errors.New("webhooks: a secret starts with whsec_")
	}
	k, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(k) < 24 || len(k) > 64 {
		return nil, errors.New("webhooks: a secret is whsec_ and base64 of 24 to 64 bytes")
	}
	return k, nil
}

func sign(k []byte, id string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, k)
	m.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Sign sets the headers of a delivery of body, with one signature per
// secret (the current one first).
func Sign(h http.Header, secrets []string, id string, at time.Time, body []byte) error {
	if len(secrets) == 0 {
		return errors.New("webhooks: no secret to sign with")
	}
	ts := at.Unix()
	var sigs []string
	for _, s := range secrets {
		k, err := key(s)
		if err != nil {
			return err
		}
		sigs = append(sigs, sign(k, id, ts, body))
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, strings.Join(sigs, " "))
	return nil
}

// Tolerance is how far a delivery's timestamp may be from the receiver's
// clock: older ones are refused as replays.
const Tolerance = 5 * time.Minute

// ErrSignature: no signature of the delivery verifies with the secret.
var ErrSignature = errors.New("webhooks: no signature verifies")

// Verify checks a delivery as a receiver does: its timestamp within
// Tolerance of now, and one of its signatures made with the secret.
func Verify(h http.Header, secret string, body []byte, now time.Time) error {
	k, err := key(secret)
	if err != nil {
		return err
	}
	id, tsText := h.Get(HeaderID), h.Get(HeaderTimestamp)
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if id == "" || err != nil {
		return errors.New("webhooks: no webhook-id or webhook-timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("webhooks: timestamp %s is too far from now", tsText)
	}
	want := sign(k, id, ts, body)
	for _, s := range strings.Fields(h.Get(HeaderSignature)) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return ErrSignature
}

// Sealer encrypts secrets at rest with AES-256-GCM under a key that is
// not in the table (locally from the configuration, on AWS from Secrets
// Manager, like the cursor key); the subscription's id is the additional
// data, so a sealed secret moved to another subscription does not open.
type Sealer struct{ aead cipher.AEAD }

// NewSealer takes a 32-byte key.
func NewSealer(k []byte) (*Sealer, error) {
	if len(k) != 32 {
		return nil, errors.New("webhooks: the sealing key is 32 bytes")
	}
	b, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: a}, nil
}

// Seal is the secret encrypted for the subscription: base64 of nonce and
// ciphertext.
func (s *Sealer) Seal(subscriptionID, secret string) string {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.StdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(secret), []byte(subscriptionID)))
}

// Open is the secret a Seal for the subscription holds.
func (s *Sealer) Open(subscriptionID, sealed string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("webhooks: not a sealed secret")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(subscriptionID))
	if err != nil {
		return "", errors.New("webhooks: the sealed secret does not open with this key and subscription")
	}
	return string(plain), nil
}
