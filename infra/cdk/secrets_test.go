package main

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/portalaccess/portalaccess/shared/config"
)

// No function's environment holds a secret's value: no dynamic reference
// (which CloudFormation would resolve into the function's configuration,
// readable with lambda:GetFunctionConfiguration), and no plain secret
// setting. Every Lambda function of the template is checked, CDK's own too.
func TestNoFunctionsEnvironmentHoldsASecret(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		fns := syn.template.resources("AWS::Lambda::Function")
		if len(fns) == 0 {
			t.Fatal("no functions")
		}
		for _, fn := range fns {
			env, _ := get(fn.Props, "Environment").(map[string]any)
			b, err := json.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "{{resolve:secretsmanager") {
				t.Errorf("%s: its environment resolves a secret: %s", fn.ID, b)
			}
			vars, _ := env["Variables"].(map[string]any)
			for _, name := range config.SecretSettings {
				if _, ok := vars[name]; ok {
					t.Errorf("%s: %s is in its environment; the function must get %s_ARN", fn.ID, name, name)
				}
			}
		}
	})
}

// Each function may read exactly the secrets its environment names by ARN
// (GetSecretValue on each, on that secret's ARN only), and no function
// may do anything else in Secrets Manager.
func TestFunctionsReadOnlyTheSecretsTheyAreGiven(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		fns := functions(t, syn.template)
		byARN := map[string]string{}
		for _, name := range []string{"CursorSecret", "WebhookKey", "OriginSecret"} {
			byARN["<"+secretID(syn, name)+">"] = name
		}
		named := 0
		for name, fn := range fns {
			vars, _ := get(fn.Props, "Environment", "Variables").(map[string]any)
			var want []string
			for k, v := range vars {
				if strings.HasSuffix(k, "_ARN") && slices.Contains(config.SecretSettings, strings.TrimSuffix(k, "_ARN")) {
					if _, ok := byARN[render(v)]; !ok {
						t.Errorf("%s: %s is %s, not one of the stack's secrets", name, k, render(v))
					}
					want = append(want, "Allow secretsmanager:GetSecretValue on "+render(v))
				}
			}
			if len(want) > 0 {
				named++
			}
			var got []string
			for _, s := range roleStatementsRaw(t, syn.template, refID(fn.Props["Role"])) {
				st := toStatement(s)
				for _, a := range st.Actions {
					if !strings.HasPrefix(strings.ToLower(a), "secretsmanager:") {
						continue
					}
					if len(s) != 3 { // Effect, Action, Resource: no condition that could widen or hide it
						t.Errorf("%s: a Secrets Manager statement with more than an action and a resource: %v", name, s)
					}
					for _, r := range st.Resources {
						got = append(got, st.Effect+" "+a+" on "+r)
					}
				}
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s may\n  %v\nin Secrets Manager, want\n  %v", name, got, want)
			}
		}
		if named == 0 {
			t.Error("no function names a secret by ARN")
		}
		// The health check reads the origin secret and nothing else.
		if vars, _ := get(fns["health"].Props, "Environment", "Variables").(map[string]any); !slices.Equal(slices.Sorted(maps.Keys(vars)), slices.Sorted(maps.Keys(wantOriginEnv(syn)))) {
			t.Errorf("health's environment %v", vars)
		}
	})
}
