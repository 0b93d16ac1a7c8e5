package main

import (
	"slices"
	"strings"
	"testing"
)

func lookupFrom(m map[string]any) func(string) any {
	return func(k string) any { return m[k] }
}

func TestMissingContextNamesEachValue(t *testing.T) {
	_, err := SettingsFromContext(lookupFrom(nil))
	if err == nil {
		t.Fatal("no error without context")
	}
	for _, key := range []string{"adminEmail", "senderEmail"} {
		if !strings.Contains(err.Error(), "context "+key+" is required") {
			t.Errorf("the error does not name %s: %v", key, err)
		}
	}
	// The console's CloudFront address is the default.
	if strings.Contains(err.Error(), "portalUrl") {
		t.Errorf("portalUrl is optional: %v", err)
	}
}

func TestConsoleDomainAndCertificate(t *testing.T) {
	const arn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
	good := map[string]any{"adminEmail": "a@example.com", "senderEmail": "s@example.com"}
	with := func(kv ...string) map[string]any {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	s, err := SettingsFromContext(lookupFrom(with("consoleDomain", "Portal.Example.COM.", "certificateArn", arn)))
	if err != nil {
		t.Fatal(err)
	}
	if s.ConsoleDomain != "portal.example.com" || s.PortalURL != "https://portal.example.com" ||
		!slices.Equal(s.AllowedOrigins, []string{"https://portal.example.com"}) {
		t.Errorf("settings %+v, want the portal and its origin from consoleDomain", s)
	}
	if _, err := SettingsFromContext(lookupFrom(with("consoleDomain", "portal.example.com", "certificateArn", arn, "portalUrl", "https://portal.example.com/"))); err != nil {
		t.Errorf("portalUrl that is consoleDomain's: %v", err)
	}
	s, err = SettingsFromContext(lookupFrom(good))
	if err != nil || s.PortalURL != "" || len(s.AllowedOrigins) != 0 {
		t.Errorf("without portalUrl: %+v %v, want both left to the stack", s, err)
	}
	for name, tc := range map[string]struct {
		ctx map[string]any
		key string
	}{
		"domain alone":       {with("consoleDomain", "portal.example.com"), "certificateArn"},
		"certificate alone":  {with("certificateArn", arn), "consoleDomain"},
		"not a domain":       {with("consoleDomain", "portal_example", "certificateArn", arn), "consoleDomain"},
		"other region":       {with("consoleDomain", "portal.example.com", "certificateArn", strings.Replace(arn, "us-east-1", "eu-west-1", 1)), "certificateArn"},
		"not an ARN":         {with("consoleDomain", "portal.example.com", "certificateArn", "0a1b2c3d"), "certificateArn"},
		"portal elsewhere":   {with("consoleDomain", "portal.example.com", "certificateArn", arn, "portalUrl", "https://other.example.com"), "portalUrl"},
		"portal with a path": {with("consoleDomain", "portal.example.com", "certificateArn", arn, "portalUrl", "https://portal.example.com/app"), "portalUrl"},
	} {
		if _, err := SettingsFromContext(lookupFrom(tc.ctx)); err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: error %v, want one naming %s", name, err, tc.key)
		}
	}
}

func TestContextDefaults(t *testing.T) {
	s, err := SettingsFromContext(lookupFrom(map[string]any{
		"adminEmail": "admin@example.com", "senderEmail": "no-reply@example.com", "portalUrl": "https://portal.example.com/app/",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if s.PortalURL != "https://portal.example.com/app" {
		t.Errorf("portal URL %s", s.PortalURL)
	}
	if !slices.Equal(s.AllowedOrigins, []string{"https://portal.example.com"}) {
		t.Errorf("origins %v", s.AllowedOrigins)
	}
	if s.SweepInterval != DefaultSweepInterval || s.LogRetentionDays != DefaultLogRetentionDays || s.CognitoEmailViaSES {
		t.Errorf("defaults %+v", s)
	}
}

func TestContextForms(t *testing.T) {
	base := map[string]any{"adminEmail": "a@example.com", "senderDomain": "Example.COM", "portalUrl": "https://p.example.com"}
	for name, tc := range map[string]struct {
		origins any
		want    []string
	}{
		"comma list":  {"https://a.example.com, https://b.example.com/", []string{"https://a.example.com", "https://b.example.com"}},
		"JSON string": {`["https://a.example.com"]`, []string{"https://a.example.com"}},
		"JSON list":   {[]any{"https://a.example.com", "http://localhost:3000"}, []string{"https://a.example.com", "http://localhost:3000"}},
		"absent":      {nil, []string{"https://p.example.com"}},
	} {
		m := map[string]any{"allowedOrigins": tc.origins, "logRetentionDays": "90", "cognitoEmailViaSes": "true"}
		for k, v := range base {
			m[k] = v
		}
		s, err := SettingsFromContext(lookupFrom(m))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !slices.Equal(s.AllowedOrigins, tc.want) {
			t.Errorf("%s: origins %v, want %v", name, s.AllowedOrigins, tc.want)
		}
		if s.SenderEmail != "no-reply@example.com" || s.LogRetentionDays != 90 || !s.CognitoEmailViaSES {
			t.Errorf("%s: %+v", name, s)
		}
	}
}

func TestContextRefusesBadValues(t *testing.T) {
	good := map[string]any{"adminEmail": "a@example.com", "senderEmail": "s@example.com", "portalUrl": "https://p.example.com"}
	for name, tc := range map[string]struct {
		key   string
		value any
	}{
		"two admins":        {"adminEmail", "a@example.com, b@example.com"},
		"named sender":      {"senderEmail", "Portal <s@example.com>"},
		"sender off domain": {"senderDomain", "other.example"},
		"plain http portal": {"portalUrl", "http://p.example.com"},
		"portal with query": {"portalUrl", "https://p.example.com/?x=1"},
		"origin with path":  {"allowedOrigins", "https://p.example.com/app"},
		"reserved prefix":   {"domainPrefix", "my-cognito"},
		"upper-case prefix": {"domainPrefix", "Portal"},
		"bad schedule":      {"sweepInterval", "every minute"},
		"odd retention":     {"logRetentionDays", "31"},
		"bad duration":      {"invitationTtl", "a week"},
		"not a bool":        {"cognitoEmailViaSes", "yes please"},
	} {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		m[tc.key] = tc.value
		_, err := SettingsFromContext(lookupFrom(m))
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: error %v, want one naming %s", name, err, tc.key)
		}
	}
	if _, err := SettingsFromContext(lookupFrom(good)); err != nil {
		t.Errorf("good context refused: %v", err)
	}
}

func TestLocalhostMayUsePlainHTTP(t *testing.T) {
	_, err := SettingsFromContext(lookupFrom(map[string]any{
		"adminEmail": "a@example.com", "senderEmail": "s@example.com", "portalUrl": "http://localhost:5173",
	}))
	if err != nil {
		t.Error(err)
	}
}
