package api_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/openapi"
	"github.com/portalaccess/portalaccess/shared/routes"
)

const root = "../.."

// The route table, the operations, the functions' mains, the sample events
// and the OpenAPI document must agree, so that what the CDK stack deploys,
// what the local gateway serves and what the contract says are one thing.
func TestRouteTableOperationsMainsEventsAndOpenAPIAgree(t *testing.T) {
	all := append(append([]routes.Route{}, routes.Table...), routes.Tasks...)
	seen := map[string]bool{}
	for _, rt := range all {
		if seen[rt.Function] {
			t.Errorf("function %s appears twice", rt.Function)
		}
		seen[rt.Function] = true
		op, ok := api.Operations[rt.Function]
		if !ok && rt.Method != "" {
			t.Errorf("%s: no operation", rt.Function)
			continue
		}
		if rt.Method == "" {
			if _, err := os.Stat(filepath.Join(root, "events", rt.Function+".json")); err != nil {
				t.Errorf("%s: no sample event", rt.Function)
			}
		}
		checkMain(t, rt, op)
		if rt.Method != "" {
			checkEvent(t, rt)
		}
	}
	for name := range api.Operations {
		if !seen[name] {
			t.Errorf("operation %s has no route", name)
		}
	}
	dirs, _ := os.ReadDir(filepath.Join(root, "functions"))
	for _, d := range dirs {
		if !seen[d.Name()] {
			t.Errorf("functions/%s is in no route", d.Name())
		}
	}

	v, err := openapi.New()
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, r := range v.Routes() {
		documented[r.Method+" "+r.Path] = true
	}
	for _, rt := range routes.Table {
		if !documented[rt.Method+" "+strings.ReplaceAll(rt.Path, "+}", "}")] {
			t.Errorf("%s %s is not in the OpenAPI document", rt.Method, rt.Path)
		}
	}
}

func funcName(f any) string {
	full := runtime.FuncForPC(reflect.ValueOf(f).Pointer()).Name()
	return full[strings.LastIndex(full, ".")+1:]
}

func checkMain(t *testing.T, rt routes.Route, op api.Operation) {
	t.Helper()
	path := filepath.Join(root, "functions", rt.Function, "main.go")
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	var call *ast.CallExpr
	ast.Inspect(f, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "Start") {
				call = c
			}
		}
		return true
	})
	if call == nil || len(call.Args) < 1 || (rt.Method != "" && len(call.Args) < 2) {
		t.Errorf("%s: no lambdafn.Start call", path)
		return
	}
	if lit, ok := call.Args[0].(*ast.BasicLit); !ok || lit.Value != strconv.Quote(rt.Function) {
		t.Errorf("%s: starts under another name", path)
	}
	optArgs := call.Args[1:]
	if rt.Method != "" { // a route: the operation comes first
		if sel, ok := call.Args[1].(*ast.SelectorExpr); !ok || sel.Sel.Name != funcName(op) {
			t.Errorf("%s: does not run api.%s", path, funcName(op))
		}
		optArgs = call.Args[2:]
	}
	var got, want []string
	for _, a := range optArgs {
		if sel, ok := a.(*ast.SelectorExpr); ok {
			got = append(got, sel.Sel.Name)
		}
	}
	switch {
	case rt.ManagesAppClients():
		want = append(want, "Clients")
	case len(rt.Identity) > 0:
		want = append(want, "Cognito")
	}
	if rt.Mail {
		want = append(want, "SES")
	}
	if rt.Queue != "" && rt.Trigger != routes.TriggerQueue {
		want = append(want, "SQS") // it sends to the queue
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s: builds %v, but the route needs %v", path, got, want)
	}
	if (pkgOf(call) == "public") != (rt.Public && rt.Table == routes.TableNone) {
		t.Errorf("%s: public.Start is for functions that use no AWS service", path)
	}
}

func pkgOf(c *ast.CallExpr) string {
	if id, ok := c.Fun.(*ast.SelectorExpr).X.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

func checkEvent(t *testing.T, rt routes.Route) {
	t.Helper()
	path := filepath.Join(root, "events", rt.Function+".json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("no sample event: %v", err)
		return
	}
	var ev struct {
		Version        string `json:"version"`
		RouteKey       string `json:"routeKey"`
		RequestContext struct {
			Authorizer *struct{} `json:"authorizer"`
		} `json:"requestContext"`
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	if ev.Version != "2.0" || ev.RouteKey != rt.Method+" "+rt.Path {
		t.Errorf("%s: routeKey %q, version %q", path, ev.RouteKey, ev.Version)
	}
	if (ev.RequestContext.Authorizer == nil) != (rt.Public || rt.OwnToken) {
		t.Errorf("%s: an authorizer only on protected routes", path)
	}
}
