package cognitofront

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/portalaccess/portalaccess/shared/identity"
)

//go:embed pages/*.html pages/login.css
var pageFiles embed.FS

var pages = template.Must(template.ParseFS(pageFiles, "pages/*.html"))

var loginCSS = func() []byte {
	b, err := pageFiles.ReadFile("pages/login.css")
	if err != nil {
		panic(err)
	}
	return b
}()

// messages are the pages' texts; a page's language is "en" or "nl".
var messages = map[string]map[string]string{
	"en": {
		"signin_title":    "Sign in",
		"signin_intro":    "Sign in with your e-mail address and password.",
		"email":           "E-mail address",
		"password":        "Password",
		"signin_submit":   "Sign in",
		"forgot_link":     "Forgot your password?",
		"signin_failed":   "Incorrect username or password.",
		"signin_changed":  "Your password has been changed. Sign in with your new password.",
		"for_customer":    "for %s",
		"forgot_title":    "Forgot your password?",
		"forgot_intro":    "Enter your e-mail address. We will send you a code to set a new password.",
		"forgot_submit":   "Send me a code",
		"back":            "Back to sign in",
		"confirm_title":   "Set a new password",
		"confirm_intro":   "If %s can sign in here, we have sent a code to it. Enter the code and choose a new password.",
		"code":            "Code",
		"new_password":    "New password",
		"new_password2":   "New password again",
		"policy":          "At least %d characters.",
		"confirm_submit":  "Change password",
		"resend":          "Send a new code",
		"err_email":       "Enter your e-mail address.",
		"err_code_empty":  "Enter the code from the e-mail.",
		"err_code_wrong":  "Invalid code provided, please request a code again.",
		"err_mismatch":    "The two passwords are not the same.",
		"err_weak":        "The password must have at least %d and at most %d characters.",
		"err_title":       "An error was encountered with the requested page.",
		"err_expired":     "This page has expired. Go back to the app and sign in again.",
		"err_client":      "The app that sent you here is not known.",
		"err_redirect":    "The address to return to is not registered for this app.",
		"err_logout":      "The address to return to after signing out is not registered for this app.",
		"err_crosssite":   "This form was sent from another site. Go back to the app and sign in again.",
		"err_unavailable": "Signing in is not possible right now. Try again in a moment.",
	},
	"nl": {
		"signin_title":    "Inloggen",
		"signin_intro":    "Log in met je e-mailadres en wachtwoord.",
		"email":           "E-mailadres",
		"password":        "Wachtwoord",
		"signin_submit":   "Inloggen",
		"forgot_link":     "Wachtwoord vergeten?",
		"signin_failed":   "Onjuiste gebruikersnaam of onjuist wachtwoord.",
		"signin_changed":  "Je wachtwoord is gewijzigd. Log in met je nieuwe wachtwoord.",
		"for_customer":    "voor %s",
		"forgot_title":    "Wachtwoord vergeten?",
		"forgot_intro":    "Vul je e-mailadres in. We sturen je een code om een nieuw wachtwoord in te stellen.",
		"forgot_submit":   "Stuur mij een code",
		"back":            "Terug naar inloggen",
		"confirm_title":   "Nieuw wachtwoord instellen",
		"confirm_intro":   "Als %s hier kan inloggen, hebben we daar een code naartoe gestuurd. Vul de code in en kies een nieuw wachtwoord.",
		"code":            "Code",
		"new_password":    "Nieuw wachtwoord",
		"new_password2":   "Nieuw wachtwoord nogmaals",
		"policy":          "Minstens %d tekens.",
		"confirm_submit":  "Wachtwoord wijzigen",
		"resend":          "Stuur een nieuwe code",
		"err_email":       "Vul je e-mailadres in.",
		"err_code_empty":  "Vul de code uit de e-mail in.",
		"err_code_wrong":  "De code is onjuist. Vraag een nieuwe code aan.",
		"err_mismatch":    "De twee wachtwoorden zijn niet gelijk.",
		"err_weak":        "Het wachtwoord moet minstens %d en hoogstens %d tekens hebben.",
		"err_title":       "Er is een fout opgetreden op de gevraagde pagina.",
		"err_expired":     "Deze pagina is verlopen. Ga terug naar de app en log opnieuw in.",
		"err_client":      "De app die je hierheen stuurde is onbekend.",
		"err_redirect":    "Het adres om naar terug te gaan is niet geregistreerd voor deze app.",
		"err_logout":      "Het adres om na het uitloggen naar terug te gaan is niet geregistreerd voor deze app.",
		"err_crosssite":   "Dit formulier is vanaf een andere site verstuurd. Ga terug naar de app en log opnieuw in.",
		"err_unavailable": "Inloggen lukt nu niet. Probeer het zo meteen opnieuw.",
	},
}

