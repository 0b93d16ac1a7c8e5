package browser

import (
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/infra/local/totpcode"
)

// requireMFA turns the operators' second factor on for one test: this
// stack runs without it (OPERATOR_MFA=off), as the other screens' tests
// sign operators in with a password alone.
func requireMFA(t *testing.T) {
	t.Helper()
	st.Services.Access.MFAOff = false
	t.Cleanup(func() { st.Services.Access.MFAOff = true })
}

// newOperator invites a technician by the API, who accepts.
func newOperator(t *testing.T) string {
	t.Helper()
	addr := uniqueEmail("tech")
	admin(t).call("POST", "/v1/operators", map[string]any{"email": addr, "role": "technician"}, 201, nil)
	acceptByAPI(t, addr)
	return addr
}

func TestAnOperatorSetsUpAnAuthenticatorAppWithTheQRCode(t *testing.T) {
	addr := newOperator(t)
	requireMFA(t)
	p := open(t, "operator")
	p.submitSignIn(addr, password)
	// Nothing else is offered until an app is set up: the QR code, the key
	// as text, and a field for the app's code.
	p.visible("#mfa-setup")
	p.visible("#mfa-qr")
	p.gone("#nav-links a")
	if w := p.eval(`String(document.getElementById('mfa-qr').naturalWidth)`); w == "0" || w == "" {
		t.Fatalf("the QR code did not draw (naturalWidth %s)", w)
	}
	secret := p.text("#mfa-secret")
	p.checkA11y("setting up an authenticator app")
	shootMFA(p, "console-mfa.png")
	// A code of the wrong shape, and a wrong code, are refused; the
	// screen stays.
	p.typeInto("#mfa-code", "12345")
	p.click("#mfa-submit")
	p.waitText("#mfa-form", "6 digits")
	code, err := totpcode.Code(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	p.retype("#mfa-code", wrong)
	p.click("#mfa-submit")
	p.waitText("#mfa-form", "not right")
	p.visible("#mfa-qr")
	p.retype("#mfa-code", code)
	p.click("#mfa-submit")
	p.visible("#sign-out")
	p.gone("#mfa-setup")
	// Signing in again asks for the app's code after the password.
	p.click("#sign-out")
	p.visible("#signin-email")
	p.typeInto("#signin-email", addr)
	p.typeInto("#signin input[name=password]", password)
	p.click("#signin-submit")
	p.visible("#signin-code")
	p.checkA11y("the code at sign-in")
	code, _ = totpcode.Code(secret, time.Now())
	p.typeInto("#signin-code", code)
	p.click("#signin-code-submit")
	p.visible("#sign-out")
	p.gone("#mfa-setup")
}
