package console

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/portalaccess/portalaccess/shared/domain"
)

var localCfg = Config{
	Mode: ModeLocal, APIURL: "http://127.0.0.1:8080", Region: "us-east-1",
	UserPoolID: "local_abc", ClientID: "client123", CognitoEndpoint: "http://127.0.0.1:9229",
}

var awsCfg = Config{
	Mode: ModeAWS, APIURL: "https://api.example.com", Region: "eu-west-1",
	UserPoolID: "eu-west-1_X", ClientID: "c", AuthDomain: "https://pa.auth.eu-west-1.amazoncognito.com",
}

func serve(t *testing.T, h http.Handler, method, path string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestConfigJSONSaysWhatThePageNeeds(t *testing.T) {
	for _, cfg := range []Config{localCfg, awsCfg} {
		res := serve(t, Handler(cfg), "GET", "/config.json")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" || res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%d %v", res.StatusCode, res.Header)
		}
		var got map[string]string
		if err := json.Unmarshal([]byte(body(t, res)), &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"mode": cfg.Mode, "apiUrl": cfg.APIURL, "region": cfg.Region, "userPoolId": cfg.UserPoolID,
			"clientId": cfg.ClientID, "cognitoEndpoint": cfg.CognitoEndpoint, "authDomain": cfg.AuthDomain,
		}
		if len(got) != len(want) {
			t.Fatalf("%v", got)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q", k, got[k], v)
			}
		}
	}
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	h := Handler(localCfg)
	for _, path := range []string{"/", "/accept-invitation", "/config.json", "/js/console.js", "/css/app.css", "/nope", "/v1/me"} {
		res := serve(t, h, "GET", path)
		for k, v := range map[string]string{
			"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
		} {
			if got := res.Header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", path, k, got, v)
			}
		}
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{
			"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
			"connect-src 'self' http://127.0.0.1:8080 http://127.0.0.1:9229;",
		} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") || strings.Contains(csp, "*") {
			t.Errorf("%s: CSP too loose: %q", path, csp)
		}
	}
}

func TestCSPAllowsTheManagedLoginOnAWS(t *testing.T) {
	csp := ContentSecurityPolicy(awsCfg)
	if !strings.Contains(csp, "connect-src 'self' https://api.example.com https://pa.auth.eu-west-1.amazoncognito.com;") {
		t.Fatal(csp)
	}
	// Paths and bad URLs are never part of the policy.
	csp = ContentSecurityPolicy(Config{APIURL: "https://api.example.com/prod/", CognitoEndpoint: "javascript:alert(1)", AuthDomain: "not a url"})
	if !strings.Contains(csp, "connect-src 'self' https://api.example.com;") {
		t.Fatal(csp)
	}
}

func TestNothingUnderV1IsServed(t *testing.T) {
	h := Handler(localCfg)
	for _, path := range []string{"/v1", "/v1/", "/v1/me", "/v1/health", "/v1/index.html", "/v1/config.json", "/v1/js/console.js"} {
		for _, m := range []string{"GET", "HEAD", "POST"} {
			res := serve(t, h, m, path)
			if res.StatusCode != 404 {
				t.Errorf("%s %s: %d", m, path, res.StatusCode)
			}
			if b := body(t, res); strings.Contains(b, "<html") || strings.Contains(b, "clientId") {
				t.Errorf("%s %s served content: %q", m, path, b)
			}
		}
	}
}

func TestTheConsoleAndTheAcceptPageAreServed(t *testing.T) {
	h := Handler(localCfg)
	for path, script := range map[string]string{"/": "js/console.js", "/index.html": "js/console.js", "/accept-invitation": "js/accept.js"} {
		res := serve(t, h, "GET", path)
		b := body(t, res)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("%s: %d %v", path, res.StatusCode, res.Header)
		}
		if !strings.Contains(b, `<script type="module" src="`+script+`"></script>`) {
			t.Errorf("%s does not load %s", path, script)
		}
	}
	res := serve(t, h, "GET", "/js/accept.js")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("%d %v", res.StatusCode, res.Header)
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	h := Handler(localCfg)
	for _, path := range []string{"/nope", "/js/", "/static/index.html", "/../console.go", "/accept-invitation/x"} {
		if res := serve(t, h, "GET", path); res.StatusCode != 404 {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
	res := serve(t, h, "POST", "/")
	if res.StatusCode != 405 || res.Header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("%d %v", res.StatusCode, res.Header)
	}
	res = serve(t, h, "HEAD", "/")
	if res.StatusCode != 200 || body(t, res) != "" {
		t.Fatal(res.StatusCode)
	}
}

func TestFilesAreRevalidatedByETag(t *testing.T) {
	h := Handler(localCfg)
	res := serve(t, h, "GET", "/css/app.css")
	etag := res.Header.Get("ETag")
	if etag == "" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatal(res.Header)
	}
	if res := serve(t, h, "GET", "/css/app.css", "If-None-Match", etag); res.StatusCode != 304 {
		t.Fatal(res.StatusCode)
	}
}