// text is a message, with its %-arguments.
func text(lang, key string, args ...any) string {
	m := messages[lang]
	if m == nil {
		m = messages["en"]
	}
	s, ok := m[key]
	if !ok {
		s = messages["en"][key]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// ---- languages ---------------------------------------------------------

func supportedLang(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if _, ok := messages[tag]; ok {
		return tag
	}
	return ""
}

// explicitLang is the language a request asks for: lang (Cognito's managed
// login), else the first supported of ui_locales (OpenID Connect).
func explicitLang(q url.Values) string {
	if l := supportedLang(q.Get("lang")); l != "" {
		return l
	}
	for _, t := range strings.Fields(q.Get("ui_locales")) {
		if l := supportedLang(t); l != "" {
			return l
		}
	}
	return ""
}

// acceptLanguage picks the browser's most preferred supported language.
func acceptLanguage(h string) string {
	type pref struct {
		lang string
		q    float64
		i    int
	}
	var prefs []pref
	for i, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(part, ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if l := supportedLang(tag); l != "" && q > 0 {
			prefs = append(prefs, pref{l, q, i})
		}
	}
	sort.SliceStable(prefs, func(a, b int) bool { return prefs[a].q > prefs[b].q })
	if len(prefs) == 0 {
		return ""
	}
	return prefs[0].lang
}

// ---- rendering -----------------------------------------------------------

type view struct {
	Lang, Title       string
	T                 map[string]string
	Portal, Customer  string
	Intro, PolicyHint string
	Error, Notice     string
	P, Email          string
	ForgotURL         string
	SignInURL         string
	MinLength         int
	MaxLength         int
}

// view makes a page's common part: the language (lang or ui_locales of
// this request, else of the authorize request, else the customer's, else
// the browser's, else English) and the portal's and customer's names.
func (f *Front) view(ctx context.Context, r *http.Request, ar authRequest) view {
	lang := explicitLang(r.URL.Query())
	if lang == "" {
		lang = ar.Lang
	}
	var customer, portal string
	if f.o.Locale != nil && ar.ClientID != "" {
		var loc string
		loc, customer, portal = f.o.Locale(ctx, ar.ClientID)
		if lang == "" {
			lang = supportedLang(loc)
		}
	}
	if lang == "" {
		lang = acceptLanguage(r.Header.Get("Accept-Language"))
	}
	if lang == "" {
		lang = "en"
	}
	v := view{Lang: lang, T: messages[lang], Portal: portal, MinLength: identity.Policy.MinLength, MaxLength: identity.Policy.MaxLength}
	if customer != "" {
		v.Customer = text(lang, "for_customer", customer)
	}
	if ar.ClientID != "" {
		ar.Issued = f.o.Now().Unix()
		if ar.Lang == "" {
			ar.Lang = explicitLang(r.URL.Query())
		}
		v.P = f.seal(ar)
		v.ForgotURL = "/forgotPassword?" + url.Values{"p": {v.P}}.Encode()
		v.SignInURL = "/login?" + url.Values{"p": {v.P}}.Encode()
	}
	return v
}

var originPattern = regexp.MustCompile(`^[a-z][a-z0-9+.-]*:(//[A-Za-z0-9.\-\[\]:]+)?$`)

// writePage sends a page with the headers every page has. formTarget, when
// set, is the origin a form's answer may redirect to (CSP form-action
// applies to the redirect after a post).
func writePage(w http.ResponseWriter, status int, name string, v view, formTarget string) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, v); err != nil {
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	formAction := "'self'"
	if formTarget != "" && originPattern.MatchString(formTarget) {
		formAction += " " + formTarget
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action "+formAction)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// same-origin, not no-referrer: under no-referrer a browser posts the
	// forms with Origin: null, and sameOrigin needs the real one.
	h.Set("Referrer-Policy", "same-origin")
	noStore(w)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return ""
	}
	if u.Host == "" {
		return u.Scheme + ":"
	}
	return u.Scheme + "://" + u.Host
}

func (f *Front) renderSignIn(w http.ResponseWriter, r *http.Request, ar authRequest, email, errKey, noticeKey string) {
	v := f.view(r.Context(), r, ar)
	v.Title, v.Intro, v.Email = text(v.Lang, "signin_title"), text(v.Lang, "signin_intro"), email
	if errKey != "" {
		v.Error = text(v.Lang, errKey)
	}
	if noticeKey != "" {
		v.Notice = text(v.Lang, noticeKey)
	}
	writePage(w, http.StatusOK, "signin", v, originOf(ar.RedirectURI))
}

func (f *Front) renderError(w http.ResponseWriter, r *http.Request, ar authRequest, status int, key string) {
	v := f.view(r.Context(), r, authRequest{Lang: ar.Lang})
	v.Title, v.Intro = text(v.Lang, "err_title"), text(v.Lang, key)
	writePage(w, status, "error", v, "")
}

func (f *Front) css(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(loginCSS)
}

// ---- forgot password ---------------------------------------------------

func (f *Front) forgotPage(w http.ResponseWriter, r *http.Request) {
	ar, ok := f.pageRequest(w, r)
	if !ok {
		return
	}
	f.renderForgot(w, r, ar, normalizeEmail(r.URL.Query().Get("email")), "")
}

func (f *Front) renderForgot(w http.ResponseWriter, r *http.Request, ar authRequest, email, errKey string) {
	v := f.view(r.Context(), r, ar)
	v.Title, v.Intro, v.Email = text(v.Lang, "forgot_title"), text(v.Lang, "forgot_intro"), email
	if errKey != "" {
		v.Error = text(v.Lang, errKey)
	}
	writePage(w, http.StatusOK, "forgot", v, "")
}

// pageRequest reads a page's sealed request from its address; false when
// it has answered already.
func (f *Front) pageRequest(w http.ResponseWriter, r *http.Request) (authRequest, bool) {
	ar, _, fl := f.authRequestOf(r, false)
	if fl != nil {
		f.fail(w, r, ar, fl)
		return ar, false
	}
	return ar, true
}

// postedForm parses a page's post and reads its sealed request; false when
// it has answered already.
func (f *Front) postedForm(w http.ResponseWriter, r *http.Request) (authRequest, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		f.renderError(w, r, authRequest{}, http.StatusBadRequest, "err_expired")
		return authRequest{}, false
	}
	if !f.sameOrigin(r) {
		f.renderError(w, r, authRequest{}, http.StatusForbidden, "err_crosssite")
		return authRequest{}, false
	}
	ar, _, fl := f.authRequestOf(r, true)
	if fl != nil {
		f.fail(w, r, ar, fl)
		return ar, false
	}
	return ar, true
}

