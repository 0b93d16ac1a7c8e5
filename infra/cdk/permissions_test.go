package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// permissionsFile records, for each variant, what every function's role
// (and API Gateway's invoke role) may do: one line per action on one
// resource under one condition. The statements may be grouped, split or
// moved between a role's inline Policies and a separate AWS::IAM::Policy
// without changing a line; a grant added, widened or lost changes one.
var permissionsFile = filepath.Join("testdata", "permissions.json")

var updatePermissions = flag.Bool("update-permissions", false, "rewrite "+permissionsFile+" from the synthesized templates (after a deliberate change of a function's permissions)")

// effectivePermissions are the role's permissions, one line per effect,
// action, resource and condition (and any other key of the statement), sorted.
func effectivePermissions(t *testing.T, tpl template, roleID string) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range roleStatementsRaw(t, tpl, roleID) {
		rest := map[string]any{}
		for k, v := range s {
			if k != "Effect" && k != "Action" && k != "Resource" && k != "Sid" {
				rest[k] = v
			}
		}
		extra := ""
		if len(rest) > 0 {
			b, err := json.Marshal(rest)
			if err != nil {
				t.Fatal(err)
			}
			extra = " " + string(b)
		}
		st := toStatement(s)
		if len(st.Resources) == 0 {
			st.Resources = []string{"(no resource)"}
		}
		for _, a := range st.Actions {
			for _, r := range st.Resources {
				seen[fmt.Sprintf("%s %s on %s%s", st.Effect, a, r, extra)] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// permissionsOf are the effective permissions of every function's role, by
// function, and of the API's invoke role, under "ApiInvokeRole".
func permissionsOf(t *testing.T, tpl template) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for name, fn := range functions(t, tpl) {
		out[name] = effectivePermissions(t, tpl, refID(fn.Props["Role"]))
	}
	for _, r := range tpl.resources("AWS::IAM::Role") {
		if strings.HasPrefix(r.ID, "ApiInvokeRole") {
			out["ApiInvokeRole"] = effectivePermissions(t, tpl, r.ID)
		}
	}
	return out
}

// Every role may do exactly what testdata/permissions.json says, in each
// variant: how the statements are laid out in the template (inline in the
// role, to keep the stack under CloudFormation's resource limit) must not
// change what any function may do. After a deliberate change of a grant,
// rewrite the file with `go test ./infra/cdk/ -run TestEveryRoleKeepsItsPermissions -update-permissions`
// and review its diff.
func TestEveryRoleKeepsItsPermissions(t *testing.T) {
	got := map[string]map[string][]string{}
	for name, syn := range variants {
		got[name] = permissionsOf(t, syn.template)
	}
	if *updatePermissions {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // <Table….Arn> as it is, for a readable diff
		enc.SetIndent("", "  ")
		if err := enc.Encode(got); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(permissionsFile, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", permissionsFile)
		return
	}
	b, err := os.ReadFile(permissionsFile)
	if err != nil {
		t.Fatalf("%v (write it with -update-permissions)", err)
	}
	var want map[string]map[string][]string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s: %v", permissionsFile, err)
	}
	for _, variant := range slices.Sorted(maps.Keys(variants)) {
		if want[variant] == nil {
			t.Errorf("%s: %s has no variant %s", variant, permissionsFile, variant)
			continue
		}
		names := slices.Sorted(maps.Keys(got[variant]))
		for name := range want[variant] {
			if _, ok := got[variant][name]; !ok {
				t.Errorf("%s: %s is in %s but not in the template", variant, name, permissionsFile)
			}
		}
		for _, name := range names {
			w, ok := want[variant][name]
			if !ok {
				t.Errorf("%s: %s is not in %s (a new function? rewrite it with -update-permissions and review the diff)", variant, name, permissionsFile)
				continue
			}
			g := got[variant][name]
			for _, p := range g {
				if !slices.Contains(w, p) {
					t.Errorf("%s: %s may %s, which %s does not give it", variant, name, p, permissionsFile)
				}
			}
			for _, p := range w {
				if !slices.Contains(g, p) {
					t.Errorf("%s: %s may no longer %s", variant, name, p)
				}
			}
		}
	}
}

// inlineGrants on a stack of its own: a grant made after the move still
// lands in the role's inline policy, and the document is still checked as
// the DefaultPolicy checked it (a statement without a resource fails the
// synthesis rather than the deploy).
func TestInlineGrants(t *testing.T) {
	synth := func(t *testing.T, later *awsiam.PolicyStatementProps) (tpl template, failure string) {
		t.Helper()
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
		stack := awscdk.NewStack(app, jsii.String("InlineGrants"), nil)
		role := awsiam.NewRole(stack, jsii.String("Role"), &awsiam.RoleProps{
			AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		})
		logs := awslogs.NewLogGroup(stack, jsii.String("Logs"), nil)
		logs.GrantWrite(role)
		inlineGrants(role)
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(later))
		defer func() {
			if r := recover(); r != nil {
				failure = fmt.Sprint(r)
			}
		}()
		return template(*assertions.Template_FromStack(stack, nil).ToJSON()), ""
	}

	t.Run("a later grant", func(t *testing.T) {
		tpl, failure := synth(t, &awsiam.PolicyStatementProps{
			Actions: jsii.Strings("sqs:SendMessage"), Resources: jsii.Strings("arn:aws:sqs:eu-west-1:123456789012:q"),
		})
		if failure != "" {
			t.Fatalf("synthesis failed: %s", failure)
		}
		if ps := tpl.resources("AWS::IAM::Policy"); len(ps) != 0 {
			t.Errorf("%d policy resources, want none", len(ps))
		}
		role := tpl.one(t, "AWS::IAM::Role")
		got := effectivePermissions(t, tpl, role.ID)
		logs := "<" + tpl.one(t, "AWS::Logs::LogGroup").ID + ".Arn>"
		want := []string{
			"Allow logs:CreateLogStream on " + logs,
			"Allow logs:PutLogEvents on " + logs,
			"Allow sqs:SendMessage on arn:aws:sqs:eu-west-1:123456789012:q",
		}
		if !slices.Equal(got, want) {
			t.Errorf("the role may\n  %v\nwant\n  %v", got, want)
		}
	})
	t.Run("a grant without a resource", func(t *testing.T) {
		_, failure := synth(t, &awsiam.PolicyStatementProps{Actions: jsii.Strings("sqs:SendMessage")})
		if !strings.Contains(failure, "must specify at least one resource") {
			t.Errorf("synthesis gave %q, want the identity policy's check that every statement has a resource", failure)
		}
	})
}
