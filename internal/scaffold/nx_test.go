package scaffold

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pm2dock/pm2dock/internal/exitcode"
)

// nxWorkspace makes ROOT/nx.json, ROOT/services/ and a pm2dock executable at
// ROOT/tools/pm2dock; it returns the root and the services folder.
func nxWorkspace(t *testing.T) (string, string) {
	t.Helper()
	ws := t.TempDir()
	svc := filepath.Join(ws, "services")
	for _, d := range []string{svc, filepath.Join(ws, "tools")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(ws, "nx.json"), []byte("{}\n"), 0o644)
	os.WriteFile(filepath.Join(ws, "tools", "pm2dock"), []byte("#!/bin/sh\n"), 0o755)
	return ws, svc
}

func nxOptions(ws, dir string) NxOptions {
	return NxOptions{Dir: dir, Exe: filepath.Join(ws, "tools", "pm2dock"), Keys: []string{"db", "auth"}}
}

func TestNxProjectCreatedGolden(t *testing.T) {
	ws, dir := nxWorkspace(t)
	res, err := WriteNxProject(nxOptions(ws, dir))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || !res.Changed || res.Project != "services" || res.Bin != "tools/pm2dock" || len(res.Targets) != 27 { // 13 for the stack, 7 per service
		t.Fatalf("result %+v", res)
	}
	golden(t, "project.json.golden", []byte(mustRead(t, res.Path)))
}

// The user's own target, fields, comments and formatting survive an update;
// generated targets are brought up to date in place; a second run changes
// nothing.
func TestNxProjectUpdateKeepsTheUsersBytes(t *testing.T) {
	ws, dir := nxWorkspace(t)
	user := mustRead(t, filepath.Join("testdata", "update.project.json"))
	path := filepath.Join(dir, "project.json")
	os.WriteFile(path, []byte(user), 0o644)
	res, err := WriteNxProject(nxOptions(ws, dir))
	if err != nil {
		t.Fatal(err)
	}
	after := mustRead(t, path)
	golden(t, "update.project.json.golden", []byte(after))
	if res.Created || !res.Changed || res.Bin != "node_modules/.bin/pm2dock" || res.BinSource != "project.json" {
		t.Fatalf("result %+v: want an update keeping the recorded pm2dock", res)
	}
	for _, kept := range []string{
		"\"hello\": { \"executor\": \"nx:run-commands\", \"options\": { \"command\": \"echo hello\" } }",
		"// the team's own notes",
		"\"tags\": [\"infra\", \"db\"]",
		"\"dependsOn\": [\"^build\"]",
		"\"env\": { \"PGPORT\": \"5433\" }",
	} {
		if !strings.Contains(after, kept) {
			t.Errorf("update lost %q", kept)
		}
	}
	if strings.Index(after, "\"hello\"") > strings.Index(after, "\"stop\"") {
		t.Error("the user's target moved after the appended ones")
	}
	again, err := WriteNxProject(nxOptions(ws, dir))
	if err != nil || again.Changed || mustRead(t, path) != after {
		t.Fatalf("second run: %+v, %v; want no change", again, err)
	}
}

func TestNxProjectRefusesToReplaceForeignTargets(t *testing.T) {
	ws, dir := nxWorkspace(t)
	path := filepath.Join(dir, "project.json")
	src := "{\"name\": \"services\", \"targets\": {\"start\": {\"executor\": \"nx:run-commands\", \"options\": {\"command\": \"npm start\"}}}}\n"
	os.WriteFile(path, []byte(src), 0o644)
	_, err := WriteNxProject(nxOptions(ws, dir))
	if exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), "start") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err %v, want exit 2 naming start and --force", err)
	}
	if mustRead(t, path) != src {
		t.Fatal("project.json changed although init refused")
	}
	o := nxOptions(ws, dir)
	o.Force = true
	if _, err := WriteNxProject(o); err != nil || !strings.Contains(mustRead(t, path), "tools/pm2dock --dir=services start\"") {
		t.Fatalf("with --force: %v\n%s", err, mustRead(t, path))
	}
}

