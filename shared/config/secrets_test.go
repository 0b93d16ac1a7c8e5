package config

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

const (
	cursorARN  = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:CursorSecret-AbCdEf"
	webhookARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:WebhookKey-AbCdEf"
	originARN  = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:OriginSecret-AbCdEf"
	versionOld = "11111111-1111-1111-1111-111111111111"
	versionNew = "22222222-2222-2222-2222-222222222222"
)

// fakeSecrets is Secrets Manager in memory: each secret's versions by id,
// and which version each staging label is on. It records every read.
type fakeSecrets struct {
	mu       sync.Mutex
	versions map[string]map[string]string // ARN → version id → value
	stages   map[string]map[string]string // ARN → label → version id
	reads    []SecretRef
	fail     error // every read fails with this
}

func (f *fakeSecrets) SecretString(_ context.Context, ref SecretRef) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads = append(f.reads, ref)
	if f.fail != nil {
		return "", f.fail
	}
	if (ref.VersionID == "") == (ref.Stage == "") {
		return "", fmt.Errorf("want exactly one of VersionID and Stage, got %+v", ref)
	}
	id := ref.VersionID
	if ref.Stage != "" {
		var ok bool
		if id, ok = f.stages[ref.ARN][ref.Stage]; !ok {
			return "", fmt.Errorf("%w: no version has the label %s", ErrNoSuchVersion, ref.Stage)
		}
	}
	v, ok := f.versions[ref.ARN][id]
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrNoSuchVersion, ref)
	}
	return v, nil
}

var (
	cursorValue  = strings.Repeat("C", 64) // 64 alphanumerics: base64 of 48 bytes
	webhookValue = strings.Repeat("W", 64)
	originOld    = strings.Repeat("o", 64)
	originNew    = strings.Repeat("N", 64)
)

// newFake holds the three secrets, the origin secret rotated once (its
// AWSPREVIOUS is versionOld), the others never (no AWSPREVIOUS).
func newFake() *fakeSecrets {
	return &fakeSecrets{
		versions: map[string]map[string]string{
			cursorARN:  {versionOld: cursorValue},
			webhookARN: {versionOld: webhookValue},
			originARN:  {versionOld: originOld, versionNew: originNew},
		},
		stages: map[string]map[string]string{
			cursorARN:  {"AWSCURRENT": versionOld},
			webhookARN: {"AWSCURRENT": versionOld},
			originARN:  {"AWSCURRENT": versionNew, "AWSPREVIOUS": versionOld},
		},
	}
}

// onAWS is the configuration as the stack gives it: the secrets by ARN.
func onAWS() map[string]string {
	m := full()
	delete(m, "CURSOR_SECRET")
	m["CURSOR_SECRET_ARN"] = cursorARN
	m["WEBHOOK_KEY_ARN"] = webhookARN
	m["ORIGIN_SECRET_ARN"] = originARN
	return m
}

func loadWith(t *testing.T, m map[string]string, get SecretGetter) (Config, error) {
	t.Helper()
	getenv, err := WithSecrets(context.Background(), env(m), get)
	if err != nil {
		return Config{}, err
	}
	return Load(getenv)
}

