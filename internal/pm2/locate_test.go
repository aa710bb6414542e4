package pm2

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pm2dock/pm2dock/internal/exitcode"
)

func fakeWorkspace(t *testing.T, version string) string {
	t.Helper()
	root := t.TempDir()
	pkg := filepath.Join(root, "node_modules", "pm2")
	must(t, os.MkdirAll(filepath.Join(pkg, "bin"), 0o755))
	must(t, os.WriteFile(filepath.Join(pkg, "package.json"), []byte(`{"name":"pm2","version":"`+version+`"}`), 0o644))
	must(t, os.WriteFile(filepath.Join(pkg, "bin", "pm2"), []byte("#!/bin/false\n"), 0o755))
	must(t, os.MkdirAll(filepath.Join(root, "node_modules", ".bin"), 0o755))
	must(t, os.Symlink("../pm2/bin/pm2", filepath.Join(root, "node_modules", ".bin", "pm2")))
	return root
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestLocatePrefersWorkspaceFromASubfolder(t *testing.T) {
	root := fakeWorkspace(t, "7.0.4")
	sub := filepath.Join(root, "apps", "api")
	must(t, os.MkdirAll(sub, 0o755))
	b, err := Locate(sub, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if b.Source != "workspace" || b.Version != "7.0.4" || b.Path != filepath.Join(root, "node_modules", ".bin", "pm2") {
		t.Fatalf("got %+v", b)
	}
}

func TestLocateMissingIsExit8(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Locate(t.TempDir(), func(string) string { return "" })
	if exitcode.FromError(err) != exitcode.PM2Missing {
		t.Fatalf("err = %v (code %d), want exit 8", err, exitcode.FromError(err))
	}
}

func TestLocateExplicitBadPath(t *testing.T) {
	env := map[string]string{"PM2DOCK_PM2": "/nonexistent/pm2"}
	_, err := Locate(t.TempDir(), func(k string) string { return env[k] })
	if exitcode.FromError(err) != exitcode.PM2Missing {
		t.Fatalf("err = %v, want exit 8", err)
	}
}