func TestNxProjectNameAndWorkspaceErrors(t *testing.T) {
	ws, dir := nxWorkspace(t)
	o := nxOptions(ws, dir)
	o.Project = "api:x"
	if _, err := WriteNxProject(o); exitcode.FromError(err) != exitcode.Usage {
		t.Errorf("bad --project: %v", err)
	}
	o.Project = "infra"
	if _, err := WriteNxProject(o); err != nil {
		t.Fatal(err)
	}
	o.Project = "other"
	if _, err := WriteNxProject(o); exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), "infra") {
		t.Errorf("--project other on project infra: %v", err)
	}
	if _, err := WorkspaceRoot(t.TempDir()); exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), "nx.json") {
		t.Errorf("outside a workspace: %v", err)
	}
}

func TestNxProjectReportsStaleServiceTargets(t *testing.T) {
	ws, dir := nxWorkspace(t)
	if _, err := WriteNxProject(nxOptions(ws, dir)); err != nil {
		t.Fatal(err)
	}
	o := nxOptions(ws, dir)
	o.Keys = []string{"db"}
	res, err := WriteNxProject(o)
	if err != nil || strings.Join(res.Stale, " ") != "events-auth logs-auth restart-auth start-auth status-auth stop-auth wait-auth" {
		t.Fatalf("stale %v, %v", res.Stale, err)
	}
}

func TestRecordedBin(t *testing.T) {
	install := t.TempDir() // holds node_modules/nx: the repository
	ws := filepath.Join(install, "examples", "ws")
	os.MkdirAll(filepath.Join(install, "node_modules", "nx"), 0o755)
	os.WriteFile(filepath.Join(install, "node_modules", "nx", "package.json"), []byte("{}"), 0o644)
	os.MkdirAll(ws, 0o755)
	cases := []struct{ flag, recorded, exe, want, source string }{
		{"bin/x", "old", "/e", "bin/x", "--pm2dock"},
		{"", "../../bin/pm2dock", "/elsewhere/pm2dock", "../../bin/pm2dock", "project.json"},
		{"", "", filepath.Join(install, "bin", "pm2dock"), "../../bin/pm2dock", "this executable"},
		{"", "", "/usr/local/bin/pm2dock", "/usr/local/bin/pm2dock", "this executable"},
	}
	for _, c := range cases {
		if bin, src := RecordedBin(c.flag, c.recorded, ws, c.exe); bin != c.want || src != c.source {
			t.Errorf("%+v: got %s (%s)", c, bin, src)
		}
	}
	os.MkdirAll(filepath.Join(ws, "node_modules", ".bin"), 0o755)
	os.WriteFile(filepath.Join(ws, "node_modules", ".bin", "pm2dock"), []byte("#!/bin/sh\n"), 0o755)
	if bin, src := RecordedBin("", "", ws, "/usr/local/bin/pm2dock"); bin != "node_modules/.bin/pm2dock" || src != "node_modules/.bin" {
		t.Errorf("with node_modules/.bin/pm2dock: %s (%s)", bin, src)
	}
}

// What ShellWord produces reaches a program as the same single argument
// through a real shell, and generated commands are recognised as generated.
func TestShellWordThroughARealShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, s := range []string{"../../bin/pm2dock", "/opt/my tools/pm2dock", "it's", "$(rm -rf ~)", "a'b'c", "`x`;y|z", "*"} {
		out, err := exec.Command(sh, "-c", "printf '%s' "+ShellWord(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("%q → %s → %q, %v", s, ShellWord(s), out, err)
		}
		if back, ok := unshellWord(ShellWord(s)); !ok || back != s {
			t.Errorf("unshellWord(ShellWord(%q)) = %q, %v", s, back, ok)
		}
		cmd := command(s, "my services", "logs", "db")
		if bin, ok := generatedBin(cmd, "my services", "logs", "db"); !ok || bin != s {
			t.Errorf("generatedBin(%q) = %q, %v", cmd, bin, ok)
		}
	}
}