// forgot asks for a code, through the front's own API path, so that it is
// delivered as any ForgotPassword's is. Whether the e-mail is known or not,
// the next page is the same.
func (f *Front) forgot(w http.ResponseWriter, r *http.Request) {
	ar, ok := f.postedForm(w, r)
	if !ok {
		return
	}
	email := normalizeEmail(r.PostFormValue("email"))
	if email == "" || !strings.Contains(email, "@") || len(email) > 254 {
		f.renderForgot(w, r, ar, email, "err_email")
		return
	}
	_, err := f.cognito.ForgotPassword(r.Context(), &cip.ForgotPasswordInput{ClientId: &ar.ClientID, Username: &email})
	if err != nil && !isAPIError(err) {
		f.o.Log.Error("forgot password: ForgotPassword", "error", err.Error())
		f.renderForgot(w, r, ar, email, "err_unavailable")
		return
	}
	ar.Issued = f.o.Now().Unix()
	noStore(w)
	http.Redirect(w, r, "/confirmForgotPassword?"+url.Values{"p": {f.seal(ar)}, "email": {email}}.Encode(), http.StatusSeeOther)
}

func (f *Front) confirmPage(w http.ResponseWriter, r *http.Request) {
	ar, ok := f.pageRequest(w, r)
	if !ok {
		return
	}
	f.renderConfirm(w, r, ar, normalizeEmail(r.URL.Query().Get("email")), "")
}

