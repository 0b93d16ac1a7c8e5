// Package console serves the web console and the accept-invitation page:
// static files (HTML, CSS and ES modules, no build step) embedded in the
// binary, and /config.json, which tells the page where the API and Cognito
// are. It never serves anything under /v1/, which belongs to the API.
//
// The local gateway serves Handler for every path outside /v1/. On AWS the
// same files (Static) and the same config.json (Config marshalled as JSON)
// are deployed as static files, with the headers of SecurityHeaders.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
)

//go:embed static
var embedded embed.FS

// Modes of the console: how it signs in.
const (
	// ModeLocal signs in with cognito-local's InitiateAuth (USER_PASSWORD_AUTH).
	ModeLocal = "local"
	// ModeAWS signs in through Cognito's managed login (authorization code
	// with PKCE).
	ModeAWS = "aws"
)

// Config is what the page needs to know; served as /config.json with these
// JSON names.
type Config struct {
	// Mode is ModeLocal or ModeAWS.
	Mode string `json:"mode"`
	// APIURL is the API's origin, e.g. http://127.0.0.1:8080 (the console
	// calls APIURL + "/v1/..."). Empty means the console's own origin.
	APIURL string `json:"apiUrl"`
	// Region, UserPoolID and ClientID name the user pool and its app client.
	Region     string `json:"region"`
	UserPoolID string `json:"userPoolId"`
	ClientID   string `json:"clientId"`
	// CognitoEndpoint is cognito-local's URL (local mode).
	CognitoEndpoint string `json:"cognitoEndpoint"`
	// AuthDomain is the managed login's URL (aws mode), e.g.
	// https://<prefix>.auth.<region>.amazoncognito.com.
	AuthDomain string `json:"authDomain"`
}

// Validate says what is missing or malformed.
func (c Config) Validate() error {
	var errs []error
	switch c.Mode {
	case ModeLocal:
		if c.CognitoEndpoint == "" {
			errs = append(errs, errors.New("cognitoEndpoint is required in local mode"))
		}
	case ModeAWS:
		if c.AuthDomain == "" {
			errs = append(errs, errors.New("authDomain is required in aws mode"))
		}
	default:
		errs = append(errs, fmt.Errorf("mode must be %q or %q, not %q", ModeLocal, ModeAWS, c.Mode))
	}
	if c.ClientID == "" {
		errs = append(errs, errors.New("clientId is required"))
	}
	for name, v := range map[string]string{"apiUrl": c.APIURL, "cognitoEndpoint": c.CognitoEndpoint, "authDomain": c.AuthDomain} {
		if v != "" && origin(v) == "" {
			errs = append(errs, fmt.Errorf("%s must be an absolute http(s) URL, not %q", name, v))
		}
	}
	return errors.Join(errs...)
}

// Static is the console's files, as they are deployed: index.html,
// accept-invitation.html, css/, js/. Without a server of ours, the path
// /accept-invitation must be mapped to accept-invitation.html.
func Static() fs.FS {
	sub, err := fs.Sub(embedded, "static")
	if err != nil {
		panic(err) // the directory is embedded: it is there
	}
	return sub
}

// ContentSecurityPolicy allows scripts, styles and images from the console's
// own origin only, and connections to it, the API and Cognito.
func ContentSecurityPolicy(c Config) string {
	connect := []string{"'self'"}
	for _, u := range []string{c.APIURL, c.CognitoEndpoint, c.AuthDomain} {
		if o := origin(u); o != "" && !slices.Contains(connect, o) {
			connect = append(connect, o)
		}
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"connect-src " + strings.Join(connect, " "),
		"form-action 'self'",
		"base-uri 'none'",
		"frame-ancestors 'none'",
		"object-src 'none'",
	}, "; ")
}

// SecurityHeaders are set on every answer (CloudFront's response headers
// policy should set the same).
func SecurityHeaders(c Config) map[string]string {
	return map[string]string{
		"Content-Security-Policy":    ContentSecurityPolicy(c),
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "no-referrer",
		"X-Frame-Options":            "DENY",
		"Cross-Origin-Opener-Policy": "same-origin",
		"Permissions-Policy":         "camera=(), microphone=(), geolocation=(), payment=()",
	}
}

type file struct {
	body        []byte
	contentType string
	etag        string
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".json": "application/json",
	".png":  "image/png",
	".txt":  "text/plain; charset=utf-8",
}

// Handler serves the console: / (the console), /accept-invitation (the
// accept page), /config.json (from cfg) and the static files. Anything
// under /v1/ and any unknown path answers 404.
func Handler(cfg Config) http.Handler {
	files := map[string]file{}
	err := fs.WalkDir(Static(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Static(), p)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			ct = "application/octet-stream"
		}
		files["/"+p] = newFile(b, ct)
		return nil
	})
	if err != nil {
		panic(err) // embedded files are readable
	}
	cj, _ := json.MarshalIndent(cfg, "", "  ")
	files["/config.json"] = newFile(append(cj, '\n'), contentTypes[".json"])
	files["/"] = files["/index.html"]
	files["/accept-invitation"] = files["/accept-invitation.html"]
	return &handler{files: files, headers: SecurityHeaders(cfg)}
}

func newFile(b []byte, ct string) file {
	sum := sha256.Sum256(b)
	return file{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

type handler struct {
	files   map[string]file
	headers map[string]string
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for k, v := range h.headers {
		w.Header().Set(k, v)
	}
	p := r.URL.Path
	if p == "/v1" || strings.HasPrefix(p, "/v1/") {
		// The API's prefix: never ours, whoever routed it here.
		http.Error(w, "Not found", http.StatusNotFound)
		return
	}
	f, ok := h.files[p]
	if !ok {
		http.Error(w, "Not found", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("ETag", f.etag)
	if p == "/config.json" {
		w.Header().Set("Cache-Control", "no-store")
	} else {
		// Small files, revalidated with their ETag on every load, so a new
		// deployment is seen at once.
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

// origin is the scheme://host[:port] of an absolute http(s) URL, or "".
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
