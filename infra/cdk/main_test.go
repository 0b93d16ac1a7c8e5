package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// synthesized is one stack variant, synthesized once per test binary: jsii
// starts Node.js and loads aws-cdk-lib, which takes seconds.
type synthesized struct {
	settings Settings
	template template
	// edge is the template of the variant's edge stack (us-east-1).
	edge template
	// nag's unsuppressed findings in both stacks, as "level path: message".
	nagErrors, nagWarnings []string
	// names of the two stacks.
	stackName, edgeName string
}

var (
	// base is the stack as `make synth` makes it: sender address, defaults.
	base *synthesized
	// domainVariant has a sender domain, explicit origins, Cognito's own
	// e-mail through SES and the console under its own domain name.
	domainVariant *synthesized
	// cloudfrontVariant has no portalUrl: the console's address is the
	// distribution's, known only at deploy.
	cloudfrontVariant *synthesized
	// variants are all of them, for the checks that hold for each.
	variants map[string]*synthesized
)

// outdir is where the app is synthesized.
var outdir string

// assembly is the synthesized app.
var assembly cxapi.CloudAssembly

// consoleDir is shared/console/static, from this package's directory (where
// `go test` runs it).
var consoleDir = filepath.Join("..", "..", "shared", "console", "static")

var baseSettings = Settings{
	AdminEmail:  "admin@example.com",
	SenderEmail: "no-reply@example.com",
	PortalURL:   "https://portal.example.com",
}

var domainSettings = Settings{
	AdminEmail:         "ops@acme.example",
	SenderDomain:       "mail.acme.example",
	ConsoleDomain:      "console.acme.example",
	CertificateArn:     "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
	AllowedOrigins:     []string{"https://console.acme.example", "http://localhost:5173"},
	DomainPrefix:       "acme-portal",
	SweepInterval:      "rate(5 minutes)",
	LogRetentionDays:   90,
	CognitoEmailViaSES: true,
	InvitationTTL:      "72h",
	PublicRateLimit:    "20",
	Stage:              "prod",
}

var cloudfrontSettings = Settings{
	AdminEmail:     "admin@example.com",
	SenderEmail:    "no-reply@example.com",
	AllowedOrigins: []string{"http://localhost:5173"},
	// A second stage beside the base one, in the same account.
	Stage:                "test",
	OriginSecretVersion:  "0b4f1c2e-1d7a-4c2b-9a8e-3f5d6c7b8a90",
	OriginSecretPrevious: "7e6d5c4b-3a29-4817-a6b5-c4d3e2f1a0b9",
	CursorSecretVersion:  "3c2b1a09-8f7e-4d6c-b5a4-93827160f5e4",
	AlarmEmail:           "ops@example.com",
	WafInvitationLimit:   50,
	WafAPILimit:          1000,
}

// testRegion is the main stacks' region in the tests.
const testRegion = "eu-west-1"

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	jsii.Close()
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	assets, err := fakeAssets()
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(assets)

	// The cloud assembly (templates and staged assets), read by the tests
	// of config.json and removed at the end.
	outdir, err = os.MkdirTemp("", "portalaccess-cdk-out-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(outdir)

	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	// cdk-nag's AwsSolutions pack checks every stack of the app.
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	type pair struct{ main, edge awscdk.Stack }
	stacks := map[*synthesized]pair{}
	env := &awscdk.Environment{Region: jsii.String(testRegion)}
	for _, v := range []struct {
		out *(*synthesized)
		s   Settings
	}{{&base, baseSettings}, {&domainVariant, domainSettings}, {&cloudfrontVariant, cloudfrontSettings}} {
		s := v.s
		s.applyDefaults()
		main, edge := NewPortalAccess(app, env, &PortalAccessStackProps{Settings: s, AssetDir: assets, ConsoleDir: consoleDir})
		*v.out = &synthesized{settings: s, stackName: *main.StackName(), edgeName: *edge.StackName()}
		stacks[*v.out] = pair{main, edge.Stack}
	}
	variants = map[string]*synthesized{"base": base, "domain": domainVariant, "cloudfront": cloudfrontVariant}
	for syn, st := range stacks {
		syn.template = template(*assertions.Template_FromStack(st.main, nil).ToJSON())
		syn.edge = template(*assertions.Template_FromStack(st.edge, nil).ToJSON())
		nag := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-"))
		for _, stack := range []awscdk.Stack{st.main, st.edge} {
			ann := assertions.Annotations_FromStack(stack)
			syn.nagErrors = append(syn.nagErrors, messages(ann.FindError(jsii.String("*"), nag))...)
			syn.nagWarnings = append(syn.nagWarnings, messages(ann.FindWarning(jsii.String("*"), nag))...)
		}
	}
	// The whole app, as cdk synth writes it, for cfn-lint (cfnlint_test.go).
	assembly = app.Synth(nil)
	return m.Run(), nil
}