func TestSecretsAreReadByARN(t *testing.T) {
	f := newFake()
	c, err := loadWith(t, onAWS(), f)
	if err != nil {
		t.Fatal(err)
	}
	if string(c.CursorSecret) != string(mustDecode(t, cursorValue)) {
		t.Errorf("cursor secret %x", c.CursorSecret)
	}
	plain, err := Load(env(map[string]string{"TABLE_NAME": "t", "USER_POOL_ID": "p", "APP_CLIENT_ID": "c", "PORTAL_URL": "https://portal.example",
		"SENDER_EMAIL": "no-reply@example.com", "CURSOR_SECRET": cursorValue, "WEBHOOK_KEY": webhookValue, "ORIGIN_SECRET": originNew}))
	if err != nil {
		t.Fatal(err)
	}
	if string(c.WebhookKey) != string(plain.WebhookKey) {
		t.Errorf("the webhook key read by ARN differs from the same value given plainly")
	}
	// No version named: AWSCURRENT only, the previous one is not accepted.
	if !slices.Equal(c.OriginSecrets, []string{originNew}) {
		t.Errorf("origin secrets %q, want the current one only", c.OriginSecrets)
	}
	if len(f.reads) != 3 {
		t.Errorf("%d reads, want one per secret: %v", len(f.reads), f.reads)
	}
	for _, r := range f.reads {
		if r.Stage != "AWSCURRENT" || r.VersionID != "" {
			t.Errorf("read %v, want the AWSCURRENT stage", r)
		}
	}
}

// The rotation of the origin secret: the version CloudFront sends and the
// previous one, by id or by staging label.
func TestOriginSecretVersions(t *testing.T) {
	for _, tc := range []struct {
		name          string
		version, prev string
		want          []string
		fresh         bool
	}{
		{name: "pinned", version: versionOld, want: []string{originOld}},
		{name: "pinned with the previous one", version: versionNew, prev: versionOld, want: []string{originNew, originOld}},
		{name: "current and the previous label", prev: "AWSPREVIOUS", want: []string{originNew, originOld}},
		{name: "the previous label before any rotation", prev: "AWSPREVIOUS", want: []string{originOld}, fresh: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.fresh { // a fresh secret: one version, no AWSPREVIOUS
				f.versions[originARN] = map[string]string{versionOld: originOld}
				f.stages[originARN] = map[string]string{"AWSCURRENT": versionOld}
			}
			m := onAWS()
			if tc.version != "" {
				m["ORIGIN_SECRET_VERSION"] = tc.version
			}
			if tc.prev != "" {
				m["ORIGIN_SECRET_PREVIOUS_VERSION"] = tc.prev
			}
			c, err := loadWith(t, m, f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.OriginSecrets, tc.want) {
				t.Errorf("origin secrets %q, want %q", c.OriginSecrets, tc.want)
			}
		})
	}
}

func TestCursorSecretVersionIsRead(t *testing.T) {
	f := newFake()
	f.versions[cursorARN][versionNew] = strings.Repeat("D", 64)
	m := onAWS()
	m["CURSOR_SECRET_VERSION"] = versionNew
	c, err := loadWith(t, m, f)
	if err != nil {
		t.Fatal(err)
	}
	if string(c.CursorSecret) != string(mustDecode(t, strings.Repeat("D", 64))) {
		t.Errorf("the pinned version was not read")
	}
}

// Without any _ARN the environment is used as it is and nothing is read:
// make run and the tests.
func TestPlainSettingsNeedNoSecretsManager(t *testing.T) {
	m := full()
	m["ORIGIN_SECRET"] = originOld
	if NamesSecrets(env(m)) {
		t.Error("NamesSecrets on plain settings")
	}
	c, err := loadWith(t, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.OriginSecrets, []string{originOld}) || len(c.CursorSecret) != 32 {
		t.Errorf("%+v", c)
	}
}