func TestValidate(t *testing.T) {
	if err := localCfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := awsCfg.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Config{
		{},
		{Mode: ModeLocal, ClientID: "c"},
		{Mode: ModeAWS, ClientID: "c"},
		{Mode: ModeLocal, ClientID: "c", CognitoEndpoint: "127.0.0.1:9229"},
		{Mode: "prod", ClientID: "c", AuthDomain: "https://x"},
	} {
		if bad.Validate() == nil {
			t.Errorf("%+v passed", bad)
		}
	}
}

// The static files follow the rules the CSP enforces: no inline script,
// no inline style, no event handler attributes, nothing from another origin;
// and every text the pages show comes from the dictionaries.
func TestStaticFilesNeedNoInlineCodeOrOtherOrigins(t *testing.T) {
	inline := regexp.MustCompile(`(?i)<script(?:\s+type="module")?>|\son[a-z]+=|style=|innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function`)
	remote := regexp.MustCompile(`(?i)(src|href)="(https?:)?//`)
	n := 0
	err := fs.WalkDir(Static(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, _ := fs.ReadFile(Static(), p)
		// A vendored library is checked as its package (below); its own
		// HTML-string helpers (style= in qrcode-generator's createTableTag)
		// are never called, and the CSP would refuse them.
		if m := inline.Find(b); m != nil && !strings.HasPrefix(p, "vendor/") {
			t.Errorf("%s has %q", p, m)
		}
		if m := remote.Find(b); m != nil {
			t.Errorf("%s loads from elsewhere: %q", p, m)
		}
		return nil
	})
	if err != nil || n < 8 {
		t.Fatal(n, err)
	}
}

// Both dictionaries have the same keys, in i18n.js and in each module of
// texts added to it (js/i18n-*.js).
func TestDictionariesHaveTheSameKeys(t *testing.T) {
	files, err := fs.Glob(Static(), "js/i18n*.js")
	if err != nil || len(files) < 2 {
		t.Fatal(files, err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) { sameKeys(t, f) })
	}
}

func sameKeys(t *testing.T, file string) {
	b, err := fs.ReadFile(Static(), file)
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	block := func(name string) map[string]bool {
		start := strings.Index(src, "const "+name+" = {")
		end := strings.Index(src[start:], "\n};")
		keys := map[string]bool{}
		for _, m := range regexp.MustCompile(`(?m)^\s+'([^']+)':`).FindAllStringSubmatch(src[start:start+end], -1) {
			keys[m[1]] = true
		}
		return keys
	}
	en, nl := block("en"), block("nl")
	least := 50 // the whole console's
	if file != "js/i18n.js" {
		least = 10 // one feature's (i18n-<feature>.js)
	}
	if len(en) < least {
		t.Fatalf("only %d keys", len(en))
	}
	for k := range en {
		if !nl[k] {
			t.Errorf("nl lacks %s", k)
		}
	}
	for k := range nl {
		if !en[k] {
			t.Errorf("en lacks %s", k)
		}
	}
}

// The console offers the countries the API takes, and no other.
func TestTheConsolesCountriesAreTheAPIs(t *testing.T) {
	b, err := fs.ReadFile(Static(), "js/countries.js")
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, m := range regexp.MustCompile(`'([A-Z ]+)'`).FindAllStringSubmatch(string(b), -1) {
		codes = append(codes, strings.Fields(m[1])...)
	}
	if want := domain.CountryCodes(); !slices.Equal(codes, want) {
		t.Fatalf("the console has %d codes, the API %d", len(codes), len(want))
	}
}

// The vendored QR code library is the npm package pinned in
// infra/package.json, unchanged, with its licence beside it; the console
// uses only its data URL output (an <img>, which the CSP's img-src data:
// allows).
func TestVendoredQRCodeIsThePinnedPackage(t *testing.T) {
	pkg, err := os.ReadFile("../../infra/node_modules/qrcode-generator/package.json")
	if err != nil {
		t.Fatalf("qrcode-generator is not installed (run make deps): %v", err)
	}
	if !strings.Contains(string(pkg), `"version": "2.0.4"`) {
		t.Fatal("infra/node_modules has another qrcode-generator than 2.0.4")
	}
	want, err := os.ReadFile("../../infra/node_modules/qrcode-generator/dist/qrcode.mjs")
	if err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile(Static(), "vendor/qrcode-generator-2.0.4.js")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("vendor/qrcode-generator-2.0.4.js is not the package's dist/qrcode.mjs (%v)", err)
	}
	lic, err := fs.ReadFile(Static(), "vendor/LICENSE-qrcode-generator.txt")
	if err != nil || !strings.Contains(string(lic), "MIT License") {
		t.Fatalf("the licence is missing: %v", err)
	}
	for _, f := range []string{"js/screens/mfa.js"} {
		b, _ := fs.ReadFile(Static(), f)
		if regexp.MustCompile(`create(Table|Img|Svg|A)Tag|renderTo2dContext`).Match(b) {
			t.Errorf("%s uses one of the library's HTML helpers", f)
		}
	}
}
