package domain

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Every action constant of the package is in Actions(), so every event the
// audit trail records is a type the schema lists and a webhook can ask for:
// a whole type ("role.created") as it is, a member's verb ("access_expired")
// for at least one kind of member.
func TestActionsListsEveryActionConstant(t *testing.T) {
	pkgs, err := parser.ParseDir(token.NewFileSet(), ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	all := Actions()
	n := 0
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.CONST {
					continue
				}
				for _, sp := range g.Specs {
					vs := sp.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if !strings.HasPrefix(name.Name, "Action") || i >= len(vs.Values) {
							continue
						}
						lit, ok := vs.Values[i].(*ast.BasicLit)
						if !ok || lit.Kind != token.STRING {
							continue
						}
						v, _ := strconv.Unquote(lit.Value)
						n++
						if strings.Contains(v, ".") {
							if !slices.Contains(all, v) {
								t.Errorf("%s = %q is not in Actions()", name.Name, v)
							}
							continue
						}
						if !slices.ContainsFunc(all, func(a string) bool { return strings.HasSuffix(a, "."+v) }) {
							t.Errorf("%s = %q is in no type of Actions()", name.Name, v)
						}
					}
				}
			}
		}
	}
	if n < 30 {
		t.Fatalf("found only %d action constants", n)
	}
}
