// Package sampleportal is a small sample customer portal for the local
// stack: one page, on an origin of its own, that signs in through the
// (stand-in) managed login with oidc-client-ts (authorization code with
// PKCE) and shows what the API's GET /v1/portal-access answers for the
// signed-in user: who they are, for which customer and portal, their roles.
//
// A new user opens it after `make run` to see what a customer's portal
// does with Portal Access. The OIDC client library is oidc-client-ts, its
// browser build served from infra/node_modules (pinned in
// infra/package.json), not from a CDN.
package sampleportal

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Options configure the sample portal.
type Options struct {
	// URL is the portal's own address (http://127.0.0.1:<port>/): the
	// redirect and post-logout URI, and the URL of the portal setup it
	// belongs to (its app client's callback and logout URL).
	URL string
	// Authority is the OpenID provider: the Cognito front's issuer,
	// <front URL>/<pool id>.
	Authority string
	// APIURL is the API's base URL; the page calls <APIURL>/v1/portal-access.
	APIURL string
	// ClientID answers the app client of the portal setup whose URL is URL;
	// false while there is none (the page then says how to make one).
	ClientID func(ctx context.Context) (string, bool)
	// Root is the repository root, where infra/node_modules is; found from
	// the working directory when empty.
	Root string
}

//go:embed static
var static embed.FS

// The browser build of oidc-client-ts (an IIFE that defines window.oidc).
const (
	oidcPath = "/vendor/oidc-client-ts.min.js"
	oidcFile = "infra/node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js"
)

type handler struct {
	o       Options
	csp     string
	files   fs.FS
	oidcJS  []byte
	oidcMap []byte
}

// New makes the portal's handler. It fails when oidc-client-ts is not
// installed (make deps) or is not the version infra/package.json pins.
func New(o Options) (http.Handler, error) {
	if o.ClientID == nil {
		return nil, errors.New("sampleportal: ClientID is required")
	}
	var origins []string
	for name, raw := range map[string]string{"URL": o.URL, "Authority": o.Authority, "APIURL": o.APIURL} {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(raw, " ;,'\"") {
			return nil, fmt.Errorf("sampleportal: %s %q is not an http(s) URL", name, raw)
		}
		if name != "URL" {
			origins = append(origins, u.Scheme+"://"+u.Host)
		}
	}
	if o.Root == "" {
		root, err := findRoot()
		if err != nil {
			return nil, err
		}
		o.Root = root
	}
	js, err := os.ReadFile(filepath.Join(o.Root, oidcFile))
	if err != nil {
		return nil, fmt.Errorf("sampleportal: oidc-client-ts is not installed (run `make deps`): %w", err)
	}
	if err := checkVersion(o.Root); err != nil {
		return nil, err
	}
	jsMap, _ := os.ReadFile(filepath.Join(o.Root, oidcFile+".map"))
	files, _ := fs.Sub(static, "static")
	connect := "'self' " + strings.Join(dedupe(origins), " ")
	return &handler{
		o: o, files: files, oidcJS: js, oidcMap: jsMap,
		csp: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src " + connect +
			"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	}, nil
}

// checkVersion compares the installed oidc-client-ts with the pin.
func checkVersion(root string) error {
	var pin struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	var installed struct {
		Version string `json:"version"`
	}
	b1, err1 := os.ReadFile(filepath.Join(root, "infra", "package.json"))
	b2, err2 := os.ReadFile(filepath.Join(root, "infra", "node_modules", "oidc-client-ts", "package.json"))
	if err1 != nil || err2 != nil || json.Unmarshal(b1, &pin) != nil || json.Unmarshal(b2, &installed) != nil {
		return errors.New("sampleportal: cannot read oidc-client-ts's version (run `make deps`)")
	}
	if want := pin.DevDependencies["oidc-client-ts"]; want != installed.Version {
		return fmt.Errorf("sampleportal: infra/package.json pins oidc-client-ts %s, infra/node_modules has %s: run `make deps`", want, installed.Version)
	}
	return nil
}

func dedupe(s []string) []string {
	var out []string
	for _, v := range s {
		if !strings.Contains(" "+strings.Join(out, " ")+" ", " "+v+" ") {
			out = append(out, v)
		}
	}
	return out
}

func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("sampleportal: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Config is what GET /config.json answers.
type Config struct {
	Authority             string `json:"authority"`
	ClientID              string `json:"clientId"`
	RedirectURI           string `json:"redirectUri"`
	PostLogoutRedirectURI string `json:"postLogoutRedirectUri"`
	APIURL                string `json:"apiUrl"`
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	// The callback's address carries the authorization code.
	hd.Set("Referrer-Policy", "no-referrer")
	switch r.URL.Path {
	case "/", "/index.html":
		hd.Set("Cache-Control", "no-store")
		h.file(w, "index.html", "text/html; charset=utf-8")
	case "/app.js":
		hd.Set("Cache-Control", "no-cache")
		h.file(w, "app.js", "text/javascript; charset=utf-8")
	case "/style.css":
		hd.Set("Cache-Control", "no-cache")
		h.file(w, "style.css", "text/css; charset=utf-8")
	case oidcPath:
		hd.Set("Cache-Control", "no-cache")
		hd.Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write(h.oidcJS)
	case oidcPath + ".map":
		if h.oidcMap == nil {
			http.NotFound(w, r)
			return
		}
		hd.Set("Content-Type", "application/json")
		_, _ = w.Write(h.oidcMap)
	case "/config.json":
		hd.Set("Cache-Control", "no-store")
		hd.Set("Content-Type", "application/json")
		id, ok := h.o.ClientID(r.Context())
		if !ok {
			id = ""
		}
		_ = json.NewEncoder(w).Encode(Config{
			Authority: h.o.Authority, ClientID: id, RedirectURI: h.o.URL,
			PostLogoutRedirectURI: h.o.URL, APIURL: strings.TrimRight(h.o.APIURL, "/"),
		})
	default:
		http.NotFound(w, r)
	}
}

func (h *handler) file(w http.ResponseWriter, name, ctype string) {
	b, err := fs.ReadFile(h.files, name)
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", ctype)
	_, _ = w.Write(b)
}
