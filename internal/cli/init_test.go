package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pm2dock/pm2dock/internal/iostreams"
)

func TestInitFlagsReachOptions(t *testing.T) {
	io, _, _ := iostreams.Test()
	var got *InitOptions
	cmd := NewCmdInit(NewFactory(io), func(o *InitOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--nx", "--project-json", "--project", "infra", "--pm2dock", "tools/pm2dock", "--force"})
	if err := cmd.Execute(); err != nil || got == nil || !got.Nx || !got.Project || !got.Force || got.Name != "infra" || got.PM2Dock != "tools/pm2dock" {
		t.Fatalf("err %v, options %+v", err, got)
	}
}

// initWorkspace is an Nx workspace with a compose project in services/.
func initWorkspace(t *testing.T) (ws, svc string) {
	t.Helper()
	ws = t.TempDir()
	svc = filepath.Join(ws, "services")
	os.MkdirAll(svc, 0o755)
	os.WriteFile(filepath.Join(ws, "nx.json"), []byte("{}\n"), 0o644)
	os.WriteFile(filepath.Join(svc, "compose.yaml"), []byte(
		"name: t\nservices:\n  db:\n    image: x\n    environment: {P: \"${P:?set P}\"}\n"), 0o644)
	return ws, svc
}

func runInit(t *testing.T, ws string, args ...string) (int, string, string) {
	t.Helper()
	io, out, errOut := iostreams.Test()
	f := NewFactory(io)
	f.Environ = func() []string { return []string{"PATH=/usr/bin:/bin"} }
	f.Executable = func() (string, error) { return filepath.Join(ws, "bin", "pm2dock"), nil }
	return Run(context.Background(), f, append([]string{"init"}, args...)), out.String(), errOut.String()
}

func TestInitWritesTheProfileOnceAndTheNxProjectIdempotently(t *testing.T) {
	ws, svc := initWorkspace(t)
	if code, out, errOut := runInit(t, ws, "--dir", svc); code != 0 || !strings.Contains(out, "1 service (db)") {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	profile, _ := os.ReadFile(filepath.Join(svc, "pm2dock.yaml"))
	if code, _, errOut := runInit(t, ws, "--dir", svc); code != 2 || !strings.Contains(errOut, "--force") {
		t.Fatalf("second init: exit %d, %s; want 2 suggesting --force", code, errOut)
	}
	code, out, errOut := runInit(t, ws, "--dir", svc, "--nx", "--project-json")
	if code != 0 || !strings.Contains(out, "kept") || !strings.Contains(out, "created") || !strings.Contains(out, "bin/pm2dock") {
		t.Fatalf("init --nx: exit %d\n%s%s", code, out, errOut)
	}
	pj, _ := os.ReadFile(filepath.Join(svc, "project.json"))
	if !strings.Contains(string(pj), `"start-db": {`) || !strings.Contains(string(pj), `"command": "bin/pm2dock --dir=services start db"`) {
		t.Fatalf("project.json lacks start-db:\n%s", pj)
	}
	if code, out, _ := runInit(t, ws, "--dir", svc, "--nx", "--project-json"); code != 0 || !strings.Contains(out, "unchanged") {
		t.Fatalf("second init --nx: exit %d\n%s", code, out)
	}
	if again, _ := os.ReadFile(filepath.Join(svc, "pm2dock.yaml")); string(again) != string(profile) {
		t.Fatal("init --nx rewrote an existing profile")
	}
}

func TestInitUsageErrorsExit2(t *testing.T) {
	ws, svc := initWorkspace(t)
	os.Remove(filepath.Join(ws, "nx.json"))
	for _, args := range [][]string{
		{"--dir", svc, "--nx"},                   // no nx.json
		{"--dir", svc, "--project", "x"},         // --project without --nx
		{"--dir", svc, "--nx", "--project", "x"}, // --project without --project-json
		{"--dir", svc, "-f", "other.yaml"},       // -f does not apply
		{"--dir", t.TempDir()},                   // no compose file
		{"--dir", svc, "extra"},                  // no arguments
	} {
		if code, _, errOut := runInit(t, ws, args...); code != 2 || !strings.Contains(errOut, "→") {
			t.Errorf("%v: exit %d, %q; want 2 with a hint", args, code, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(svc, "pm2dock.yaml")); err == nil {
		t.Error("a failed init --nx wrote pm2dock.yaml")
	}
}

func TestInitNxRegistersThePluginOnceItIsInstalled(t *testing.T) {
	ws, svc := initWorkspace(t)
	code, _, errOut := runInit(t, ws, "--dir", svc, "--nx")
	if code != 2 || !strings.Contains(errOut, "npm i -D pm2dock") || !strings.Contains(errOut, "--project-json") {
		t.Fatalf("init --nx without the npm package: exit %d, %q; want 2 saying how to install it", code, errOut)
	}
	if nx, _ := os.ReadFile(filepath.Join(ws, "nx.json")); string(nx) != "{}\n" {
		t.Fatalf("nx.json changed by a refused init: %s", nx)
	}
	os.MkdirAll(filepath.Join(ws, "node_modules", "pm2dock"), 0o755)
	os.WriteFile(filepath.Join(ws, "node_modules", "pm2dock", "nx.js"), nil, 0o644)
	if code, out, errOut := runInit(t, ws, "--dir", svc, "--nx"); code != 0 || !strings.Contains(out, "registered the Nx plugin pm2dock/nx") {
		t.Fatalf("init --nx: exit %d\n%s%s", code, out, errOut)
	}
	want := "{\n  \"plugins\": [\n    {\n      \"plugin\": \"pm2dock/nx\"\n    }\n  ]\n}\n"
	if nx, _ := os.ReadFile(filepath.Join(ws, "nx.json")); string(nx) != want {
		t.Fatalf("nx.json\n%s\nwant\n%s", nx, want)
	}
	if code, out, _ := runInit(t, ws, "--dir", svc, "--nx"); code != 0 || !strings.Contains(out, "registered already") ||
		!strings.Contains(out, "npx nx show project "+filepath.Base(svc)+" --json") {
		t.Fatalf("second init --nx: exit %d\n%s; want the folder's name as the project's", code, out)
	}
	os.WriteFile(filepath.Join(svc, "package.json"), []byte(`{"name": "@acme/infra"}`), 0o644)
	if _, out, _ := runInit(t, ws, "--dir", svc, "--nx"); !strings.Contains(out, "npx nx show project @acme/infra --json") {
		t.Errorf("init --nx beside a package.json naming the project:\n%s\nwant that name in the hint", out)
	}
	os.Remove(filepath.Join(svc, "package.json"))
	if _, err := os.Stat(filepath.Join(svc, "project.json")); err == nil {
		t.Error("init --nx wrote project.json; the plugin infers the targets")
	}
}
