package portals

import (
	"context"
	"slices"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/mail"
)

// CodeRequest is the user pool's question to its custom message trigger:
// the text of the e-mail with a password reset's code, for the person
// (Sub, Email) who asked through an app client.
type CodeRequest struct {
	ClientID string
	Sub      string
	Email    string
	// Code is the placeholder the user pool puts the code in.
	Code string
}

// CodeMessage writes a password reset's e-mail in the language of the
// customer whose portal the person asked from (its app client's setup); from
// the console, in the language of their customer when they have one, naming
// it, and in English naming the console for the provider's staff. When the
// table cannot be read it still answers, in English and naming no one: a
// person who asked for a code gets one.
func (s *Service) CodeMessage(ctx context.Context, r CodeRequest) mail.Message {
	c := mail.Code{To: r.Email, Code: r.Code, Scope: mail.ScopeCustomer, Locale: domain.LocaleEN}
	ms, err := s.Store.Memberships(ctx, r.Sub)
	if err != nil {
		s.Log.WarnContext(ctx, "reset e-mail written without the person's memberships", "error", err.Error())
		return mail.RenderCode(c)
	}
	if p, cu, err := s.Store.PortalByClient(ctx, r.ClientID); err == nil {
		c.Customer, c.Locale = cu.Name, cu.Locale
		if i := slices.IndexFunc(ms, func(m domain.Member) bool { return m.CustomerID == p.CustomerID }); i >= 0 {
			c.Name = ms[i].Name
		}
		return mail.RenderCode(c)
	}
	var customers []domain.Member
	for _, m := range ms {
		switch {
		case m.Scope().IsProvider():
			c.Scope, c.Name = mail.ScopeProvider, m.Name
			return mail.RenderCode(c)
		default:
			customers = append(customers, m)
		}
	}
	if len(customers) == 1 {
		if cu, err := s.Store.Customer(ctx, customers[0].CustomerID); err == nil {
			c.Customer, c.Locale, c.Name = cu.Name, cu.Locale, customers[0].Name
		}
	}
	return mail.RenderCode(c)
}