// eachVariant runs check on every variant, each as a subtest named after
// it, so that a failure says which variant it is in.
func eachVariant(t *testing.T, check func(t *testing.T, syn *synthesized)) {
	for _, name := range []string{"base", "domain", "cloudfront"} {
		t.Run(name, func(t *testing.T) { check(t, variants[name]) })
	}
}

// fakeAssets is a directory with a dummy bootstrap per function, so that
// the tests need no cross-compile.
func fakeAssets() (string, error) {
	dir, err := os.MkdirTemp("", "portalaccess-cdk-assets-")
	if err != nil {
		return "", err
	}
	for _, r := range allFunctions() {
		if err := os.MkdirAll(filepath.Join(dir, r.Function), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, r.Function, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func messages(msgs *[]*cxapi.SynthesisMessage) []string {
	var out []string
	if msgs == nil {
		return nil
	}
	for _, m := range *msgs {
		out = append(out, fmt.Sprintf("%s: %v", *m.Id, m.Entry.Data))
	}
	sort.Strings(out)
	return out
}

// template is a synthesized CloudFormation template, walked as JSON.
type template map[string]any

type resource struct {
	ID    string
	Type  string
	Props map[string]any
	Raw   map[string]any
}

func (t template) resources(typ string) []resource {
	var out []resource
	rs, _ := t["Resources"].(map[string]any)
	for id, v := range rs {
		r := v.(map[string]any)
		if typ != "" && r["Type"] != typ {
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		out = append(out, resource{ID: id, Type: r["Type"].(string), Props: props, Raw: r})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (t template) resource(id string) (resource, bool) {
	rs, _ := t["Resources"].(map[string]any)
	v, ok := rs[id].(map[string]any)
	if !ok {
		return resource{}, false
	}
	props, _ := v["Properties"].(map[string]any)
	return resource{ID: id, Type: v["Type"].(string), Props: props, Raw: v}, true
}

func (t template) one(tb testing.TB, typ string) resource {
	tb.Helper()
	rs := t.resources(typ)
	if len(rs) != 1 {
		tb.Fatalf("want one %s, found %d", typ, len(rs))
	}
	return rs[0]
}

// tag is the value of a resource's tag.
func (r resource) tag(key string) string {
	tags, _ := r.Props["Tags"].([]any)
	for _, t := range tags {
		m := t.(map[string]any)
		if m["Key"] == key {
			return fmt.Sprint(m["Value"])
		}
	}
	return ""
}

// render writes an intrinsic as a readable string: {"Ref": X} is <X>,
// {"Fn::GetAtt": [X, "Arn"]} is <X.Arn>, Fn::Join is joined.
func render(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if ref, ok := v["Ref"]; ok {
			return "<" + fmt.Sprint(ref) + ">"
		}
		if ga, ok := v["Fn::GetAtt"].([]any); ok {
			return "<" + fmt.Sprint(ga[0]) + "." + fmt.Sprint(ga[1]) + ">"
		}
		if j, ok := v["Fn::Join"].([]any); ok {
			parts := j[1].([]any)
			s := make([]string, len(parts))
			for i, p := range parts {
				s[i] = render(p)
			}
			return strings.Join(s, j[0].(string))
		}
	}
	return fmt.Sprintf("%v", v)
}

// list turns a policy's Action or Resource (one value or a list) into a list.
func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// refID is the logical id that {"Ref": X} or {"Fn::GetAtt": [X, …]} names.
func refID(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if ref, ok := m["Ref"].(string); ok {
		return ref
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok {
		return fmt.Sprint(ga[0])
	}
	return ""
}

func get(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}