func (f *Front) renderConfirm(w http.ResponseWriter, r *http.Request, ar authRequest, email, errKey string, args ...any) {
	v := f.view(r.Context(), r, ar)
	v.Title, v.Email = text(v.Lang, "confirm_title"), email
	v.Intro = text(v.Lang, "confirm_intro", email)
	v.PolicyHint = text(v.Lang, "policy", identity.Policy.MinLength)
	if errKey != "" {
		v.Error = text(v.Lang, errKey, args...)
	}
	if email != "" && v.P != "" {
		v.ForgotURL = "/forgotPassword?" + url.Values{"p": {v.P}, "email": {email}}.Encode()
	}
	writePage(w, http.StatusOK, "confirm", v, "")
}

// confirm sets the new password. cognito-local checks neither the code's
// presence nor the policy: both are checked here first.
func (f *Front) confirm(w http.ResponseWriter, r *http.Request) {
	ar, ok := f.postedForm(w, r)
	if !ok {
		return
	}
	email := normalizeEmail(r.PostFormValue("email"))
	code := strings.TrimSpace(r.PostFormValue("code"))
	pw, pw2 := r.PostFormValue("password"), r.PostFormValue("password2")
	weak := []any{identity.Policy.MinLength, identity.Policy.MaxLength}
	switch {
	case email == "":
		f.renderForgot(w, r, ar, "", "err_email")
		return
	case code == "":
		f.renderConfirm(w, r, ar, email, "err_code_empty")
		return
	case pw != pw2:
		f.renderConfirm(w, r, ar, email, "err_mismatch")
		return
	case identity.Policy.Check(pw) != nil:
		f.renderConfirm(w, r, ar, email, "err_weak", weak...)
		return
	}
	_, err := f.cognito.ConfirmForgotPassword(r.Context(), &cip.ConfirmForgotPasswordInput{
		ClientId: &ar.ClientID, Username: aws.String(email), ConfirmationCode: &code, Password: &pw,
	})
	if err != nil {
		var weakErr *ciptypes.InvalidPasswordException
		switch {
		case errors.As(err, &weakErr):
			f.renderConfirm(w, r, ar, email, "err_weak", weak...)
		case isAPIError(err):
			f.renderConfirm(w, r, ar, email, "err_code_wrong")
		default:
			f.o.Log.Error("forgot password: ConfirmForgotPassword", "error", err.Error())
			f.renderConfirm(w, r, ar, email, "err_unavailable")
		}
		return
	}
	ar.Issued = f.o.Now().Unix()
	noStore(w)
	http.Redirect(w, r, "/login?"+url.Values{"p": {f.seal(ar)}, "notice": {"changed"}}.Encode(), http.StatusSeeOther)
}
