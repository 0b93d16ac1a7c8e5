package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/portalaccess/portalaccess/shared/console"
)

// distribution is the console's CloudFront distribution.
func distribution(t *testing.T, tpl template) resource {
	t.Helper()
	return tpl.one(t, "AWS::CloudFront::Distribution")
}

// wantPortalURL is PORTAL_URL as the template says it: the settings', or
// the distribution's address, https://<its domain name>.
func wantPortalURL(t *testing.T, syn *synthesized) string {
	t.Helper()
	if syn.settings.PortalURL != "" {
		return syn.settings.PortalURL
	}
	return "https://<" + distribution(t, syn.template).ID + ".DomainName>"
}

// wantOrigins are the origins that may call the API: the settings', after
// the distribution's when the console's address is the distribution.
func wantOrigins(t *testing.T, syn *synthesized) []string {
	t.Helper()
	if syn.settings.PortalURL != "" {
		return syn.settings.AllowedOrigins
	}
	return append([]string{wantPortalURL(t, syn)}, syn.settings.AllowedOrigins...)
}

func isDeployHandler(r resource) bool {
	return strings.HasPrefix(r.ID, strings.ReplaceAll(deployHandlerPrefix, ":", ""))
}

func isDeployRolePolicy(p resource) bool {
	for _, r := range list(p.Props["Roles"]) {
		if strings.HasPrefix(refID(r), "ConsoleDeployRole") {
			return true
		}
	}
	return false
}

func TestPortalURLIsOptional(t *testing.T) {
	if cloudfrontVariant.settings.PortalURL != "" {
		t.Fatalf("the CloudFront variant has portalUrl %s", cloudfrontVariant.settings.PortalURL)
	}
	if got := domainVariant.settings.PortalURL; got != "https://console.acme.example" {
		t.Errorf("with consoleDomain, PORTAL_URL is %s, want https://console.acme.example", got)
	}
	// The callback and logout URLs, in each form the console may send.
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		var want []string
		for _, o := range append([]string{wantPortalURL(t, syn)}, wantOrigins(t, syn)...) {
			if !slices.Contains(want, o) {
				want = append(want, o, o+"/")
			}
		}
		c := syn.template.one(t, "AWS::Cognito::UserPoolClient").Props
		for _, key := range []string{"CallbackURLs", "LogoutURLs"} {
			if got := strs(c[key]); !slices.Equal(got, want) {
				t.Errorf("%s %v, want %v", key, got, want)
			}
		}
	})
}

func TestRedirectURLsHaveTheTrailingSlashForm(t *testing.T) {
	got := redirectURLs("https://console.example.com/portal", []string{"https://console.example.com", "http://localhost:5173"})
	want := []string{
		"https://console.example.com/portal", "https://console.example.com/portal/",
		"https://console.example.com", "https://console.example.com/",
		"http://localhost:5173", "http://localhost:5173/",
	}
	if !slices.Equal(got, want) {
		t.Errorf("redirect URLs %v, want %v", got, want)
	}
	if got := redirectURLs("https://p.example.com", []string{"https://p.example.com"}); !slices.Equal(got, []string{"https://p.example.com", "https://p.example.com/"}) {
		t.Errorf("redirect URLs %v, want each once", got)
	}
}

