package domain

import (
	"slices"
	"strings"
	"time"
)

// A customer's role catalogue: the functional roles its portal users may
// hold (seed 002: "The list of available roles is shown on the Portal users
// detail"). A role's name is unique in its customer, compared without case.

const (
	PrefixRole = "rol"
	// MaxCatalogueRoles is how many roles one customer's catalogue holds:
	// it is read whole, in one Query, wherever roles are shown.
	MaxCatalogueRoles  = 100
	MaxRoleDescription = 500
	ActionRoleCreated  = "role.created"
	ActionRoleUpdated  = "role.updated"
	ActionRoleDeleted  = "role.deleted"
	TargetRole         = "role"
)

// Role is one role of a customer's catalogue.
type Role struct {
	ID          string    `dynamodbav:"id"`
	CustomerID  string    `dynamodbav:"customerId"`
	Name        string    `dynamodbav:"name"`
	Description string    `dynamodbav:"description,omitempty"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
	UpdatedAt   time.Time `dynamodbav:"updatedAt"`
	Version     int       `dynamodbav:"version"`
}

// RoleKey is what makes a role's name unique in its customer: the name
// without case.
func RoleKey(name string) string { return strings.ToLower(name) }

// CleanRoleName checks a role's name (as a member's free-text role was).
func CleanRoleName(s string) (string, string) { return CleanText(s, MaxRoleLength) }

// CleanRoleDescription checks a role's description; "" removes it.
func CleanRoleDescription(s string) (string, string) {
	d, code := CleanText(s, MaxRoleDescription)
	if code == "required" {
		return "", ""
	}
	return d, code
}

// RoleTargetOf names a role on the audit trail.
func RoleTargetOf(r Role) Target {
	name := r.Name
	return Target{Kind: TargetRole, ID: r.ID, Name: &name}
}

// SortRoles orders a catalogue by name without case, then id.
func SortRoles(rs []Role) {
	slices.SortFunc(rs, func(a, b Role) int {
		if c := strings.Compare(RoleKey(a.Name), RoleKey(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
