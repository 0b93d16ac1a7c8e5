package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/portalaccess/portalaccess/shared/routes"
)

// Operators sign in with a second factor, an authenticator app (TOTP):
// Cognito (here the front, infra/local/cognitofront/totp.go) asks for its
// code at sign-in; the product refuses an operator without one.

// unenrolled invites a technician who accepts and signs in with the
// password alone: they have set up no app yet.
func unenrolled(t *testing.T, op *client) (user, *client, string) {
	t.Helper()
	addr := uniqueEmail("nofactor")
	var u user
	op.post("/v1/operators", map[string]any{"email": addr, "role": "technician"}, 201).json(t, &u)
	accept(t, addr)
	token, _ := signIn(t, addr, password)
	return u, &client{t: t, token: token}, addr
}

type me struct {
	Operator *struct {
		Role        string `json:"role"`
		MFARequired bool   `json:"mfaRequired"`
	} `json:"operator"`
}

type operatorView struct {
	ID            string  `json:"id"`
	MFAEnrolledAt *string `json:"mfaEnrolledAt"`
}

// providerActions are the newest actions on the provider's trail.
func providerActions(t *testing.T, op *client) []string {
	t.Helper()
	var p struct {
		Items []struct {
			Action string `json:"action"`
			Target struct {
				ID string `json:"id"`
			} `json:"target"`
		} `json:"items"`
	}
	op.get("/v1/audit-events?limit=50", 200).json(t, &p)
	var out []string
	for _, e := range p.Items {
		out = append(out, e.Action+" "+e.Target.ID)
	}
	return out
}

func has(actions []string, want string) bool {
	for _, a := range actions {
		if a == want {
			return true
		}
	}
	return false
}

// initiate starts a sign-in and says which challenge (if any) Cognito asks.
func initiate(t *testing.T, email, password string) *cip.InitiateAuthOutput {
	t.Helper()
	out, err := cognito().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId: aws.String(st.Info.Cognito.ClientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	if err != nil {
		t.Fatalf("sign in as %s: %v", email, err)
	}
	if out.AuthenticationResult != nil {
		remember(aws.ToString(out.AuthenticationResult.AccessToken))
		remember(aws.ToString(out.AuthenticationResult.IdToken))
		remember(aws.ToString(out.AuthenticationResult.RefreshToken))
	}
	return out
}

func TestAnOperatorMustSetUpAnAuthenticatorAppFirst(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	u, tech, addr := unenrolled(t, op)
	// GET /v1/me says what is missing; everything else answers mfa_required.
	var m me
	tech.get("/v1/me", 200).json(t, &m)
	if m.Operator == nil || !m.Operator.MFARequired {
		t.Fatalf("GET /v1/me: %+v", m.Operator)
	}
	for _, path := range []string{"/v1/customers", "/v1/customers/" + cu.ID + "/users"} {
		if p := tech.get(path, 403).problem(t); p.Code != "mfa_required" {
			t.Fatalf("GET %s: %+v", path, p)
		}
	}
	if p := tech.post("/v1/customers/"+cu.ID+"/users", map[string]any{"email": uniqueEmail("x")}, 403).problem(t); p.Code != "mfa_required" {
		t.Fatalf("invite: %+v", p)
	}
	if got := op.listUsers(cu.ID, "").Items; len(got) != 0 {
		t.Fatalf("a refused invite made %d users", len(got))
	}
	// Enrolling before an app is set up is refused, and changes nothing.
	if p := tech.post("/v1/me/mfa", nil, 409).problem(t); p.Code != "mfa_not_set_up" {
		t.Fatalf("enrol without an app: %+v", p)
	}
	if has(providerActions(t, op), "operator.mfa_enrolled "+u.ID) {
		t.Fatal("a refused enrolment is on the trail")
	}
	// An app verified with a wrong code is no app.
	if _, err := cognito().VerifySoftwareToken(context.Background(), &cip.VerifySoftwareTokenInput{
		AccessToken: aws.String(tech.token), UserCode: aws.String("000000"),
	}); err == nil {
		t.Fatal("VerifySoftwareToken took a code before any app was associated")
	}
	tech.post("/v1/me/mfa", nil, 409)
	// Set up with the app's code (what the console walks them through),
	// then confirmed: the same token now works.
	if _, err := st.SetUpTOTP(context.Background(), tech.token); err != nil {
		t.Fatal(err)
	}
	var enrolled struct {
		MFAEnrolledAt string `json:"mfaEnrolledAt"`
	}
	tech.post("/v1/me/mfa", nil, 200).json(t, &enrolled)
	if _, err := time.Parse(time.RFC3339Nano, enrolled.MFAEnrolledAt); err != nil {
		t.Fatalf("mfaEnrolledAt %q", enrolled.MFAEnrolledAt)
	}
	tech.get("/v1/customers", 200)
	tech.get("/v1/me", 200).json(t, &m)
	if m.Operator.MFARequired {
		t.Fatal("still required after enrolling")
	}
	var ov operatorView
	op.get("/v1/operators/"+u.ID, 200).json(t, &ov)
	if ov.MFAEnrolledAt == nil {
		t.Fatal("the operator's record shows no enrolment")
	}
	if !has(providerActions(t, op), "operator.mfa_enrolled "+u.ID) {
		t.Fatal("the enrolment is not on the provider's trail")
	}
	// Signing in now asks for the app's code: the password alone gets no
	// tokens, a wrong code is refused, the right one signs in.
	out := initiate(t, addr, password)
	if out.AuthenticationResult != nil || out.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
		t.Fatalf("sign-in after enrolling: challenge %q, tokens %v", out.ChallengeName, out.AuthenticationResult != nil)
	}
	_, err := cognito().RespondToAuthChallenge(context.Background(), &cip.RespondToAuthChallengeInput{
		ClientId: aws.String(st.Info.Cognito.ClientID), ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa, Session: out.Session,
		ChallengeResponses: map[string]string{"USERNAME": addr, "SOFTWARE_TOKEN_MFA_CODE": wrongCode(t, out)},
	})
	var mismatch *types.CodeMismatchException
	if !errors.As(err, &mismatch) {
		t.Fatalf("a wrong code: %v", err)
	}
	token, _ := signIn(t, addr, password)
	(&client{t: t, token: token}).get("/v1/customers", 200)
	// Enrolling again is no error and writes nothing.
	before := len(providerActions(t, op))
	(&client{t: t, token: token}).post("/v1/me/mfa", nil, 200)
	if after := len(providerActions(t, op)); after != before {
		t.Fatalf("enrolling again wrote %d events", after-before)
	}
}

