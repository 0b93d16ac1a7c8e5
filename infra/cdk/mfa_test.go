package main

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/portalaccess/portalaccess/shared/routes"
)

// The operators' second factor as deployed: the pool offers TOTP (and no
// SMS) to everyone, optional at the pool; the product requires it of
// operators in the functions (mfa_required), which nothing in the
// template may turn off; only the functions that need them hold the MFA
// actions; the console's token may set up an app (the
// aws.cognito.signin.user.admin scope, checked in TestUserPoolAndWebClient).
func TestOperatorsSecondFactor(t *testing.T) {
	eachVariant(t, func(t *testing.T, syn *synthesized) {
		tpl := syn.template
		p := tpl.one(t, "AWS::Cognito::UserPool").Props
		if p["MfaConfiguration"] != "OPTIONAL" {
			t.Errorf("MfaConfiguration %v, want OPTIONAL (portal users may opt in; operators are required by the product)", p["MfaConfiguration"])
		}
		if m := strs(p["EnabledMfas"]); !slices.Equal(m, []string{"SOFTWARE_TOKEN_MFA"}) {
			t.Errorf("EnabledMfas %v, want TOTP only", m)
		}
		fns := functions(t, tpl)
		cognitoActions := func(fn string) []string {
			var out []string
			for _, st := range roleStatements(t, tpl, refID(fns[fn].Props["Role"])) {
				for _, a := range st.Actions {
					if st.Effect == "Allow" && strings.HasPrefix(a, "cognito-idp:") && !slices.Contains(out, a) {
						out = append(out, a)
					}
				}
			}
			sort.Strings(out)
			return out
		}
		want := map[string][]string{
			"enrol-mfa":          {routes.AdminGetUser, routes.AdminSetUserMFAPreference, routes.AdminUserGlobalSignOut},
			"reset-operator-mfa": {routes.AdminSetUserMFAPreference, routes.AdminUserGlobalSignOut},
		}
		for fn, w := range want {
			sort.Strings(w)
			if got := cognitoActions(fn); !slices.Equal(got, w) {
				t.Errorf("%s may %v, want %v", fn, got, w)
			}
		}
		for _, r := range allFunctions() {
			got := cognitoActions(r.Function)
			_, named := want[r.Function]
			if slices.Contains(got, routes.AdminSetUserMFAPreference) && !named && r.Function != "sweep-invitations" {
				t.Errorf("%s may change users' MFA settings", r.Function)
			}
			env, _ := get(fns[r.Function].Props, "Environment", "Variables").(map[string]any)
			if _, off := env["OPERATOR_MFA"]; off {
				t.Errorf("%s is told OPERATOR_MFA: the requirement is never off on AWS", r.Function)
			}
		}
		if !slices.Contains(cognitoActions("sweep-invitations"), routes.AdminSetUserMFAPreference) {
			t.Error("the sweep cannot finish a pending reset")
		}
		// Both routes behind the JWT authorizer.
		keys := map[string]any{}
		for _, r := range tpl.resources("AWS::ApiGatewayV2::Route") {
			keys[r.Props["RouteKey"].(string)] = r.Props["AuthorizationType"]
		}
		for _, k := range []string{"POST /v1/me/mfa", "DELETE /v1/operators/{operatorId}/mfa"} {
			if keys[k] != "JWT" {
				t.Errorf("%s: authorization %v, want JWT", k, keys[k])
			}
		}
	})
}
