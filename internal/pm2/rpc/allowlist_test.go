package rpc

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// daemonMethods is what PM2 7.0 exposes on rpc.sock (lib/Daemon.js).
var daemonMethods = []string{
	"killMe", "profileCPU", "profileMEM", "prepare", "getMonitorData", "getSystemData",
	"startProcessId", "stopProcessId", "restartProcessId", "deleteProcessId",
	"sendLineToStdin", "softReloadProcessId", "reloadProcessId", "duplicateProcessId",
	"resetMetaProcessId", "stopWatch", "startWatch", "toggleWatch", "notifyByProcessId",
	"notifyKillPM2", "monitor", "unmonitor", "msgProcess", "sendDataToProcessId",
	"sendSignalToProcessId", "sendSignalToProcessName", "ping", "getVersion",
	"getReport", "reloadLogs",
}

func TestOnlyReadOnlyRequestsCanBeBuilt(t *testing.T) {
	for _, name := range daemonMethods {
		_, err := requestFrame(method(name), "id")
		if allowed := name == "getMonitorData"; allowed != (err == nil) {
			t.Errorf("requestFrame(%s): err = %v", name, err)
		}
		if err != nil && !errors.Is(err, ErrNotAllowed) {
			t.Errorf("requestFrame(%s): err = %v, want ErrNotAllowed", name, err)
		}
	}
	if _, err := requestFrame(listMethods, "id"); err != nil {
		t.Errorf("methods listing: %v", err)
	}
}

// TestTheWireHasOneWriter reads the package's source: the connection is
// written in send only, which writes requestFrame's output, and the only
// methods are the two allowed constants. A new write path or method has to
// come through here.
func TestTheWireHasOneWriter(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	consts := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if ok && fn.Body != nil {
				checkWrites(t, fset, fn)
			}
			if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.CONST {
				collectMethodConsts(gd, consts)
			}
		}
	}
	want := map[string]string{"callMonitorData": `"getMonitorData"`, "listMethods": `"methods"`}
	if len(consts) != len(want) || consts["callMonitorData"] != want["callMonitorData"] || consts["listMethods"] != want["listMethods"] {
		t.Errorf("method constants = %v, want %v", consts, want)
	}
}

func checkWrites(t *testing.T, fset *token.FileSet, fn *ast.FuncDecl) {
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "Write" {
			return true
		}
		if fn.Name.Name != "send" || fn.Recv == nil {
			t.Errorf("%s: %s calls Write; only (*Client).send may write", fset.Position(sel.Pos()), fn.Name.Name)
		}
		return true
	})
}

func collectMethodConsts(gd *ast.GenDecl, consts map[string]string) {
	for _, spec := range gd.Specs {
		vs := spec.(*ast.ValueSpec)
		if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "method" {
			continue
		}
		for i, name := range vs.Names {
			if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
				consts[name.Name] = lit.Value
			} else {
				consts[name.Name] = "<not a literal>"
			}
		}
	}
}