func TestConsoleBucketIsPrivateAndOnlyCloudFrontReadsIt(t *testing.T) {
	for name, syn := range variants {
		tpl := syn.template
		bucket := tpl.one(t, "AWS::S3::Bucket")
		dist := distribution(t, tpl)
		pab, _ := bucket.Props["PublicAccessBlockConfiguration"].(map[string]any)
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if pab[k] != true {
				t.Errorf("%s: bucket %s is %v", name, k, pab[k])
			}
		}
		if bucket.Props["WebsiteConfiguration"] != nil || bucket.Props["AccessControl"] != nil {
			t.Errorf("%s: the bucket is a website or has an ACL: %v", name, bucket.Props)
		}
		if get(bucket.Props, "OwnershipControls") == nil || !strings.Contains(fmt.Sprint(bucket.Props["OwnershipControls"]), "BucketOwnerEnforced") {
			t.Errorf("%s: object ACLs are not disabled: %v", name, bucket.Props["OwnershipControls"])
		}
		enc := list(get(bucket.Props, "BucketEncryption", "ServerSideEncryptionConfiguration"))
		if len(enc) != 1 || get(enc[0].(map[string]any), "ServerSideEncryptionByDefault", "SSEAlgorithm") != "AES256" {
			t.Errorf("%s: encryption %v, want S3-managed", name, enc)
		}

		policy := tpl.one(t, "AWS::S3::BucketPolicy")
		if refID(policy.Props["Bucket"]) != bucket.ID {
			t.Fatalf("%s: the bucket policy is another bucket's", name)
		}
		var allows int
		var ssl bool
		for _, s := range list(get(policy.Props, "PolicyDocument", "Statement")) {
			st := s.(map[string]any)
			switch st["Effect"] {
			case "Deny":
				if get(st, "Condition", "Bool", "aws:SecureTransport") == "false" {
					ssl = true
				}
			case "Allow":
				allows++
				if fmt.Sprint(st["Principal"]) != "map[Service:cloudfront.amazonaws.com]" || fmt.Sprint(st["Action"]) != "s3:GetObject" ||
					render(st["Resource"]) != "<"+bucket.ID+".Arn>/*" {
					t.Errorf("%s: the bucket allows %v", name, st)
				}
				// Only this distribution, by origin access control.
				src := render(get(st, "Condition", "StringEquals", "AWS:SourceArn"))
				if want := "arn:<AWS::Partition>:cloudfront::<AWS::AccountId>:distribution/<" + dist.ID + ">"; src != want {
					t.Errorf("%s: the bucket lets %s read, want the distribution %s", name, src, want)
				}
			}
		}
		if allows != 1 || !ssl {
			t.Errorf("%s: %d allow statements (want CloudFront's only), SSL enforced %v", name, allows, ssl)
		}

		// The bucket and the API (TestTheDistributionServesTheAPIUnderV1).
		origins := list(get(dist.Props, "DistributionConfig", "Origins"))
		if len(origins) != 2 {
			t.Fatalf("%s: origins %v", name, origins)
		}
		o := origins[0].(map[string]any)
		if render(o["DomainName"]) != "<"+bucket.ID+".RegionalDomainName>" || get(o, "S3OriginConfig", "OriginAccessIdentity") != "" {
			t.Errorf("%s: origin %v, want the bucket without an origin access identity", name, o)
		}
		oac, ok := tpl.resource(refID(o["OriginAccessControlId"]))
		cfg, _ := oac.Props["OriginAccessControlConfig"].(map[string]any)
		if !ok || oac.Type != "AWS::CloudFront::OriginAccessControl" || cfg["OriginAccessControlOriginType"] != "s3" ||
			cfg["SigningBehavior"] != "always" || cfg["SigningProtocol"] != "sigv4" {
			t.Errorf("%s: origin access control %v", name, oac.Props)
		}
	}
}

func TestConsoleDistributionServesHTTPSOnly(t *testing.T) {
	for name, syn := range variants {
		dist := distribution(t, syn.template)
		cfg := dist.Props["DistributionConfig"].(map[string]any)
		if cfg["DefaultRootObject"] != "index.html" || cfg["Enabled"] != true {
			t.Errorf("%s: root object %v enabled %v", name, cfg["DefaultRootObject"], cfg["Enabled"])
		}
		if p := get(cfg, "DefaultCacheBehavior", "ViewerProtocolPolicy"); p != "redirect-to-https" {
			t.Errorf("%s: viewer protocol policy %v", name, p)
		}
		if b := list(cfg["CacheBehaviors"]); len(b) != 1 || get(b[0].(map[string]any), "PathPattern") != "/v1/*" {
			t.Errorf("%s: behaviours %v, want the API's only", name, cfg["CacheBehaviors"])
		}
		if m := strs(get(cfg, "DefaultCacheBehavior", "AllowedMethods")); !slices.Equal(m, []string{"GET", "HEAD"}) {
			t.Errorf("%s: methods %v", name, m)
		}
		vc, _ := cfg["ViewerCertificate"].(map[string]any)
		if syn.settings.ConsoleDomain == "" {
			if vc != nil && vc["CloudFrontDefaultCertificate"] != true {
				t.Errorf("%s: certificate %v, want CloudFront's default", name, vc)
			}
			continue
		}
		if a := strs(cfg["Aliases"]); !slices.Equal(a, []string{syn.settings.ConsoleDomain}) {
			t.Errorf("%s: aliases %v", name, a)
		}
		if vc["AcmCertificateArn"] != syn.settings.CertificateArn || vc["MinimumProtocolVersion"] != "TLSv1.2_2021" || vc["SslSupportMethod"] != "sni-only" {
			t.Errorf("%s: certificate %v, want the context's with TLSv1.2_2021 and SNI", name, vc)
		}
	}
}

