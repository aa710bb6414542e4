package scaffold

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/service"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// composeDir copies testdata/name/compose.yaml into a temporary folder.
func composeDir(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// An environment without the variables the compose files require: init must
// work before secrets are set.
var bareEnv = []string{"PATH=/usr/bin:/bin"}

func TestRenderProfileGolden(t *testing.T) {
	for _, name := range []string{"devstack", "odd"} {
		t.Run(name, func(t *testing.T) {
			dir := composeDir(t, name)
			st, err := LoadStack(context.Background(), dir, bareEnv)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".pm2dock.yaml.golden", RenderProfile(st))
		})
	}
}

// The written profile is a valid profile: it loads, with the keys init chose,
// each bound to its compose service, and require_env is enforced.
func TestRenderedProfileLoads(t *testing.T) {
	dir := composeDir(t, "odd")
	st, err := LoadStack(context.Background(), dir, bareEnv)
	if err != nil {
		t.Fatal(err)
	}
	path, err := WriteProfile(dir, RenderProfile(st), false)
	if err != nil {
		t.Fatal(err)
	}
	env := append(bareEnv, "API_TOKEN=t", "SESSION_KEY=k")
	p, err := profile.Load(context.Background(), profile.Options{Dir: dir, Env: env})
	if err != nil {
		t.Fatalf("the written profile does not load: %v\n%s", err, mustRead(t, path))
	}
	want := map[string]string{"svc-123": "123", "svc-all": "all", "web-frontend": "web.frontend", "web_admin": "web_admin"}
	if got := strings.Join(service.Strings(p.Keys()), " "); got != "svc-123 svc-all web-frontend web_admin" {
		t.Fatalf("keys %q", got)
	}
	for key, compose := range want {
		s, err := p.Service(service.Key(key))
		if err != nil || s.Compose != compose {
			t.Errorf("service %s: %+v, %v; want compose service %s", key, s, err, compose)
		}
	}
	s, _ := p.Service("web-frontend")
	if strings.Join(s.RequireEnv, ",") != "API_TOKEN,SESSION_KEY" {
		t.Errorf("require_env of web-frontend-2 = %v", s.RequireEnv)
	}
	keys, err := ProfileKeys(path)
	if err != nil || strings.Join(keys, " ") != strings.Join(service.Strings(p.Keys()), " ") {
		t.Errorf("ProfileKeys = %v, %v; want the profile's %v", keys, err, p.Keys())
	}
}

func TestWriteProfileNeverOverwritesWithoutForce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, profile.FileName)
	if err := os.WriteFile(path, []byte("mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := WriteProfile(dir, []byte("new\n"), false)
	if exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err %v (exit %d), want exit 2 naming --force", err, exitcode.FromError(err))
	}
	if got := mustRead(t, path); got != "mine\n" {
		t.Fatalf("file changed to %q", got)
	}
	if _, err := WriteProfile(dir, []byte("new\n"), true); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if got := mustRead(t, path); got != "new\n" || st.Mode().Perm() != 0o600 {
		t.Fatalf("with force: %q mode %v, want the new text and the old mode", got, st.Mode().Perm())
	}
}

func TestLoadStackWithoutComposeFileExits2(t *testing.T) {
	_, err := LoadStack(context.Background(), t.TempDir(), bareEnv)
	if exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), "compose") {
		t.Fatalf("err %v, want exit 2 about the compose file", err)
	}
}

func TestProfileKeysRejectsUnsafeKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), profile.FileName)
	os.WriteFile(path, []byte("services:\n  db: {}\n  \"x; rm -rf ~\": {}\n"), 0o644)
	_, err := ProfileKeys(path)
	if exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), ":3:") {
		t.Fatalf("err %v, want exit 2 naming line 3", err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// The example workspace's profile is exactly what init writes (-update
// rewrites it too).
func TestExampleProfileIsInitOutput(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "nx-workspace", "services")
	st, err := LoadStack(context.Background(), dir, bareEnv)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("..", dir, profile.FileName), RenderProfile(st))
}

// Two compose services that map to one PM2 app name are an error naming both
// (the same rule as zero-config mode: profile.AppNames).
func TestInitRefusesTwoServicesOfOneAppName(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("name: clash\nservices:\n  web.frontend: {image: a}\n  web-frontend: {image: b}\n"), 0o644)
	_, err := LoadStack(context.Background(), dir, nil)
	if exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), `"web-frontend" and "web.frontend"`) {
		t.Fatalf("LoadStack = %v, want exit 2 naming both services", err)
	}
}

// A job is written like any service, with a note saying what makes it one.
func TestInitNotesJobs(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("name: j\nservices:\n  migrate: {image: m}\n  app: {image: a, depends_on: {migrate: {condition: service_completed_successfully}}}\n"), 0o644)
	st, err := LoadStack(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := string(RenderProfile(st))
	if !strings.Contains(out, "  migrate:\n") || !strings.Contains(out, "# a one-shot job (app waits for it to complete)") {
		t.Fatalf("the profile does not note the job:\n%s", out)
	}
}
