package domain

import (
	"slices"
	"strings"
	"time"
)

// Policy is what the provider's operator admins set on a customer: who
// may be invited into it and for how long an invitation holds. The zero
// Policy restricts nothing and keeps the provider's invitation lifetime.
type Policy struct {
	// AllowedDomains are the e-mail domains new members may have (exact,
	// lower-case); empty allows every domain.
	AllowedDomains []string `dynamodbav:"allowedDomains,omitempty" json:"allowedDomains"`
	// InvitationLifetime is how long the customer's new invitations (and
	// re-invites) hold, in place of the provider's INVITATION_TTL; 0 keeps that.
	InvitationLifetime time.Duration `dynamodbav:"invitationLifetime,omitempty" json:"-"`
	// SeatLimit is the most members the customer may have enabled or
	// unconfirmed at once; 0 is no limit.
	SeatLimit int `dynamodbav:"seatLimit,omitempty" json:"seatLimit,omitempty"`
}

// Bounds of a customer's invitation lifetime, and of its lists.
const (
	MinInvitationLifetime = time.Hour
	MaxInvitationLifetime = 30 * 24 * time.Hour
	MaxAllowedDomains     = 50
	MaxSeatLimit          = 100000
)

// CleanDomains checks a list of allowed e-mail domains: each trimmed and
// lower-cased, a dotted domain as an address may have, none twice. It
// returns the index of the first bad entry (-1 for the list) and a code.
func CleanDomains(raw []string) ([]string, int, string) {
	if len(raw) > MaxAllowedDomains {
		return nil, -1, "too_many"
	}
	out := make([]string, 0, len(raw))
	for i, d := range raw {
		d = strings.ToLower(strings.TrimSpace(d))
		d = strings.TrimPrefix(d, "@")
		if d == "" || len(d) > 253 || !validDomain(d) {
			return nil, i, "invalid_domain"
		}
		if slices.Contains(out, d) {
			continue
		}
		out = append(out, d)
	}
	return out, 0, ""
}

// AllowsEmail reports whether a (normalised) address may be invited under
// the policy.
func (p Policy) AllowsEmail(email string) bool {
	if len(p.AllowedDomains) == 0 {
		return true
	}
	_, d, ok := strings.Cut(email, "@")
	return ok && slices.Contains(p.AllowedDomains, d)
}

// Lifetime is the lifetime of the customer's new invitations: its own, or
// def (the provider's) when it has none.
func (p Policy) Lifetime(def time.Duration) time.Duration {
	if p.InvitationLifetime > 0 {
		return p.InvitationLifetime
	}
	return def
}
