// Package mail writes the product's e-mails (invitations and reminders, in
// the customer's locale, plain text and HTML) and defines the port through
// which they are sent.
package mail

import (
	"context"
	"embed"
	"errors"
	"fmt"
	htmlpkg "html"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
)

// Message is one e-mail to one recipient.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
	// Tags go with the message to the mail service, which names them in
	// its reports about it (delivery, bounce, complaint).
	Tags map[string]string
}

// ErrOutcomeUnknown is returned (wrapped) by a Sender when it cannot tell
// whether the message went out (a timeout after the request was sent).
var ErrOutcomeUnknown = errors.New("the outcome of sending is unknown")

// ErrUnavailable is returned by a Sender that is throttled: nothing was sent.
var ErrUnavailable = errs.New(errs.Transient, "mail_unavailable")

// Sender sends e-mails.
type Sender interface {
	Send(ctx context.Context, m Message) (messageID string, err error)
}

// Scope is where an invitation invites to.
type Scope string

const (
	ScopeProvider Scope = "provider"
	ScopeCustomer Scope = "customer"
)

// Kind of invitation e-mail.
type Kind string

const (
	KindInvitation Kind = "invitation"
	KindReminder   Kind = "reminder"
	// KindReset is the code of a password reset, which the user pool sends
	// itself with the text its custom message trigger gives it (RenderCode).
	KindReset Kind = "reset"
	// KindAccessEnding tells a member's admins that the member's access
	// ends soon (accessUntil).
	KindAccessEnding Kind = "access-ending"
)

// Invitation is what an invitation or reminder e-mail says.
type Invitation struct {
	Kind     Kind
	Locale   string
	To       string
	Name     string // the invitee's name
	Customer string // empty for an operator invitation
	// Scope says whether the invitation is to a customer's portal or to the
	// provider's console (Customer alone cannot: a customer's name that
	// reads as a link is left out).
	Scope     Scope
	InvitedBy string
	ExpiresAt time.Time
	// PortalURL comes from configuration; the token goes in the fragment so
	// that it never reaches a server's logs through the Referer or the path.
	PortalURL string
	Token     string
}

// Link is the accept-invitation link.
func (i Invitation) Link() string {
	return strings.TrimRight(i.PortalURL, "/") + "/accept-invitation#token=" + url.QueryEscape(i.Token)
}

//go:embed templates
var files embed.FS

// The e-mails are plain files with {{Placeholders}}, filled in one pass by
// a strings.Replacer: every value is escaped for the HTML part and a value
// is never scanned again for placeholders. (text/template would do, but it
// looks methods up by name, which keeps the linker from dropping unused
// methods and adds megabytes to every function that links it.)
// templates are the e-mails' parts by key, read from the embedded files
// on the first e-mail: a function that sends none does not pay for them at
// start.
type templates struct {
	texts, bodies, footers map[string]string
	layout                 string
}

var parts = sync.OnceValue(func() templates {
	read := func(name string) string {
		b, err := files.ReadFile("templates/" + name)
		if err != nil {
			panic(err) // the files are embedded: a missing one is a build error
		}
		return string(b)
	}
	t := templates{texts: map[string]string{}, bodies: map[string]string{}, footers: map[string]string{}, layout: read("layout.html")}
	for _, locale := range []string{domain.LocaleEN, domain.LocaleNL} {
		t.footers[locale] = strings.TrimSpace(read("footer." + locale + ".html"))
		t.footers[string(KindReset)+"."+locale] = strings.TrimSpace(read("footer-reset." + locale + ".html"))
		t.footers[string(KindAccessEnding)+"."+locale] = strings.TrimSpace(read("footer-access." + locale + ".html"))
		for _, k := range []Kind{KindInvitation, KindReminder, KindReset, KindAccessEnding} {
			key := string(k) + "." + locale
			t.texts[key] = read(key + ".txt")
			t.bodies[key] = read(key + ".html")
		}
	}
	return t
})

var subjects = map[string]string{
	"invitation.en":    "You are invited to %s",
	"invitation.nl":    "Je bent uitgenodigd voor %s",
	"reminder.en":      "Reminder: your invitation to %s expires soon",
	"reminder.nl":      "Herinnering: je uitnodiging voor %s verloopt binnenkort",
	"reset.en":         "Your code to reset your password for %s",
	"reset.nl":         "Je code om je wachtwoord voor %s opnieuw in te stellen",
	"access-ending.en": "Access of %s to %s ends soon",
	"access-ending.nl": "Toegang van %s tot %s eindigt binnenkort",
}

// Render writes the e-mail in the invitation's locale (English when unknown).
func Render(inv Invitation) (Message, error) {
	locale := inv.Locale
	if !domain.ValidLocale(locale) {
		locale = domain.LocaleEN
	}
	if inv.Kind == "" {
		inv.Kind = KindInvitation
	}
	key := string(inv.Kind) + "." + locale
	if _, ok := parts().texts[key]; !ok {
		return Message{}, fmt.Errorf("no e-mail %s", key)
	}
	// Names are checked when they are set (domain.CleanName); one stored
	// before that check, or made from an e-mail's local part, that reads as
	// a link is left out rather than sent from the provider's domain.
	inv.Name, inv.InvitedBy, inv.Customer = safeName(inv.Name), safeName(inv.InvitedBy), safeName(inv.Customer)
	place := where(inv, locale)
	subject := fmt.Sprintf(subjects[key], place)
	t := words[locale]
	greeting, inviter, inviterMid := t.hello+",", t.someone, t.someoneMid
	if inv.Name != "" {
		greeting = t.hello + " " + inv.Name + ","
	}
	if inv.InvitedBy != "" {
		inviter, inviterMid = inv.InvitedBy, inv.InvitedBy
	}
	values := []string{
		"Greeting", greeting, "InvitedBy", inviter, "invitedBy", inviterMid, "Where", place, "Link", inv.Link(),
		"Expires", FormatTime(inv.ExpiresAt, locale), "To", inv.To,
	}
	return fill(key, locale, subject, parts().footers[locale], inv.To, values), nil
}

