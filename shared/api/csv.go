package api

import (
	"bytes"
	"encoding/csv"
	"mime"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/state"
)

// Exports for spreadsheets: a listing asked for with Accept: text/csv
// answers its page as CSV (RFC 4180, UTF-8, a header row on every page),
// up to csvPage rows, with a Link header to the next page. The JSON
// listing's parameters and cursor work the same.

// csvPage is the most rows a CSV page holds, and its default.
const csvPage = 1000

type csvQuery struct {
	path  string
	query httpapi.Query
}

// wantsCSV reports whether the caller asks for CSV rather than JSON: text/csv
// named in Accept with a quality above JSON's (and above any */*).
func wantsCSV(r *httpapi.Request) bool {
	accept := r.Header("Accept")
	if !strings.Contains(strings.ToLower(accept), "text/csv") {
		return false
	}
	q := map[string]float64{}
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		w := 1.0
		if v, err := strconv.ParseFloat(params["q"], 64); err == nil {
			w = v
		}
		q[mt] = w
	}
	return q["text/csv"] > 0 && q["text/csv"] >= q["application/json"]
}

// neutralise keeps a spreadsheet from running a value as a formula: one
// that starts with =, +, -, @, a tab or a carriage return is prefixed with
// an apostrophe (OWASP's advice for CSV injection).
func neutralise(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// csvOf answers a page as CSV rows under header, each row of row.
func csvOf[E any](s *Services, pq pageQuery, p state.Page[E], name string, header []string, row func(*E) []string) *httpapi.Response {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = true // RFC 4180
	_ = w.Write(header)
	for i := range p.Items {
		cells := row(&p.Items[i])
		for j := range cells {
			cells[j] = neutralise(cells[j])
		}
		_ = w.Write(cells)
	}
	w.Flush()
	res := &httpapi.Response{Status: 200, Raw: b.Bytes(), ContentType: "text/csv; charset=utf-8", Headers: map[string]string{
		"Content-Disposition": `attachment; filename="` + name + `.csv"`,
		"Vary":                "Accept",
	}}
	if next := s.Cursors.Encode(pq.binding, p.Next); next != nil {
		v := url.Values{}
		keys := make([]string, 0, len(pq.csv.query))
		for k := range pq.csv.query {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k != "cursor" {
				v.Set(k, pq.csv.query[k])
			}
		}
		v.Set("cursor", *next)
		res.Headers["Link"] = "<" + pq.csv.path + "?" + v.Encode() + `>; rel="next"`
	}
	return res
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return ts(*t).Format(time.RFC3339Nano)
}

// The columns of the users' export: what the console's list shows.
var userColumns = []string{"id", "email", "name", "status", "admin", "roles", "portalIds",
	"invitationState", "invitationExpiresAt", "delivery", "createdAt", "updatedAt"}

func userRow(m *domain.Member) []string {
	var state, expires, delivery string
	if inv := m.Invitation; inv != nil {
		state, expires, delivery = string(inv.State), csvTime(expiryOf(inv)), string(inv.Delivery)
	}
	return []string{m.ID, m.Email, m.Name, string(m.Status), strconv.FormatBool(m.Admin),
		strings.Join(m.Roles, "; "), strings.Join(m.PortalIDs, "; "),
		state, expires, delivery, csvTime(&m.CreatedAt), csvTime(&m.UpdatedAt)}
}

// The columns of the audit trail's export.
var auditColumns = []string{"id", "at", "action", "actorKind", "actorId", "actorEmail", "targetKind", "targetId", "targetEmail"}

func auditRow(e *domain.AuditEvent) []string {
	email := ""
	if e.Target.Email != nil {
		email = *e.Target.Email
	}
	return []string{e.ID, csvTime(&e.At), e.Action, e.Actor.Kind, e.Actor.ID, e.Actor.Email, e.Target.Kind, e.Target.ID, email}
}