// The function that maps /accept-invitation, run by Node.js (which jsii
// needs anyway) on CloudFront's viewer-request event.
func TestAcceptInvitationFunction(t *testing.T) {
	tpl := base.template
	fn := cloudFrontFunction(t, tpl, "ConsoleAcceptInvitationPath")
	if get(fn.Props, "FunctionConfig", "Runtime") != "cloudfront-js-2.0" || fn.Props["AutoPublish"] != true {
		t.Errorf("function config %v", fn.Props)
	}
	assoc := list(get(distribution(t, tpl).Props, "DistributionConfig", "DefaultCacheBehavior", "FunctionAssociations"))
	if len(assoc) != 1 || get(assoc[0].(map[string]any), "EventType") != "viewer-request" ||
		render(get(assoc[0].(map[string]any), "FunctionARN")) != "<"+fn.ID+".FunctionARN>" {
		t.Errorf("function associations %v, want this function at viewer request", assoc)
	}
	code, _ := fn.Props["FunctionCode"].(string)
	runCloudFrontFunction(t, code, map[string]string{
		"/accept-invitation":      "uri /accept-invitation.html",
		"/accept-invitation/":     "302 /accept-invitation",
		"/":                       "uri /",
		"/index.html":             "uri /index.html",
		"/accept-invitation.html": "uri /accept-invitation.html",
		"/js/accept.js":           "uri /js/accept.js",
		"/config.json":            "uri /config.json",
		"/accept-invitation/x":    "uri /accept-invitation/x",
	})
}

// /v1/* goes to the HTTP API: every method, nothing cached, every viewer
// header but Host (Authorization included, which CloudFront forwards with
// CachingDisabled), the origin secret as a custom header, and the viewer's
// address from a function that replaces whatever the viewer sent.
func TestTheDistributionServesTheAPIUnderV1(t *testing.T) {
	for name, syn := range variants {
		tpl := syn.template
		cfg := distribution(t, tpl).Props["DistributionConfig"].(map[string]any)
		behaviors := list(cfg["CacheBehaviors"])
		if len(behaviors) != 1 {
			t.Fatalf("%s: behaviours %v", name, behaviors)
		}
		b := behaviors[0].(map[string]any)
		const cachingDisabled, allViewerExceptHost = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "b689b0a8-53d0-40ab-baf2-68738e2966ac"
		if b["PathPattern"] != "/v1/*" || b["CachePolicyId"] != cachingDisabled || b["OriginRequestPolicyId"] != allViewerExceptHost ||
			b["ViewerProtocolPolicy"] != "https-only" || b["Compress"] != false {
			t.Errorf("%s: the API's behaviour %v", name, b)
		}
		if m := strs(b["AllowedMethods"]); !slices.Equal(m, []string{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}) {
			t.Errorf("%s: methods %v, want all", name, m)
		}
		var api map[string]any
		for _, o := range list(cfg["Origins"]) {
			if o.(map[string]any)["Id"] == b["TargetOriginId"] {
				api = o.(map[string]any)
			}
		}
		apiID := tpl.one(t, "AWS::ApiGatewayV2::Api").ID
		if got := render(api["DomainName"]); got != "<"+apiID+">.execute-api.<AWS::Region>.<AWS::URLSuffix>" {
			t.Errorf("%s: the API's origin is %s", name, got)
		}
		if c := api["CustomOriginConfig"].(map[string]any); c["OriginProtocolPolicy"] != "https-only" || c["OriginReadTimeout"] != float64(apiOriginTimeout) ||
			!slices.Equal(strs(c["OriginSSLProtocols"]), []string{"TLSv1.2"}) {
			t.Errorf("%s: origin config %v", name, c)
		}
		headers := list(api["OriginCustomHeaders"])
		if len(headers) != 1 || get(headers[0].(map[string]any), "HeaderName") != originSecretHeader {
			t.Fatalf("%s: origin headers %v", name, headers)
		}
		// CloudFront sends the pinned version, never the previous one.
		want := "{{resolve:secretsmanager:<" + secretID(syn, "OriginSecret") + ">:SecretString:::" + syn.settings.OriginSecretVersion + "}}"
		if got := render(get(headers[0].(map[string]any), "HeaderValue")); got != want {
			t.Errorf("%s: the origin secret header is %s, want %s", name, got, want)
		}
		// The functions read the same header names.
		if originSecretHeader != "x-origin-verify" || viewerAddressHeader != "x-viewer-address" {
			t.Errorf("header names %s %s", originSecretHeader, viewerAddressHeader)
		}
		assoc := list(b["FunctionAssociations"])
		viewer := cloudFrontFunction(t, tpl, "ConsoleViewerAddress")
		if len(assoc) != 1 || get(assoc[0].(map[string]any), "EventType") != "viewer-request" ||
			render(get(assoc[0].(map[string]any), "FunctionARN")) != "<"+viewer.ID+".FunctionARN>" {
			t.Errorf("%s: function associations %v", name, assoc)
		}
		hp, ok := tpl.resource(refID(b["ResponseHeadersPolicyId"]))
		sec, _ := get(hp.Props, "ResponseHeadersPolicyConfig", "SecurityHeadersConfig").(map[string]any)
		if !ok || get(sec, "StrictTransportSecurity", "Override") != true || get(hp.Props, "ResponseHeadersPolicyConfig", "CorsConfig") != nil {
			t.Errorf("%s: the API's response headers %v", name, hp.Props)
		}
		if waf := cfg["WebACLId"]; waf == nil {
			t.Errorf("%s: no web ACL", name)
		}
	}
	code, _ := cloudFrontFunction(t, base.template, "ConsoleViewerAddress").Props["FunctionCode"].(string)
	runCloudFrontFunction(t, code, map[string]string{
		"/v1/invitations/accept": "uri /v1/invitations/accept x-viewer-address=203.0.113.7",
		"/v1/me":                 "uri /v1/me x-viewer-address=203.0.113.7",
	})
}