// fill fills in the text and HTML parts of the e-mail key: each value
// escaped for the HTML part, and never scanned again for placeholders.
func fill(key, locale, subject, footer, to string, values []string) Message {
	var text, html []string
	for i := 0; i < len(values); i += 2 {
		text = append(text, "{{"+values[i]+"}}", values[i+1])
		html = append(html, "{{"+values[i]+"}}", htmlpkg.EscapeString(values[i+1]))
	}
	htmlFill := strings.NewReplacer(html...)
	page := strings.NewReplacer(
		"{{Lang}}", locale, "{{Title}}", htmlpkg.EscapeString(subject),
		"{{Body}}", htmlFill.Replace(parts().bodies[key]), "{{Footer}}", htmlFill.Replace(footer),
	).Replace(parts().layout)
	return Message{To: to, Subject: subject, Text: strings.NewReplacer(text...).Replace(parts().texts[key]), HTML: page}
}

// Code is what an e-mail with a one-time code says: a password reset's.
type Code struct {
	Locale   string
	To       string
	Name     string
	Customer string // whose portal the person signs in to; empty for the console
	Scope    Scope
	// Code is the code, or the placeholder the user pool puts it in for
	// ("{####}"): a custom message trigger never sees the code itself.
	Code string
}

// RenderCode writes a password reset's e-mail in the locale (English when
// unknown).
func RenderCode(c Code) Message {
	locale := c.Locale
	if !domain.ValidLocale(locale) {
		locale = domain.LocaleEN
	}
	key := string(KindReset) + "." + locale
	c.Name, c.Customer = safeName(c.Name), safeName(c.Customer)
	place := where(Invitation{Customer: c.Customer, Scope: c.Scope}, locale)
	greeting := words[locale].hello + ","
	if c.Name != "" {
		greeting = words[locale].hello + " " + c.Name + ","
	}
	values := []string{"Greeting", greeting, "Where", place, "Code", c.Code, "To", c.To}
	return fill(key, locale, fmt.Sprintf(subjects[key], place), parts().footers[key], c.To, values)
}

// AccessEnding is what the reminder that a member's access ends says, to
// one of their admins.
type AccessEnding struct {
	Locale      string
	To          string // the admin
	Name        string // the admin's name
	Member      string // the member's name
	MemberEmail string
	Customer    string // empty for an operator
	Scope       Scope
	Until       time.Time
}

// RenderAccessEnding writes the reminder that a member's access ends, in
// the locale (English when unknown).
func RenderAccessEnding(a AccessEnding) Message {
	locale := a.Locale
	if !domain.ValidLocale(locale) {
		locale = domain.LocaleEN
	}
	key := string(KindAccessEnding) + "." + locale
	a.Name, a.Member, a.Customer = safeName(a.Name), safeName(a.Member), safeName(a.Customer)
	if a.Member == "" {
		a.Member = a.MemberEmail
	}
	place := where(Invitation{Customer: a.Customer, Scope: a.Scope}, locale)
	greeting := words[locale].hello + ","
	if a.Name != "" {
		greeting = words[locale].hello + " " + a.Name + ","
	}
	values := []string{"Greeting", greeting, "Where", place, "Member", a.Member, "MemberEmail", a.MemberEmail,
		"Until", FormatTime(a.Until, locale), "To", a.To}
	return fill(key, locale, fmt.Sprintf(subjects[key], a.Member, place), parts().footers[key], a.To, values)
}

// words are the fixed phrases of each locale.
var words = map[string]struct{ hello, someone, someoneMid string }{
	domain.LocaleEN: {"Hello", "An administrator", "an administrator"},
	domain.LocaleNL: {"Hallo", "Een beheerder", "een beheerder"},
}

func safeName(s string) string {
	if domain.LinkLike(s) {
		return ""
	}
	return s
}

func where(inv Invitation, locale string) string {
	if inv.Customer != "" {
		if locale == domain.LocaleNL {
			return "het portaal van " + inv.Customer
		}
		return "the " + inv.Customer + " portal"
	}
	if inv.Scope == ScopeCustomer {
		if locale == domain.LocaleNL {
			return "je portaal"
		}
		return "your portal"
	}
	if locale == domain.LocaleNL {
		return "de beheeromgeving"
	}
	return "the admin console"
}

var (
	daysNL   = []string{"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"}
	monthsNL = []string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}
)

// FormatTime writes a moment the way a reader of the locale expects, in UTC.
func FormatTime(t time.Time, locale string) string {
	t = t.UTC()
	if locale == domain.LocaleNL {
		return fmt.Sprintf("%s %d %s %d om %s UTC", daysNL[t.Weekday()], t.Day(), monthsNL[t.Month()-1], t.Year(), t.Format("15:04"))
	}
	return t.Format("Monday 2 January 2006 at 15:04 UTC")
}
