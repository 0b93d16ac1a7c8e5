package domain

import (
	"testing"
	"time"
)

func TestCleanWebhookURL(t *testing.T) {
	for _, c := range []struct {
		in         string
		local      bool
		want, code string
	}{
		{"https://hooks.acme.example/portal", false, "https://hooks.acme.example/portal", ""},
		{"  https://hooks.acme.example:8443/p?x=1 ", false, "https://hooks.acme.example:8443/p?x=1", ""},
		{"https://93.184.215.14/hook", false, "https://93.184.215.14/hook", ""},
		{"http://hooks.acme.example/", false, "", CodeWebhookHTTPS},
		{"http://hooks.acme.example/", true, "", CodeWebhookHTTPS},
		{"http://localhost:8091/", true, "http://localhost:8091/", ""},
		{"http://127.0.0.1:8091/", true, "http://127.0.0.1:8091/", ""},
		{"http://localhost:8091/", false, "", CodeWebhookHTTPS},
		{"https://localhost/", false, "", CodeWebhookPrivateURL},
		{"https://127.0.0.1/", false, "", CodeWebhookPrivateURL},
		{"https://[::1]/", false, "", CodeWebhookPrivateURL},
		{"https://10.0.0.5/", false, "", CodeWebhookPrivateURL},
		{"https://192.168.1.1/", false, "", CodeWebhookPrivateURL},
		{"https://172.16.0.1/", false, "", CodeWebhookPrivateURL},
		{"https://169.254.169.254/latest/meta-data/", false, "", CodeWebhookPrivateURL},
		{"https://[fe80::1]/", false, "", CodeWebhookPrivateURL},
		{"https://[fd00::1]/", false, "", CodeWebhookPrivateURL},
		{"https://[::ffff:10.0.0.1]/", false, "", CodeWebhookPrivateURL},
		{"https://0.0.0.0/", false, "", CodeWebhookPrivateURL},
		{"https://100.64.0.1/", false, "", CodeWebhookPrivateURL},
		{"https://user:pw@hooks.acme.example/", false, "", CodeWebhookURL},
		{"https://hooks.acme.example/#frag", false, "", CodeWebhookURL},
		{"ftp://hooks.acme.example/", false, "", CodeWebhookURL},
		{"hooks.acme.example/x", false, "", CodeWebhookURL},
		{"javascript:alert(1)", false, "", CodeWebhookURL},
		{"", false, "", CodeWebhookURL},
		{"https:///nohost", false, "", CodeWebhookURL},
		// A port none can dial, as portal URLs refuse it.
		{"https://hooks.acme.example:0/x", false, "", CodeWebhookURL},
		{"https://hooks.acme.example:65536/x", false, "", CodeWebhookURL},
		{"https://hooks.acme.example:99999999999/x", false, "", CodeWebhookURL},
		{"https://hooks.acme.example:08443/x", false, "", CodeWebhookURL},
		{"http://localhost:0/", true, "", CodeWebhookURL},
		{"https://hooks.acme.example:65535/x", false, "https://hooks.acme.example:65535/x", ""},
		{"https://hooks.acme.example:1/x", false, "https://hooks.acme.example:1/x", ""},
	} {
		got, code := CleanWebhookURL(c.in, c.local)
		if got != c.want || code != c.code {
			t.Errorf("CleanWebhookURL(%q, local %v) = %q %q, want %q %q", c.in, c.local, got, code, c.want, c.code)
		}
	}
}

func TestSubscriptionWants(t *testing.T) {
	all := Subscription{}
	some := Subscription{Types: []string{"user.invited"}}
	paused := Subscription{Paused: true}
	if !all.Wants("portal.created") || !some.Wants("user.invited") || some.Wants("user.deleted") || paused.Wants("user.invited") {
		t.Fatal("Wants")
	}
	now := time.Now()
	later := now.Add(time.Hour)
	s := Subscription{Secret: "new", PreviousSecret: "old", PreviousUntil: &later}
	if got := s.Secrets(now); len(got) != 2 || got[0] != "new" {
		t.Fatalf("in the grace period: %v", got)
	}
	if got := s.Secrets(later.Add(time.Second)); len(got) != 1 {
		t.Fatalf("after it: %v", got)
	}
}
