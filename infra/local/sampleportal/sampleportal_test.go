package sampleportal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portalaccess/portalaccess/infra/local/emulators"
	"github.com/portalaccess/portalaccess/infra/local/sampleportal"
)

func newPortal(t *testing.T, clientID string) http.Handler {
	t.Helper()
	h, err := sampleportal.New(sampleportal.Options{
		URL: "http://127.0.0.1:8091/", Authority: "http://127.0.0.1:8090/local_abc", APIURL: "http://127.0.0.1:8080/",
		ClientID: func(context.Context) (string, bool) { return clientID, clientID != "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec
}

func TestConfig(t *testing.T) {
	rec := get(t, newPortal(t, "client123"), "/config.json")
	var cfg map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &cfg); err != nil || rec.Code != 200 {
		t.Fatalf("config.json: %d %s", rec.Code, rec.Body)
	}
	want := map[string]string{
		"authority": "http://127.0.0.1:8090/local_abc", "clientId": "client123",
		"redirectUri": "http://127.0.0.1:8091/", "postLogoutRedirectUri": "http://127.0.0.1:8091/",
		"apiUrl": "http://127.0.0.1:8080",
	}
	if fmt.Sprint(cfg) != fmt.Sprint(want) {
		t.Errorf("config.json = %v, want %v", cfg, want)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("config.json is cached: %q", rec.Header().Get("Cache-Control"))
	}
	// No portal setup yet: no client id, the page says what to do.
	rec = get(t, newPortal(t, ""), "/config.json")
	if err := json.Unmarshal(rec.Body.Bytes(), &cfg); err != nil || cfg["clientId"] != "" || cfg["redirectUri"] != "http://127.0.0.1:8091/" {
		t.Errorf("config.json without a setup: %s", rec.Body)
	}
}

func TestPageAndCSP(t *testing.T) {
	h := newPortal(t, "client123")
	for _, path := range []string{"/", "/?code=x&state=y", "/app.js", "/style.css"} {
		rec := get(t, h, path)
		if rec.Code != 200 {
			t.Errorf("%s: %d", path, rec.Code)
		}
		csp := rec.Header().Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self';", "connect-src 'self' http://127.0.0.1:8090 http://127.0.0.1:8080;", "default-src 'none'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
	page := get(t, h, "/").Body.String()
	for _, want := range []string{`<script src="/vendor/oidc-client-ts.min.js" defer></script>`, `<script src="/app.js" defer></script>`, `id="signin"`, `id="ask"`, `id="signout"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "style=") || strings.Contains(page, "onclick=") {
		t.Error("inline script or style on the page")
	}
	if get(t, h, "/nothing").Code != 404 {
		t.Error("an unknown path is served")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/config.json", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}

func TestServesOIDCClient(t *testing.T) {
	root, err := emulators.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(root, "infra/node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	rec := get(t, newPortal(t, "c"), "/vendor/oidc-client-ts.min.js")
	got, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 || string(got) != string(want) || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") {
		t.Fatalf("oidc-client-ts: %d %q, %d bytes", rec.Code, rec.Header().Get("Content-Type"), len(got))
	}
	// The browser build: an IIFE that defines window.oidc with UserManager.
	if !strings.HasPrefix(string(got), `"use strict";var oidc=`) || !strings.Contains(string(got), "UserManager") {
		t.Error("not the browser build of oidc-client-ts")
	}
	if rec := get(t, newPortal(t, "c"), "/vendor/oidc-client-ts.min.js.map"); rec.Code != 200 {
		t.Errorf("source map: %d", rec.Code)
	}
	// The pin and the install agree (New checks it).
	var pkg struct{ DevDependencies map[string]string }
	b, _ := os.ReadFile(filepath.Join(root, "infra/package.json"))
	if json.Unmarshal(b, &pkg) != nil || !strings.HasPrefix(pkg.DevDependencies["oidc-client-ts"], "3.") || strings.ContainsAny(pkg.DevDependencies["oidc-client-ts"], "^~") {
		t.Errorf("infra/package.json pins oidc-client-ts %q: want an exact 3.x", pkg.DevDependencies["oidc-client-ts"])
	}
}
