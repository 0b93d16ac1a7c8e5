package cognitofront_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/portalaccess/portalaccess/infra/local/cognitofront/fronttest"
)

func errorsAs(err error, target any) bool { return err != nil && errors.As(err, target) }

func base64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// followTo follows one 303 and returns the page it leads to.
func followTo(t *testing.T, res response, path string) response {
	t.Helper()
	loc := res.header.Get("Location")
	if res.status != http.StatusSeeOther || !strings.HasPrefix(loc, path+"?") {
		t.Fatalf("answered %d, Location %q; want 303 to %s:\n%s", res.status, loc, path, res.body)
	}
	return do(t, "GET", loc, nil)
}

func TestForgotPasswordPages(t *testing.T) {
	p, email := newPortal(t), newUser(t)
	dutch.Store(p.id, true)
	locales.Store(p.id, [3]string{"nl", "Bakkerij De Korenbloem", "Bestelportaal"})
	v, ch := pkce()
	state := unique("state")
	signin := signInPage(t, authorizeQuery(p, ch, state))
	forgot := do(t, "GET", "/forgotPassword?p="+url.QueryEscape(sealed(t, signin)), nil)
	if forgot.status != http.StatusOK || !strings.Contains(forgot.body, `action="/forgotPassword"`) {
		t.Fatalf("forgot-password page: %d\n%s", forgot.status, forgot.body)
	}
	if res := do(t, "POST", "/forgotPassword", url.Values{"p": {sealed(t, forgot)}, "email": {""}}); errorText(t, res) != "Vul je e-mailadres in." {
		t.Errorf("no e-mail: %q", errorText(t, res))
	}
	before := mailCount(t, email)
	confirm := followTo(t, do(t, "POST", "/forgotPassword", url.Values{"p": {sealed(t, forgot)}, "email": {" " + strings.ToUpper(email) + " "}}), "/confirmForgotPassword")
	if !strings.Contains(confirm.body, email) || !strings.Contains(confirm.body, `name="code"`) {
		t.Fatalf("confirm page:\n%s", confirm.body)
	}

	// The code is in the mailbox, worded by the trigger, in Dutch.
	mail := mailTo(t, email, before+1)
	if mail.Subject != "Je code voor Portal Access" || mail.From != fronttest.Sender || !strings.Contains(mail.Body.HTML, "je code is <b>") {
		t.Errorf("the e-mail: from %q subject %q html %q", mail.From, mail.Subject, mail.Body.HTML)
	}
	code := codeIn(t, mail)
	if strings.Contains(mail.Body.Text+mail.Body.HTML, "{####}") || strings.Count(mail.Body.Text, code) != 2 {
		t.Errorf("every {####} is the code: %q", mail.Body.Text)
	}
	if strings.Contains(logs.String(), code) {
		t.Error("the code is in the log")
	}

	post := func(form url.Values) response {
		form.Set("p", sealed(t, confirm))
		form.Set("email", email)
		return do(t, "POST", "/confirmForgotPassword", form)
	}
	newPassword := "a brand new password 2"
	refusals := map[string]url.Values{
		"Vul de code uit de e-mail in.":                                   {"code": {" "}, "password": {newPassword}, "password2": {newPassword}},
		"De twee wachtwoorden zijn niet gelijk.":                          {"code": {code}, "password": {newPassword}, "password2": {newPassword + "x"}},
		"Het wachtwoord moet minstens 12 en hoogstens 256 tekens hebben.": {"code": {code}, "password": {"short"}, "password2": {"short"}},
		"De code is onjuist. Vraag een nieuwe code aan.":                  {"code": {wrong(code)}, "password": {newPassword}, "password2": {newPassword}},
	}
	for want, form := range refusals {
		res := post(form)
		if res.status != http.StatusOK || errorText(t, res) != want {
			t.Errorf("%v: %d %q, want %q", form, res.status, errorText(t, res), want)
		}
	}
	login(t, p, email, password) // nothing changed yet

	done := followTo(t, post(url.Values{"code": {code}, "password": {newPassword}, "password2": {newPassword}}), "/login")
	if !strings.Contains(done.body, "Je wachtwoord is gewijzigd.") {
		t.Errorf("no notice after the change:\n%s", done.body)
	}
	// Back on the sign-in page of the same authorization request.
	if res := signIn(t, done, email, password); errorText(t, res) == "" {
		t.Error("the old password still signs in")
	}
	code2 := codeOf(t, signIn(t, done, email, newPassword), p, state)
	if status, tk := exchange(t, p, code2, v); status != http.StatusOK || tk.AccessToken == "" {
		t.Errorf("the new password's code: %d %+v", status, tk)
	}
	// The code is used up.
	if res := post(url.Values{"code": {code}, "password": {newPassword + "3"}, "password2": {newPassword + "3"}}); errorText(t, res) == "" {
		t.Error("the code changed the password twice")
	}

	t.Run("unknown e-mail: the same next page, no e-mail", func(t *testing.T) {
		nobody := "nobody-" + email
		res := do(t, "POST", "/forgotPassword", url.Values{"p": {sealed(t, forgot)}, "email": {nobody}})
		followTo(t, res, "/confirmForgotPassword")
		if mailCount(t, nobody) != 0 {
			t.Error("an e-mail went to an unknown address")
		}
	})
}

func wrong(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func TestForgotPasswordThroughTheAPI(t *testing.T) {
	p, email := newPortal(t), newUser(t)
	before := mailCount(t, email)
	if _, err := frontAPI().ForgotPassword(ctx(t), &cip.ForgotPasswordInput{ClientId: &p.id, Username: &email}); err != nil {
		t.Fatal(err)
	}
	mail := mailTo(t, email, before+1)
	if mail.Subject != "Your Portal Access code" {
		t.Errorf("subject %q", mail.Subject)
	}
	code := codeIn(t, mail)
	newPassword := "another new password 9"
	if _, err := frontAPI().ConfirmForgotPassword(ctx(t), &cip.ConfirmForgotPasswordInput{ClientId: &p.id, Username: &email, ConfirmationCode: &code, Password: &newPassword}); err != nil {
		t.Fatal(err)
	}
	login(t, p, email, newPassword)

	t.Run("a failing trigger: plain English", func(t *testing.T) {
		email := newUser(t)
		failing.Store(email, true)
		if _, err := frontAPI().ForgotPassword(ctx(t), &cip.ForgotPasswordInput{ClientId: &p.id, Username: &email}); err != nil {
			t.Fatal(err)
		}
		mail := mailTo(t, email, 1)
		if mail.Subject != "Your verification code" || !strings.Contains(mail.Body.Text, "Your password reset code is ") {
			t.Errorf("fallback e-mail: %q %q", mail.Subject, mail.Body.Text)
		}
		codeIn(t, mail)
	})
	t.Run("a disabled identity gets no e-mail", func(t *testing.T) {
		email := newUser(t)
		if _, err := env.Cognito.AdminDisableUser(ctx(t), &cip.AdminDisableUserInput{UserPoolId: &env.PoolID, Username: &email}); err != nil {
			t.Fatal(err)
		}
		_, _ = frontAPI().ForgotPassword(ctx(t), &cip.ForgotPasswordInput{ClientId: &p.id, Username: &email})
		if n := mailCount(t, email); n != 0 {
			t.Errorf("%d e-mails", n)
		}
	})
}
