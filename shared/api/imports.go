package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/imports"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

// Imports: POST /v1/customers/{customerId}/imports with a CSV file, a dry
// run or a job; GET …/imports/{importId} its progress; GET
// …/imports/{importId}/outcomes its rows' outcomes as CSV once it ended.

type importView struct {
	ID          string              `json:"id"`
	CustomerID  string              `json:"customerId"`
	State       string              `json:"state"`
	Total       int                 `json:"total"`
	Done        int                 `json:"done"`
	Counts      domain.ImportCounts `json:"counts"`
	RequestedBy domain.Actor        `json:"requestedBy"`
	CreatedAt   time.Time           `json:"createdAt"`
	UpdatedAt   time.Time           `json:"updatedAt"`
	FinishedAt  *time.Time          `json:"finishedAt"`
}

func importPath(i *domain.Import) string {
	return "/v1/customers/" + i.CustomerID + "/imports/" + i.ID
}

func viewImport(i *domain.Import) importView {
	st := "running"
	if i.Done() {
		st = "done"
	}
	return importView{ID: i.ID, CustomerID: i.CustomerID, State: st, Total: i.Total, Done: i.Counts.Sum(), Counts: i.Counts,
		RequestedBy: i.RequestedBy, CreatedAt: ts(i.CreatedAt), UpdatedAt: ts(i.UpdatedAt), FinishedAt: tsp(i.FinishedAt)}
}

type dryRowView struct {
	Row     int    `json:"row"`
	Email   string `json:"email"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
}

type dryRunView struct {
	DryRun bool              `json:"dryRun"`
	Total  int               `json:"total"`
	Counts imports.DryCounts `json:"counts"`
	Rows   []dryRowView      `json:"rows"`
}

// CreateImport: POST /v1/customers/{customerId}/imports (text/csv). With
// ?dryRun=true, 200 with what each row would do; otherwise 202 with the
// import and its Location.
func CreateImport(s *Services) httpapi.Endpoint {
	return s.inScope(func(ctx context.Context, r *httpapi.Request, c *access.Caller, sc members.Scope) (*httpapi.Response, error) {
		q, err := r.Query("dryRun")
		if err != nil {
			return nil, err
		}
		dry := false
		if v, ok := q["dryRun"]; ok {
			if dry, err = strconv.ParseBool(v); err != nil {
				return nil, httpapi.Invalid(httpapi.Field("dryRun", "invalid", "dryRun must be true or false."))
			}
		}
		body, err := r.File("text/csv")
		if err != nil {
			return nil, err
		}
		if dry {
			rep, err := s.Imports.DryRun(ctx, c, sc, body)
			if err != nil {
				return nil, err
			}
			out := dryRunView{DryRun: true, Total: rep.Total, Counts: rep.Counts, Rows: make([]dryRowView, len(rep.Rows))}
			for i, row := range rep.Rows {
				out.Rows[i] = dryRowView{Row: row.N, Email: row.Email, Outcome: row.Outcome, Reason: row.Reason}
			}
			return httpapi.OK(out), nil
		}
		imp, err := s.Imports.Start(ctx, c, sc, body)
		if err != nil {
			return nil, err
		}
		r.LogAttrs("import", imp.ID, "rows", imp.Total)
		return &httpapi.Response{Status: http.StatusAccepted, Body: viewImport(&imp),
			Headers: map[string]string{"Location": importPath(&imp)}}, nil
	})
}

// GetImport: GET /v1/customers/{customerId}/imports/{importId}.
func GetImport(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireUserManager, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		imp, err := s.Imports.Get(ctx, c, cid, r.Path("importId"))
		if err != nil {
			return nil, err
		}
		return httpapi.OK(viewImport(&imp)), nil
	})
}

// The columns of an import's outcomes.
var outcomeColumns = []string{"row", "email", "outcome", "reason", "userId"}

// GetImportOutcomes: GET /v1/customers/{customerId}/imports/{importId}/outcomes,
// every row with its outcome as CSV, once the import has ended (409
// import_running before). Values are neutralised as in the exports.
func GetImportOutcomes(s *Services) httpapi.Endpoint {
	return s.inCustomer((*access.Caller).RequireUserManager, func(ctx context.Context, r *httpapi.Request, c *access.Caller, cid string) (*httpapi.Response, error) {
		imp, rows, err := s.Imports.Outcomes(ctx, c, cid, r.Path("importId"))
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.UseCRLF = true
		_ = w.Write(outcomeColumns)
		for _, row := range rows {
			cells := []string{strconv.Itoa(row.N), row.Email, row.Outcome, row.Reason, row.UserID}
			for j := range cells {
				cells[j] = neutralise(cells[j])
			}
			_ = w.Write(cells)
		}
		w.Flush()
		return &httpapi.Response{Status: http.StatusOK, Raw: b.Bytes(), ContentType: "text/csv; charset=utf-8", Headers: map[string]string{
			"Content-Disposition": `attachment; filename="import-` + strings.TrimPrefix(imp.ID, domain.PrefixImport+"_") + `-outcomes.csv"`,
		}}, nil
	})
}
