package mail

import (
	"strings"
	"testing"
	"time"
)

func TestRenderEnglishAndDutch(t *testing.T) {
	exp := time.Date(2026, 11, 30, 14, 5, 0, 0, time.UTC)
	inv := Invitation{Locale: "en", To: "jane@acme.example", Name: "Jane", Customer: "Acme", InvitedBy: "Bob",
		ExpiresAt: exp, PortalURL: "https://portal.example/", Token: "tok_en-1"}
	m, err := Render(inv)
	if err != nil {
		t.Fatal(err)
	}
	link := "https://portal.example/accept-invitation#token=tok_en-1"
	if m.Subject != "You are invited to the Acme portal" || !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, link) {
		t.Fatalf("%+v", m)
	}
	if !strings.Contains(m.Text, "Monday 30 November 2026 at 14:05 UTC") || !strings.Contains(m.Text, "Bob has invited you") {
		t.Fatalf("text: %s", m.Text)
	}
	inv.Locale = "nl"
	m, err = Render(inv)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Je bent uitgenodigd voor het portaal van Acme" {
		t.Fatalf("subject %q", m.Subject)
	}
	for _, want := range []string{"Hallo Jane,", "Bob heeft je uitgenodigd voor het portaal van Acme.", "maandag 30 november 2026 om 14:05 UTC", link} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("Dutch text lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, `lang="nl"`) || !strings.Contains(m.HTML, "Uitnodiging accepteren") {
		t.Error("Dutch HTML")
	}
}

func TestHTMLEscapesNames(t *testing.T) {
	m, err := Render(Invitation{Locale: "en", To: "x@y.example", Name: `<script>alert(1)</script>`, Customer: `A&B "Co"`,
		InvitedBy: "<b>Eve</b>", ExpiresAt: time.Now(), PortalURL: "https://p.example", Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<b>Eve</b>") {
		t.Fatalf("unescaped HTML:\n%s", m.HTML)
	}
}

func TestReminderAndOperatorInvitation(t *testing.T) {
	m, err := Render(Invitation{Kind: KindReminder, Locale: "xx", To: "x@y.example", Name: "X", InvitedBy: "Bob",
		ExpiresAt: time.Now(), PortalURL: "https://p.example", Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Subject, "Reminder:") || !strings.Contains(m.Subject, "the admin console") {
		t.Fatalf("subject %q", m.Subject)
	}
	if !strings.Contains(m.Text, "no longer works") {
		t.Fatal("the reminder must say the earlier link died")
	}
}

// A name that reads as a link never reaches an e-mail sent from the
// provider's domain: one stored before names were checked, or made from an
// e-mail's local part, is left out and the sentence still reads.
func TestNamesThatReadAsLinksAreLeftOut(t *testing.T) {
	for _, locale := range []string{"en", "nl"} {
		m, err := Render(Invitation{Locale: locale, To: "jane@acme.example", Name: "www.evil.example",
			Customer: "evil[.]com", Scope: ScopeCustomer, InvitedBy: "IT Security: verify at https://evil.example",
			ExpiresAt: time.Now(), PortalURL: "https://portal.example", Token: "tok"})
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range []string{m.Subject, m.Text, m.HTML} {
			for _, bad := range []string{"evil", "verify at"} {
				if strings.Contains(part, bad) {
					t.Errorf("%s: %q reached the e-mail:\n%s", locale, bad, part)
				}
			}
		}
		want := map[string][]string{
			"en": {"Hello,", "An administrator has invited you to your portal.", "ask an administrator to invite you again"},
			"nl": {"Hallo,", "Een beheerder heeft je uitgenodigd voor je portaal.", "vraag een beheerder dan"},
		}[locale]
		for _, w := range want {
			if !strings.Contains(m.Text, w) {
				t.Errorf("%s: the text lacks %q:\n%s", locale, w, m.Text)
			}
		}
		if !strings.Contains(m.Text, "https://portal.example/accept-invitation#token=tok") {
			t.Errorf("%s: the link is gone", locale)
		}
	}
}
