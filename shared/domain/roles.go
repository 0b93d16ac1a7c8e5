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

// CleanRoleName checks a role's name (as a member's free-text role was). A
// name holds no ";", which separates the roles of an import's column.
func CleanRoleName(s string) (string, string) {
	name, code := CleanText(s, MaxRoleLength)
	if code == "" && strings.ContainsRune(name, ';') {
		return "", "semicolon"
	}
	return name, code
}

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

// RoleIndex finds a catalogue's roles by id and by name (without case).
type RoleIndex struct {
	byID   map[string]Role
	byName map[string]Role
	all    []string
}

// IndexRoles indexes a catalogue (as Roles reads it: by name).
func IndexRoles(cat []Role) RoleIndex {
	ix := RoleIndex{byID: make(map[string]Role, len(cat)), byName: make(map[string]Role, len(cat))}
	for _, r := range cat {
		ix.byID[r.ID], ix.byName[RoleKey(r.Name)] = r, r
		ix.all = append(ix.all, r.ID)
	}
	return ix
}

// All is every role of the catalogue, by id, in the catalogue's order: what
// "roles": "all" gives a member at that moment (a role added later is not
// theirs until it is given to them).
func (ix RoleIndex) All() []string { return slices.Clone(ix.all) }

// Match turns the role names a caller gives into the catalogue's role ids,
// in the order given, once each. A name is matched without case and around
// its spaces; one that is not in the catalogue is "unknown_role". It
// returns the index of the first bad name and its code when one is refused.
func (ix RoleIndex) Match(names []string) ([]string, int, string) {
	if len(names) > MaxRoles {
		return nil, -1, "too_many"
	}
	out := make([]string, 0, len(names))
	for i, n := range names {
		c, code := CleanText(n, MaxRoleLength)
		if code != "" {
			return nil, i, code
		}
		r, ok := ix.byName[RoleKey(c)]
		if !ok {
			return nil, i, "unknown_role"
		}
		if !slices.Contains(out, r.ID) {
			out = append(out, r.ID)
		}
	}
	return out, -1, ""
}

// Names are the names of a member's roles as the catalogue has them now:
// its role ids in the member's order, a role deleted since left out, then
// any free-text roles the migration has not carried over yet.
func (ix RoleIndex) Names(m *Member) []string {
	out := make([]string, 0, len(m.RoleIDs)+len(m.LegacyRoles))
	for _, id := range m.RoleIDs {
		if r, ok := ix.byID[id]; ok {
			out = append(out, r.Name)
		}
	}
	return append(out, m.LegacyRoles...)
}

// Known keeps the ids that are still in the catalogue.
func (ix RoleIndex) Known(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if _, ok := ix.byID[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

// NeedsCatalogue reports whether any of the members holds a role by id
// (whose name only the catalogue knows).
func NeedsCatalogue(ms ...*Member) bool {
	for _, m := range ms {
		if m != nil && len(m.RoleIDs) > 0 {
			return true
		}
	}
	return false
}