// cloudFrontFunction is the CloudFront Function whose logical id begins
// with prefix.
func cloudFrontFunction(t *testing.T, tpl template, prefix string) resource {
	t.Helper()
	for _, f := range tpl.resources("AWS::CloudFront::Function") {
		if strings.HasPrefix(f.ID, prefix) {
			return f
		}
	}
	t.Fatalf("no CloudFront function %s", prefix)
	return resource{}
}

// runCloudFrontFunction runs a viewer-request function's code in Node.js
// for each URI of cases (a viewer at 203.0.113.7 who sends its own
// x-viewer-address and x-origin-verify), and compares what it answers:
// "302 <location>", or "uri <uri>" and the headers it passes on.
func runCloudFrontFunction(t *testing.T, code string, cases map[string]string) {
	t.Helper()
	var uris []string
	for u := range cases {
		uris = append(uris, u)
	}
	sort.Strings(uris)
	harness := code + `
const out = {};
for (const uri of ` + mustJSON(t, uris) + `) {
  const r = handler({ viewer: { ip: '203.0.113.7' }, request: { method: 'GET', uri: uri, querystring: {}, cookies: {},
    headers: { 'x-viewer-address': { value: '198.51.100.1' }, accept: { value: 'application/json' } } } });
  if (r.statusCode) { out[uri] = r.statusCode + ' ' + r.headers.location.value; continue; }
  const v = (r.headers['x-viewer-address'] || {}).value;
  out[uri] = 'uri ' + r.uri + (v === '198.51.100.1' && r.headers.accept ? '' : ' x-viewer-address=' + v);
}
console.log(JSON.stringify(out));
`
	cmd := exec.Command("node", "-e", harness)
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, code)
	}
	var got map[string]string
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("node printed %s", b)
	}
	for _, u := range uris {
		if got[u] != cases[u] {
			t.Errorf("%s: %s, want %s", u, got[u], cases[u])
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestConsoleResponseHeadersPolicy(t *testing.T) {
	for name, syn := range variants {
		tpl := syn.template
		policy, ok := tpl.resource(refID(get(distribution(t, tpl).Props, "DistributionConfig", "DefaultCacheBehavior", "ResponseHeadersPolicyId")))
		if !ok || policy.Type != "AWS::CloudFront::ResponseHeadersPolicy" || !strings.HasPrefix(policy.ID, "ConsoleSecurityHeaders") {
			t.Fatalf("%s: the console's response headers policy is %v", name, policy.ID)
		}
		sec := get(policy.Props, "ResponseHeadersPolicyConfig", "SecurityHeadersConfig").(map[string]any)

		domain := tpl.one(t, "AWS::Cognito::UserPoolDomain")
		csp := render(get(sec, "ContentSecurityPolicy", "ContentSecurityPolicy"))
		// The API is the console's own origin: 'self' and the managed
		// login, never API Gateway's endpoints.
		// Cognito's own API too: the console sets up an operator's
		// authenticator app with AssociateSoftwareToken.
		wantConnect := "connect-src 'self' https://cognito-idp.<AWS::Region>.<AWS::URLSuffix> https://<" + domain.ID + ">." + "auth." + testRegion + ".amazoncognito.com"
		if strings.Contains(csp, "execute-api") {
			t.Errorf("%s: the CSP names API Gateway: %s", name, csp)
		}
		directives := strings.Split(csp, "; ")
		if !slices.Contains(directives, wantConnect) {
			t.Errorf("%s: CSP %q has no %q", name, csp, wantConnect)
		}
		// Every other directive is the console's own.
		for _, d := range strings.Split(console.ContentSecurityPolicy(console.Config{}), "; ") {
			if !strings.HasPrefix(d, "connect-src ") && !slices.Contains(directives, d) {
				t.Errorf("%s: CSP %q lacks the console's %q", name, csp, d)
			}
		}
		if get(sec, "ContentSecurityPolicy", "Override") != true {
			t.Errorf("%s: the CSP does not override", name)
		}
		hsts, _ := sec["StrictTransportSecurity"].(map[string]any)
		if age, _ := hsts["AccessControlMaxAgeSec"].(float64); age < 365*24*3600 || hsts["IncludeSubdomains"] != true || hsts["Override"] != true {
			t.Errorf("%s: HSTS %v, want at least a year with subdomains", name, hsts)
		}
		if get(sec, "ContentTypeOptions", "Override") != true ||
			get(sec, "FrameOptions", "FrameOption") != "DENY" ||
			get(sec, "ReferrerPolicy", "ReferrerPolicy") != "no-referrer" {
			t.Errorf("%s: security headers %v", name, sec)
		}
		// The console's other headers, as custom ones, with its values.
		custom := map[string]string{}
		for _, h := range list(get(policy.Props, "ResponseHeadersPolicyConfig", "CustomHeadersConfig", "Items")) {
			m := h.(map[string]any)
			custom[fmt.Sprint(m["Header"])] = fmt.Sprint(m["Value"])
		}
		for h, v := range console.SecurityHeaders(console.Config{}) {
			switch h {
			case "Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy":
				if _, ok := custom[h]; ok {
					t.Errorf("%s: %s is a custom header", name, h)
				}
			default:
				if custom[h] != v {
					t.Errorf("%s: %s is %q, want the console's %q", name, h, custom[h], v)
				}
			}
		}
	}
}

// deployments are the console's two bucket deployments: its files and
// config.json.
func deployments(t *testing.T, tpl template) (files, config resource) {
	t.Helper()
	for _, d := range tpl.resources("Custom::CDKBucketDeployment") {
		switch {
		case strings.HasPrefix(d.ID, "ConsoleFiles"):
			files = d
		case strings.HasPrefix(d.ID, "ConsoleConfig"):
			config = d
		default:
			t.Errorf("unexpected deployment %s", d.ID)
		}
	}
	if files.ID == "" || config.ID == "" {
		t.Fatalf("deployments files %q config %q", files.ID, config.ID)
	}
	return files, config
}

func TestConsoleDeploymentsCacheAndInvalidate(t *testing.T) {
	for name, syn := range variants {
		tpl := syn.template
		files, config := deployments(t, tpl)
		bucket := tpl.one(t, "AWS::S3::Bucket")
		dist := distribution(t, tpl)
		for _, d := range []resource{files, config} {
			if refID(d.Props["DestinationBucketName"]) != bucket.ID || refID(d.Props["DistributionId"]) != dist.ID {
				t.Errorf("%s: %s writes to %v and invalidates %v", name, d.ID, d.Props["DestinationBucketName"], d.Props["DistributionId"])
			}
			if d.Props["DestinationBucketKeyPrefix"] != nil {
				t.Errorf("%s: %s writes below %v, not at the root", name, d.ID, d.Props["DestinationBucketKeyPrefix"])
			}
		}
		// Pages, scripts and styles are revalidated; config.json never stored.
		if got := get(files.Props, "SystemMetadata", "cache-control"); got != "no-cache" {
			t.Errorf("%s: files' cache-control %v", name, got)
		}
		if got := get(config.Props, "SystemMetadata", "cache-control"); got != "no-store" {
			t.Errorf("%s: config.json's cache-control %v", name, got)
		}
		// The files' prune must not delete config.json; the config prunes nothing.
		if files.Props["Prune"] != true || !slices.Equal(strs(files.Props["Exclude"]), []string{"config.json"}) || config.Props["Prune"] != false {
			t.Errorf("%s: prune %v exclude %v / config prune %v", name, files.Props["Prune"], files.Props["Exclude"], config.Props["Prune"])
		}
		if !slices.Equal(strs(files.Props["DistributionPaths"]), []string{"/*"}) || !slices.Equal(strs(config.Props["DistributionPaths"]), []string{"/config.json"}) {
			t.Errorf("%s: invalidations %v and %v", name, files.Props["DistributionPaths"], config.Props["DistributionPaths"])
		}
		if !slices.Contains(strs(config.Raw["DependsOn"]), files.ID) {
			t.Errorf("%s: config.json does not wait for the files (depends on %v)", name, config.Raw["DependsOn"])
		}
		// The files are the repository's, every one of them.
		keys := strs(files.Props["SourceObjectKeys"])
		if len(keys) != 1 {
			t.Fatalf("%s: files from %v", name, keys)
		}
		staged := filepath.Join(outdir, "asset."+strings.TrimSuffix(keys[0], ".zip"))
		for _, f := range []string{"index.html", "accept-invitation.html", "favicon.svg", "css/app.css", "js/console.js", "js/accept.js"} {
			if _, err := os.Stat(filepath.Join(staged, f)); err != nil {
				t.Errorf("%s: the files' asset lacks %s: %v", name, f, err)
			}
		}
	}
}

var markerRE = regexp.MustCompile(`<<marker:0x[0-9a-f]+:[0-9]+>>`)

// config.json is console.Config: its values are deploy-time markers, which
// the deployment replaces with the template's references.
func TestConsoleConfigJSON(t *testing.T) {
	for name, syn := range variants {
		tpl := syn.template
		_, config := deployments(t, tpl)
		keys := strs(config.Props["SourceObjectKeys"])
		if len(keys) != 1 {
			t.Fatalf("%s: config from %v", name, keys)
		}
		raw, err := os.ReadFile(filepath.Join(outdir, "asset."+strings.TrimSuffix(keys[0], ".zip"), "config.json"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// A marker stands for a whole JSON value (the deployment puts a
		// quoted string there): quote it to read the file.
		raw = markerRE.ReplaceAll(raw, []byte(`"$0"`))
		var cfg map[string]string
		if err := json.Unmarshal(raw, &cfg); err != nil {
			t.Fatalf("%s: config.json %s: %v", name, raw, err)
		}
		// The same keys as console.Config, no more, no fewer.
		b, _ := json.Marshal(console.Config{})
		var want map[string]any
		_ = json.Unmarshal(b, &want)
		for k := range want {
			if _, ok := cfg[k]; !ok {
				t.Errorf("%s: config.json has no %s", name, k)
			}
		}
		for k := range cfg {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: config.json has %s, which console.Config does not", name, k)
			}
		}
		if cfg["mode"] != console.ModeAWS {
			t.Errorf("%s: mode %q", name, cfg["mode"])
		}

		markers := list(config.Props["SourceMarkers"])
		if len(markers) != 1 {
			t.Fatalf("%s: markers %v", name, markers)
		}
		value := func(key string) string {
			m, ok := markers[0].(map[string]any)[cfg[key]]
			if !ok {
				t.Errorf("%s: %s is %q, not a deploy-time value", name, key, cfg[key])
				return ""
			}
			return strings.Trim(render(m), `"`)
		}
		pool := tpl.one(t, "AWS::Cognito::UserPool")
		client := tpl.one(t, "AWS::Cognito::UserPoolClient")
		domain := tpl.one(t, "AWS::Cognito::UserPoolDomain")
		// The console's own origin: the distribution serves /v1/.
		if cfg["apiUrl"] != "" {
			t.Errorf("%s: apiUrl is %q, want empty (the console's own origin)", name, cfg["apiUrl"])
		}
		for key, want := range map[string]string{
			"region":     "<AWS::Region>",
			"userPoolId": "<" + pool.ID + ">",
			"clientId":   "<" + client.ID + ">",
			"authDomain": "https://<" + domain.ID + ">.auth." + testRegion + ".amazoncognito.com",
			// Cognito's API, for setting up an operator's authenticator app.
			"cognitoEndpoint": "https://cognito-idp.<AWS::Region>.<AWS::URLSuffix>",
		} {
			if got := value(key); got != want {
				t.Errorf("%s: %s is %s, want %s", name, key, got, want)
			}
		}
	}
}

// BucketDeployment's handler: CDK's function, with the role and logs the
// stack gives it, and exactly the grants it needs.
func TestConsoleDeployRole(t *testing.T) {
	for name, syn := range variants {
		tpl := syn.template
		var handlers []resource
		for _, r := range tpl.resources("AWS::Lambda::Function") {
			if isDeployHandler(r) {
				handlers = append(handlers, r)
			}
		}
		if len(handlers) != 1 {
			t.Fatalf("%s: %d deployment handlers, want one for both deployments", name, len(handlers))
		}
		h := handlers[0]
		roleID := refID(h.Props["Role"])
		if !strings.HasPrefix(roleID, "ConsoleDeployRole") {
			t.Errorf("%s: the handler runs as %s", name, roleID)
		}
		lg, ok := tpl.resource(refID(get(h.Props, "LoggingConfig", "LogGroup")))
		if !ok || lg.Props["RetentionInDays"] != float64(syn.settings.LogRetentionDays) {
			t.Errorf("%s: the handler's logs %v", name, lg.Props)
		}
		bucket := tpl.one(t, "AWS::S3::Bucket")
		assets := "arn:<AWS::Partition>:s3:::map[Fn::Sub:cdk-hnb659fds-assets-${AWS::AccountId}-" + testRegion + "]"
		want := map[string][]string{
			"logs:CreateLogStream":          {"<" + lg.ID + ".Arn>"},
			"logs:PutLogEvents":             {"<" + lg.ID + ".Arn>"},
			"cloudfront:CreateInvalidation": {"*"},
			"cloudfront:GetInvalidation":    {"*"},
		}
		for _, a := range []string{"s3:GetObject*", "s3:GetBucket*", "s3:List*"} {
			want[a] = []string{assets, assets + "/*", "<" + bucket.ID + ".Arn>", "<" + bucket.ID + ".Arn>/*"}
		}
		for _, a := range []string{"s3:DeleteObject*", "s3:PutObject", "s3:PutObjectLegalHold", "s3:PutObjectRetention", "s3:PutObjectTagging", "s3:PutObjectVersionTagging", "s3:Abort*"} {
			want[a] = []string{"<" + bucket.ID + ".Arn>", "<" + bucket.ID + ".Arn>/*"}
		}
		got := map[string][]string{}
		for _, st := range roleStatements(t, tpl, roleID) {
			if st.Effect != "Allow" {
				continue
			}
			for _, a := range st.Actions {
				got[a] = append(got[a], st.Resources...)
			}
		}
		for a, res := range got {
			sort.Strings(res)
			w := append([]string{}, want[a]...)
			sort.Strings(w)
			if !slices.Equal(res, w) {
				t.Errorf("%s: the deploy role may %s on %v, want %v", name, a, res, w)
			}
		}
		for a := range want {
			if _, ok := got[a]; !ok {
				t.Errorf("%s: the deploy role may not %s", name, a)
			}
		}
	}
}

func TestConsoleDirIsChecked(t *testing.T) {
	if err := checkConsole(consoleDir); err != nil {
		t.Errorf("the repository's console: %v", err)
	}
	if err := checkConsole(t.TempDir()); err == nil || !strings.Contains(err.Error(), "index.html") {
		t.Errorf("an empty directory: %v", err)
	}
	if err := checkConsole(""); err == nil {
		t.Error("no directory: no error")
	}
}
