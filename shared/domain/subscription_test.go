package domain

import (
	"net/netip"
	"strings"
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
		// 2,000 characters as given, but longer once escaped.
		{"https://hooks.acme.example/" + strings.Repeat("é", 986), false, "", CodeWebhookURL},
		{"https://hooks.acme.example/" + strings.Repeat("a", 1973), false, "https://hooks.acme.example/" + strings.Repeat("a", 1973), ""},
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
		// An IPv4 address inside an IPv6 one: NAT64, 6to4.
		{"https://[64:ff9b::a00:1]/", false, "", CodeWebhookPrivateURL},
		{"https://[64:ff9b::7f00:1]/", false, "", CodeWebhookPrivateURL},
		{"https://[64:ff9b::a9fe:a9fe]/", false, "", CodeWebhookPrivateURL},
		{"https://[64:ff9b:1::a00:1]/", false, "", CodeWebhookPrivateURL},
		{"https://[2002:a00:1::1]/", false, "", CodeWebhookPrivateURL},
		{"https://[2002:a9fe:a9fe::]/", false, "", CodeWebhookPrivateURL},
		{"https://[2002:7f00:1::1]/", false, "", CodeWebhookPrivateURL},
		{"https://[64:ff9b::5db8:d70e]/", false, "https://[64:ff9b::5db8:d70e]/", ""},
		{"https://[2002:5db8:d70e::1]/", false, "https://[2002:5db8:d70e::1]/", ""},
	} {
		got, code := CleanWebhookURL(c.in, c.local)
		if got != c.want || code != c.code {
			t.Errorf("CleanWebhookURL(%q, local %v) = %q %q, want %q %q", c.in, c.local, got, code, c.want, c.code)
		}
	}
}

// The check at delivery, on the address dialled: an IPv4 address carried
// in an IPv6 one is judged as itself.
func TestPublicAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.215.14": true, "2606:2800:21f:cb07:6820:80da:af6b:8b2c": true,
		"10.0.0.1": false, "127.0.0.1": false, "169.254.169.254": false, "100.64.0.1": false, "::1": false, "fd00::1": false,
		"::ffff:10.0.0.1": false,
		"64:ff9b::a00:1":  false, "64:ff9b::7f00:1": false, "64:ff9b::a9fe:a9fe": false, "64:ff9b::c0a8:101": false,
		"64:ff9b::6440:1": false, "64:ff9b::": false, "64:ff9b::5db8:d70e": true,
		"64:ff9b:1::a00:1": false, "64:ff9b:1::5db8:d70e": false,
		"2002:a00:1::1": false, "2002:7f00:1::": false, "2002:a9fe:a9fe:1::1": false, "2002:ac10:1::1": false,
		"2002::1": false, "2002:5db8:d70e::1": true, "2002:5db8:d70e:ffff:ffff:ffff:ffff:ffff": true,
		// The special-purpose blocks that are not globally reachable.
		"0.1.2.3": false, "192.0.0.8": false, "192.0.2.1": false, "198.18.0.1": false, "198.19.255.255": false,
		"198.51.100.7": false, "203.0.113.7": false, "240.0.0.1": false, "255.255.255.255": false,
		"::a00:1": false, "::5db8:d70e": false, "100::1": false, "2001:0:4136:e378:8000:63bf:3fff:fdd2": false,
		"2001:db8::1": false, "198.20.0.1": true, "192.0.3.1": true, "2001:4860:4860::8888": true,
	} {
		if got := PublicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("PublicAddr(%s) = %v, want %v", addr, got, want)
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
