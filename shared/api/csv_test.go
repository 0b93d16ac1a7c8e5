package api_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
)

// csvWorld is a customer of n invited users, and the list handlers.
func csvWorld(t *testing.T, n int) (*apptest.World, domain.Customer, func(path, rawQuery, accept string) events.APIGatewayV2HTTPResponse) {
	t.Helper()
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	sc := w.Scope(domain.CustomerScope(cu.ID))
	for i := range n {
		name := fmt.Sprintf("User %04d", i)
		if i == 7 {
			name = "=SUM(A1:A9)"
		}
		if i == 8 {
			name = "@cmd"
		}
		if _, err := w.Members.Invite(w.Ctx(), w.Admin, sc, members.Invitee{Email: fmt.Sprintf("u%04d@acme.example", i), Name: &name}, nil); err != nil {
			t.Fatal(err)
		}
	}
	s := api.NewServices(w.Env)
	handlers := map[string]func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error){
		"users": api.Handler("list-users", api.ListUsers, s),
		"audit": api.Handler("list-audit-events", api.ListAuditEvents, s),
	}
	claims := w.Claims(w.Admin.Sub)
	call := func(path, rawQuery, accept string) events.APIGatewayV2HTTPResponse {
		t.Helper()
		kind := "users"
		if strings.HasSuffix(path, "/audit-events") {
			kind = "audit"
		}
		q := map[string]string{}
		vals, _ := url.ParseQuery(rawQuery)
		for k := range vals {
			q[k] = vals.Get(k)
		}
		ev := events.APIGatewayV2HTTPRequest{RawPath: path, RawQueryString: rawQuery, QueryStringParameters: q,
			Headers: map[string]string{"accept": accept}, PathParameters: map[string]string{"customerId": cu.ID}}
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
			Claims: map[string]string{"sub": claims.Sub, "token_use": claims.TokenUse, "client_id": claims.ClientID, "exp": claims.Exp}}}
		res, err := handlers[kind](w.Ctx(), ev)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	return w, cu, call
}

var nextLink = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

// The whole category arrives through the pages, in order, each row once,
// with a header on every page; formulas are neutralised.
func TestUsersExportAsCSVInPagesOfAThousand(t *testing.T) {
	const n = 10_000
	_, cu, call := csvWorld(t, n)
	path := "/v1/customers/" + cu.ID + "/users"
	query := "status=unconfirmed"
	var rows [][]string
	pages := 0
	for {
		res := call(path, query, "text/csv")
		if res.StatusCode != 200 || res.Headers["Content-Type"] != "text/csv; charset=utf-8" ||
			!strings.HasPrefix(res.Headers["Content-Disposition"], "attachment; filename=") {
			t.Fatalf("page %d: %d %v %s", pages, res.StatusCode, res.Headers, res.Body)
		}
		recs, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(recs[0], ",") != "id,email,name,status,admin,roles,portalIds,invitationState,invitationExpiresAt,delivery,createdAt,updatedAt" {
			t.Fatalf("header %v", recs[0])
		}
		if len(recs)-1 > 1000 {
			t.Fatalf("a page of %d rows", len(recs)-1)
		}
		rows = append(rows, recs[1:]...)
		pages++
		link, ok := res.Headers["Link"]
		if !ok {
			break
		}
		m := nextLink.FindStringSubmatch(link)
		if m == nil {
			t.Fatalf("Link %q", link)
		}
		u, err := url.Parse(m[1])
		if err != nil || u.Path != path || u.Query().Get("status") != "unconfirmed" {
			t.Fatalf("next page %q", m[1])
		}
		query = u.RawQuery
	}
	if pages != 10 || len(rows) != n {
		t.Fatalf("%d rows in %d pages, want %d in 10", len(rows), pages, n)
	}
	// EXPORT_CSV_TO=<file> keeps the whole export, as the console would
	// download it, to open in a spreadsheet (the README says how).
	if f := os.Getenv("EXPORT_CSV_TO"); f != "" {
		var b strings.Builder
		w := csv.NewWriter(&b)
		w.UseCRLF = true
		_ = w.Write(strings.Split("id,email,name,status,admin,roles,portalIds,invitationState,invitationExpiresAt,delivery,createdAt,updatedAt", ","))
		_ = w.WriteAll(rows)
		if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range rows {
		if want := fmt.Sprintf("u%04d@acme.example", i); r[1] != want || r[3] != "unconfirmed" || r[7] != "pending" || r[9] != "sent" {
			t.Fatalf("row %d: %v, want %s", i, r, want)
		}
	}
	if rows[7][2] != "'=SUM(A1:A9)" || rows[8][2] != "'@cmd" || rows[9][2] != "User 0009" {
		t.Fatalf("formulas not neutralised: %q %q %q", rows[7][2], rows[8][2], rows[9][2])
	}
}

func TestCSVIsAskedForAndJSONStaysTheDefault(t *testing.T) {
	_, cu, call := csvWorld(t, 3)
	path := "/v1/customers/" + cu.ID + "/users"
	for accept, csvWanted := range map[string]bool{
		"":                                   false,
		"application/json":                   false,
		"*/*":                                false,
		"text/csv":                           true,
		"text/csv, application/json;q=0.5":   true,
		"application/json, text/csv;q=0.5":   false,
		"text/csv;q=0":                       false,
		"text/html, text/csv;q=0.9, */*;q=0": true,
	} {
		res := call(path, "", accept)
		if got := strings.HasPrefix(res.Headers["Content-Type"], "text/csv"); res.StatusCode != 200 || got != csvWanted {
			t.Errorf("Accept %q: %d %s", accept, res.StatusCode, res.Headers["Content-Type"])
		}
	}
	if res := call(path, "limit=1001", "text/csv"); res.StatusCode != 400 || !strings.Contains(res.Body, "limit") {
		t.Fatalf("a page over 1,000: %d %s", res.StatusCode, res.Body)
	}
	if res := call(path, "limit=201", ""); res.StatusCode != 400 {
		t.Fatalf("a JSON page over 200: %d", res.StatusCode)
	}
	res := call("/v1/customers/"+cu.ID+"/audit-events", "", "text/csv")
	recs, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
	if err != nil || res.StatusCode != 200 || strings.Join(recs[0], ",") != "id,at,action,actorKind,actorId,actorEmail,targetKind,targetId,targetEmail" || len(recs) < 4 {
		t.Fatalf("audit export: %d %v %v", res.StatusCode, recs, err)
	}
}
