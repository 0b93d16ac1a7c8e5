package imports

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
)

// The file: CSV (RFC 4180, UTF-8, an optional byte order mark), a header
// row naming its columns in any order and case, then one row a person.
//
//	email            required
//	name             optional; the e-mail's local part when empty
//	admin            true/false, yes/no, 1/0; empty is false
//	roles            names separated by ";"
//	portalIds        portal setup ids separated by ";"
//	sendInvitation   true/false…; empty is true (false: added now, invited later)
var columns = []string{"email", "name", "admin", "roles", "portalIds", "sendInvitation"}

// Errors of the file as a whole (each row's own problems are its outcome).
var (
	ErrMalformed     = errs.Fields(errs.F("file", "malformed_csv"))
	ErrNoRows        = errs.Fields(errs.F("file", "no_rows"))
	ErrTooManyRows   = errs.Fields(errs.F("file", "too_many_rows"))
	ErrNoEmailColumn = errs.Fields(errs.F("file", "email_column_missing"))
)

func errColumn(reason, name string) error {
	return errs.Fields(errs.F("file."+name, reason))
}

// Parse reads the rows of a file. A row whose cells cannot be read (a
// boolean that is not one) is returned invalid with its reason; the file
// itself is refused when it is not CSV, has no header with an email
// column, an unknown or repeated column, no rows, or more than
// MaxImportRows.
func Parse(body []byte) ([]domain.ImportRow, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(body) {
		return nil, ErrMalformed
	}
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, ErrNoRows
	}
	if err != nil {
		return nil, ErrMalformed
	}
	col := map[string]int{}
	for i, h := range header {
		name := ""
		for _, c := range columns {
			if strings.EqualFold(strings.TrimSpace(h), c) {
				name = c
			}
		}
		if name == "" {
			return nil, errColumn("unknown_column", strconv.Itoa(i))
		}
		if _, dup := col[name]; dup {
			return nil, errColumn("duplicate_column", name)
		}
		col[name] = i
	}
	if _, ok := col["email"]; !ok {
		return nil, ErrNoEmailColumn
	}
	cell := func(rec []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var rows []domain.ImportRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, ErrMalformed
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rows) == domain.MaxImportRows {
			return nil, ErrTooManyRows
		}
		row := domain.ImportRow{N: len(rows) + 1, Email: cell(rec, "email"), Name: cell(rec, "name"),
			Roles: list(cell(rec, "roles")), PortalIDs: list(cell(rec, "portalIds"))}
		if len(rec) > len(header) {
			row.Outcome, row.Reason = domain.OutcomeInvalid, "too_many_cells"
		}
		admin, ok := boolean(cell(rec, "admin"), false)
		if !ok && row.Outcome == "" {
			row.Outcome, row.Reason = domain.OutcomeInvalid, "admin_invalid"
		}
		send, ok := boolean(cell(rec, "sendInvitation"), true)
		if !ok && row.Outcome == "" {
			row.Outcome, row.Reason = domain.OutcomeInvalid, "sendInvitation_invalid"
		}
		row.Admin, row.Later = admin, !send
		if len(row.Email) > 320 || len(row.Name) > 4*domain.MaxNameLength {
			// Kept short: an invalid row is stored too, with its reason.
			row.Email, row.Name = truncate(row.Email, 320), truncate(row.Name, 4*domain.MaxNameLength)
		}
		if len(row.Roles) > domain.MaxRoles || len(row.PortalIDs) > domain.MaxPortalIDs || longest(row.Roles) > 4*domain.MaxRoleLength || longest(row.PortalIDs) > 64 {
			if row.Outcome == "" {
				row.Outcome = domain.OutcomeInvalid
				row.Reason = "roles_too_many"
				if len(row.PortalIDs) > domain.MaxPortalIDs || longest(row.PortalIDs) > 64 {
					row.Reason = "portalIds_too_many"
				}
			}
			row.Roles, row.PortalIDs = nil, nil
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, ErrNoRows
	}
	return rows, nil
}

// list splits a cell of names separated by ";", leaving out empty ones.
func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func boolean(s string, empty bool) (bool, bool) {
	switch strings.ToLower(s) {
	case "":
		return empty, true
	case "true", "yes", "1", "y":
		return true, true
	case "false", "no", "0", "n":
		return false, true
	}
	return false, false
}

func longest(xs []string) int {
	n := 0
	for _, x := range xs {
		n = max(n, len(x))
	}
	return n
}

// truncate cuts s to at most n bytes, at a character's boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