// What refuses the start: every message names the setting, none holds a
// secret's value.
func TestSecretSettingsThatRefuseTheStart(t *testing.T) {
	values := []string{cursorValue, webhookValue, originOld, originNew}
	for _, tc := range []struct {
		name  string
		edit  func(m map[string]string, f *fakeSecrets)
		wants []string
	}{
		{"both the value and the ARN", func(m map[string]string, _ *fakeSecrets) { m["CURSOR_SECRET"] = cursorValue },
			[]string{"CURSOR_SECRET and CURSOR_SECRET_ARN are both set"}},
		{"both for the origin secret", func(m map[string]string, _ *fakeSecrets) { m["ORIGIN_SECRET"] = originOld },
			[]string{"ORIGIN_SECRET and ORIGIN_SECRET_ARN are both set"}},
		{"a version without an ARN", func(m map[string]string, _ *fakeSecrets) {
			delete(m, "WEBHOOK_KEY_ARN")
			m["WEBHOOK_KEY_VERSION"] = versionOld
		}, []string{"WEBHOOK_KEY_VERSION is set without WEBHOOK_KEY_ARN"}},
		{"a previous version without an ARN", func(m map[string]string, _ *fakeSecrets) {
			delete(m, "ORIGIN_SECRET_ARN")
			m["ORIGIN_SECRET_PREVIOUS_VERSION"] = versionOld
		}, []string{"ORIGIN_SECRET_PREVIOUS_VERSION is set without ORIGIN_SECRET_ARN"}},
		{"not an ARN", func(m map[string]string, _ *fakeSecrets) { m["CURSOR_SECRET_ARN"] = "CursorSecret" },
			[]string{"CURSOR_SECRET_ARN"}},
		{"access denied", func(_ map[string]string, f *fakeSecrets) {
			f.fail = errors.New("AccessDeniedException: not authorized to perform secretsmanager:GetSecretValue")
		}, []string{"CURSOR_SECRET: reading " + cursorARN + " stage AWSCURRENT", "WEBHOOK_KEY: reading", "ORIGIN_SECRET: reading", "AccessDeniedException"}},
		{"a pinned version that does not exist", func(m map[string]string, _ *fakeSecrets) {
			m["CURSOR_SECRET_VERSION"] = versionNew
		}, []string{"CURSOR_SECRET: reading " + cursorARN + " version " + versionNew}},
		{"a named previous version that does not exist", func(m map[string]string, f *fakeSecrets) {
			delete(f.versions[originARN], versionOld)
			m["ORIGIN_SECRET_PREVIOUS_VERSION"] = versionOld
		}, []string{"ORIGIN_SECRET: reading " + originARN + " version " + versionOld}},
		{"an empty secret", func(_ map[string]string, f *fakeSecrets) { f.versions[webhookARN][versionOld] = " " },
			[]string{"WEBHOOK_KEY: " + webhookARN + " stage AWSCURRENT is empty"}},
		{"an origin secret with a comma", func(_ map[string]string, f *fakeSecrets) {
			f.versions[originARN][versionNew] = originNew + "," + originOld
		}, []string{"ORIGIN_SECRET: " + originARN + " stage AWSCURRENT holds a comma"}},
		{"a cursor secret too short", func(_ map[string]string, f *fakeSecrets) { f.versions[cursorARN][versionOld] = "c2hvcnQ=" },
			[]string{"CURSOR_SECRET must be base64 of at least 32 random bytes"}},
		{"an origin secret too short", func(_ map[string]string, f *fakeSecrets) { f.versions[originARN][versionNew] = "tooShort1" },
			[]string{"ORIGIN_SECRET must be"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, f := onAWS(), newFake()
			tc.edit(m, f)
			_, err := loadWith(t, m, f)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tc.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			for _, v := range append(values, strings.Repeat("D", 64), "c2hvcnQ=", "tooShort1") {
				if strings.Contains(err.Error(), v) {
					t.Errorf("error %q holds a secret's value", err)
				}
			}
		})
	}
}

// A configuration error is found before any secret is read.
func TestNoReadOnAConfigurationError(t *testing.T) {
	m, f := onAWS(), newFake()
	m["CURSOR_SECRET"] = cursorValue
	if _, err := WithSecrets(context.Background(), env(m), f); err == nil {
		t.Fatal("accepted")
	}
	if len(f.reads) != 0 {
		t.Errorf("read %v before refusing", f.reads)
	}
	if _, err := WithSecrets(context.Background(), env(onAWS()), nil); err == nil {
		t.Fatal("secrets by ARN and no reader: accepted")
	}
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := decodeSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
