package config

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func full() map[string]string {
	return map[string]string{
		"TABLE_NAME": "t", "USER_POOL_ID": "p", "APP_CLIENT_ID": "c", "PORTAL_URL": "https://portal.example/",
		"SENDER_EMAIL": "no-reply@example.com", "CURSOR_SECRET": base64.StdEncoding.EncodeToString(make([]byte, 32)),
	}
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(full()))
	if err != nil {
		t.Fatal(err)
	}
	if c.InvitationTTL != 168*time.Hour || c.InvitationReminder != 48*time.Hour || c.ReinviteCooldown != time.Minute {
		t.Fatalf("%+v", c)
	}
	if c.PortalURL != "https://portal.example" {
		t.Fatalf("trailing slash kept: %q", c.PortalURL)
	}
}

func TestMissingAndBadValuesAreNamed(t *testing.T) {
	m := full()
	delete(m, "TABLE_NAME")
	m["INVITATION_TTL"] = "7 days"
	m["CURSOR_SECRET"] = "c2hvcnQ="
	m["PORTAL_URL"] = "portal.example"
	_, err := Load(env(m))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, name := range []string{"TABLE_NAME", "INVITATION_TTL", "CURSOR_SECRET", "PORTAL_URL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	m = full()
	m["INVITATION_REMINDER"] = "0"
	if c, err := Load(env(m)); err != nil || c.InvitationReminder != 0 {
		t.Fatalf("reminders off: %v", err)
	}
	m["INVITATION_REMINDER"] = "200h"
	if _, err := Load(env(m)); err == nil {
		t.Fatal("a reminder longer than the TTL was accepted")
	}
}

// The user pool's trigger is not told its pool (a cycle in the stack); every
// other function still must be.
func TestPoolTriggerNeedsNoPool(t *testing.T) {
	m := full()
	delete(m, "USER_POOL_ID")
	delete(m, "APP_CLIENT_ID")
	delete(m, "PORTAL_URL")
	_, err := Load(env(m))
	if err == nil || !strings.Contains(err.Error(), "USER_POOL_ID") || !strings.Contains(err.Error(), "APP_CLIENT_ID") {
		t.Fatalf("a function without its pool started: %v", err)
	}
	m["USER_POOL_TRIGGER"] = "true"
	if c, err := Load(env(m)); err != nil || c.UserPoolID != "" {
		t.Fatalf("the trigger cannot start: %v %+v", err, c)
	}
}

// A task pages nothing and is not given CURSOR_SECRET: it starts without
// one (the API functions refuse to, in shared/lambdafn's Start).
func TestATaskStartsWithoutACursorSecret(t *testing.T) {
	m := full()
	delete(m, "CURSOR_SECRET")
	c, err := Load(env(m))
	if err != nil || len(c.CursorSecret) != 0 {
		t.Fatalf("%v %d", err, len(c.CursorSecret))
	}
}