// wrongCode is a code that is not the app's now.
func wrongCode(t *testing.T, out *cip.InitiateAuthOutput) string {
	t.Helper()
	code, err := st.TOTPCode(out.ChallengeParameters["USER_ID_FOR_SRP"])
	if err != nil {
		t.Fatal(err)
	}
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestAnOperatorWhoSwitchesTheAppOffMustEnrolAgain(t *testing.T) {
	op := operatorAdmin(t)
	u, tech := operator(t, op, "technician")
	tech.get("/v1/customers", 200)
	// Off with their own token, as any Cognito user may.
	if _, err := cognito().SetUserMFAPreference(context.Background(), &cip.SetUserMFAPreferenceInput{
		AccessToken: aws.String(tech.token), SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: false},
	}); err != nil {
		t.Fatal(err)
	}
	// The sweep notices (it checks ten operators a run, round the staff),
	// and the next request is refused.
	for runs := 0; tech.call("GET", "/v1/customers", nil).Status == 200; runs++ {
		if runs == 200 {
			t.Fatal("the sweep never noticed the app switched off")
		}
		if _, err := st.Sweep(context.Background(), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if p := tech.get("/v1/customers", 403).problem(t); p.Code != "mfa_required" {
		t.Fatalf("after switching the app off: %+v", p)
	}
	var ov operatorView
	op.get("/v1/operators/"+u.ID, 200).json(t, &ov)
	if ov.MFAEnrolledAt != nil {
		t.Fatal("the operator still shows an enrolment")
	}
	if !has(providerActions(t, op), "operator.mfa_lapsed "+u.ID) {
		t.Fatal("the lapse is not on the provider's trail")
	}
	// The admin, whose app is on, works on.
	op.get("/v1/customers", 200)
	// Enrolling again brings them back.
	if _, err := st.SetUpTOTP(context.Background(), tech.token); err != nil {
		t.Fatal(err)
	}
	tech.post("/v1/me/mfa", nil, 200)
	tech.get("/v1/customers", 200)
}

func TestAnAdminResetsALostAuthenticatorApp(t *testing.T) {
	op := operatorAdmin(t)
	u, tech := operator(t, op, "technician")
	addr := u.Email
	// A technician may reset nobody's app, an admin's least of all.
	var admins struct {
		Items []operatorView `json:"items"`
	}
	op.get("/v1/operators?search=admin", 200).json(t, &admins)
	for _, a := range admins.Items {
		if p := tech.expect(tech.call("DELETE", "/v1/operators/"+a.ID+"/mfa", nil), 403).problem(t); p.Code != "forbidden" {
			t.Fatalf("a technician resets: %+v", p)
		}
	}
	op.get("/v1/customers", 200) // the admin works on
	if out := initiate(t, st.Info.Admin.Email, st.Info.Admin.Password); out.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
		t.Fatalf("the admin's app after a refused reset: %q", out.ChallengeName)
	}
	// The admin resets the technician's.
	var ov operatorView
	op.expect(op.call("DELETE", "/v1/operators/"+u.ID+"/mfa", nil), 200).json(t, &ov)
	if ov.MFAEnrolledAt != nil {
		t.Fatalf("after a reset: %+v", ov)
	}
	if p := tech.get("/v1/customers", 403).problem(t); p.Code != "mfa_required" {
		t.Fatalf("the technician after the reset: %+v", p)
	}
	if !has(providerActions(t, op), "operator.mfa_reset "+u.ID) {
		t.Fatal("the reset is not on the provider's trail")
	}
	// They sign in with the password alone and set up a new app.
	out := initiate(t, addr, password)
	if out.AuthenticationResult == nil {
		t.Fatalf("sign-in after a reset asks %q", out.ChallengeName)
	}
	fresh := &client{t: t, token: aws.ToString(out.AuthenticationResult.AccessToken)}
	var m me
	fresh.get("/v1/me", 200).json(t, &m)
	if !m.Operator.MFARequired {
		t.Fatal("GET /v1/me does not ask for an app")
	}
	if err := st.EnrolMFA(context.Background(), fresh.token); err != nil {
		t.Fatal(err)
	}
	fresh.get("/v1/customers", 200)
	// A reset again of one without an enrolment changes nothing more.
	op.expect(op.call("DELETE", "/v1/operators/"+u.ID+"/mfa", nil), 200)
	op.expect(op.call("DELETE", "/v1/operators/"+u.ID+"/mfa", nil), 200)
	n := 0
	for _, a := range providerActions(t, op) {
		if a == "operator.mfa_reset "+u.ID {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d resets on the trail, want 2", n)
	}
}

func TestPortalUsersAreNotAskedForASecondFactor(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	_, admin := portalUser(t, op, cu.ID, true)
	var m me
	admin.get("/v1/me", 200).json(t, &m)
	if m.Operator != nil {
		t.Fatalf("a portal admin is an operator: %+v", m.Operator)
	}
	admin.get("/v1/customers/"+cu.ID+"/users", 200)
	// They may opt in with Cognito's own calls; the product's enrolment is
	// not theirs.
	if _, err := st.SetUpTOTP(context.Background(), admin.token); err != nil {
		t.Fatal(err)
	}
	if p := admin.post("/v1/me/mfa", nil, 403).problem(t); p.Code != "forbidden" {
		t.Fatalf("a portal user enrols: %+v", p)
	}
	admin.get("/v1/customers/"+cu.ID+"/users", 200)
}

// Every route but GET /v1/me and the enrolment refuses an operator who has
// not set up an app with mfa_required, before it reads or changes anything;
// the public routes and a portal's own route answer as they do for anyone.
func TestAnOperatorWithoutAnAppIsRefusedEverywhereElse(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	_, tech, _ := unenrolled(t, op)
	fake := func(prefix string) string { return prefix + "_" + strings.Repeat("a", 26) }
	ids := strings.NewReplacer(
		"{customerId}", cu.ID, "{userId}", fake("usr"), "{operatorId}", fake("opr"),
		"{portalId}", fake("ptl"), "{addressId}", fake("adr"),
		"{agreementId}", fake("agr"), "{jobId}", fake("job"), "{webhookId}", fake("whs"), "{proxy+}", "me")
	before := len(providerActions(t, op))
	for _, rt := range routes.Table {
		if rt.Public || rt.Function == "me" || rt.Function == "enrol-mfa" {
			continue
		}
		path := ids.Replace(rt.Path)
		var body any
		if rt.Method == "POST" || rt.Method == "PATCH" {
			body = map[string]any{}
		}
		c := tech.with(t)
		res := c.call(rt.Method, path, body)
		want, code := 403, "mfa_required"
		if rt.Function == "portal-access" {
			want, code = 401, "unauthenticated" // a portal's own route: never the console's token
		}
		if res.Status != want || res.problem(t).Code != code {
			t.Errorf("%s %s: %d %s, want %d %s", rt.Method, rt.Path, res.Status, res.Body, want, code)
		}
	}
	if after := len(providerActions(t, op)); after != before {
		t.Fatalf("refused requests wrote %d events", after-before)
	}
	if got := op.listUsers(cu.ID, "").Items; len(got) != 0 {
		t.Fatalf("refused requests made %d users", len(got))
	}
	tech.get("/v1/me", 200)
}
