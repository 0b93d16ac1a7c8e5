// Package mail writes the product's e-mails (invitations and reminders, in
// the customer's locale, plain text and HTML) and defines the port through
// which they are sent.
package mail

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
)

// Message is one e-mail to one recipient.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// ErrOutcomeUnknown is returned (wrapped) by a Sender when it cannot tell
// whether the message went out (a timeout after the request was sent).
var ErrOutcomeUnknown = errors.New("the outcome of sending is unknown")

// Sender sends e-mails.
type Sender interface {
	Send(ctx context.Context, m Message) (messageID string, err error)
}

// Kind of invitation e-mail.
type Kind string

const (
	KindInvitation Kind = "invitation"
	KindReminder   Kind = "reminder"
)

// Invitation is what an invitation or reminder e-mail says.
type Invitation struct {
	Kind      Kind
	Locale    string
	To        string
	Name      string // the invitee's name
	Customer  string // empty for an operator invitation
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

type view struct {
	Invitation
	Link    string
	Expires string
	Where   string
}

var (
	textTemplates = map[string]*texttemplate.Template{}
	htmlTemplates = map[string]*htmltemplate.Template{}
	subjects      = map[string]string{}
)

func init() {
	for _, locale := range []string{domain.LocaleEN, domain.LocaleNL} {
		for _, k := range []Kind{KindInvitation, KindReminder} {
			key := string(k) + "." + locale
			textTemplates[key] = texttemplate.Must(texttemplate.ParseFS(files, "templates/"+key+".txt"))
			htmlTemplates[key] = htmltemplate.Must(htmltemplate.ParseFS(files, "templates/layout.html", "templates/"+key+".html"))
		}
	}
	subjects = map[string]string{
		"invitation.en": "You are invited to %s",
		"invitation.nl": "Je bent uitgenodigd voor %s",
		"reminder.en":   "Reminder: your invitation to %s expires soon",
		"reminder.nl":   "Herinnering: je uitnodiging voor %s verloopt binnenkort",
	}
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
	v := view{Invitation: inv, Link: inv.Link(), Expires: FormatTime(inv.ExpiresAt, locale), Where: where(inv, locale)}
	var text, html bytes.Buffer
	if err := textTemplates[key].Execute(&text, v); err != nil {
		return Message{}, fmt.Errorf("render %s text: %w", key, err)
	}
	if err := htmlTemplates[key].ExecuteTemplate(&html, "layout.html", v); err != nil {
		return Message{}, fmt.Errorf("render %s html: %w", key, err)
	}
	return Message{To: inv.To, Subject: fmt.Sprintf(subjects[key], v.Where), Text: text.String(), HTML: html.String()}, nil
}

func where(inv Invitation, locale string) string {
	if inv.Customer != "" {
		if locale == domain.LocaleNL {
			return "het portaal van " + inv.Customer
		}
		return "the " + inv.Customer + " portal"
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
