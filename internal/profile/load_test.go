package profile

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/service"
)

const composeYAML = `
name: devstack
services:
  postgres:
    image: pm2dock-test/postgres:15
    environment:
      POSTGRES_PASSWORD: ${PGPW:?set PGPW}
      - ignored
    stop_grace_period: 20s
  zitadel:
    image: pm2dock-test/authstub:dev
    environment: [AUTH_TOKEN]
    depends_on: {postgres: {condition: service_healthy}}
`

func workspace(t *testing.T, profile string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "compose.yaml"), strings.Replace(composeYAML, "      - ignored\n", "", 1))
	if profile != "" {
		write(t, filepath.Join(dir, FileName), profile)
	}
	return dir
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func load(t *testing.T, dir string, env ...string) (*Profile, error) {
	t.Helper()
	return Load(context.Background(), Options{Dir: dir, Env: append([]string{"PGPW=x"}, env...)})
}

func TestZeroConfigManagesEveryComposeService(t *testing.T) {
	p, err := load(t, workspace(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(service.Strings(p.Keys()), ","); got != "postgres,zitadel" {
		t.Fatalf("keys %s", got)
	}
	s, _ := p.Service("postgres")
	if p.Namespace != "devstack" || s.Pull != "missing" || s.StartTimeout != 120*time.Second ||
		s.Restart.Max != 5 || s.StopGrace() != 20*time.Second {
		t.Fatalf("defaults not applied: ns %q %+v", p.Namespace, s)
	}
	if !strings.HasSuffix(string(p.StateDir), ".pm2dock/state") || !filepath.IsAbs(p.Logs.Dir) {
		t.Fatalf("dirs %s %s", p.StateDir, p.Logs.Dir)
	}
}

func TestProfileFoundFromASubfolderAndDefaultsInherited(t *testing.T) {
	dir := workspace(t, `
pm2:
  namespace: docker
defaults:
  pull: never
  restart: {max: 3, window: 1m}
services:
  db:
    service: postgres
    start_timeout: 30s
    restart: {max: 1}
  zitadel: {}
logs:
  max_size: 10MiB
`)
	sub := filepath.Join(dir, "apps", "api")
	os.MkdirAll(sub, 0o755)
	p, err := load(t, sub)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := p.Service("db")
	z, _ := p.Service("zitadel")
	if p.Namespace != "docker" || db.Compose != "postgres" || db.Pull != "never" || db.StartTimeout != 30*time.Second ||
		db.Restart.Max != 1 || db.Restart.Window != time.Minute || z.Restart.Max != 3 || z.Restart.Delay != 2*time.Second {
		t.Fatalf("db %+v zitadel %+v", db, z)
	}
	if p.Logs.MaxSize != 10<<20 || strings.Join(service.Strings(p.Keys()), ",") != "db,zitadel" {
		t.Fatalf("logs %+v keys %v", p.Logs, p.Keys())
	}
}

func TestProfileErrorsNameFileLineAndKey(t *testing.T) {
	cases := []struct{ name, profile, want string }{
		{"unknown key", "services:\n  db:\n    service: postgres\n    colour: blue\n", `:4: unknown key "colour"`},
		{"bad duration", "defaults:\n  start_timeout: soon\n", `:2: invalid duration "soon"`},
		{"unknown compose service", "services:\n  db:\n    service: mysql\n", `:2: service "db": compose has no service "mysql"`},
		{"bad key", "services:\n  ../etc:\n    service: postgres\n", `service key "../etc" is not allowed`},
		{"digits key", "services:\n  \"42\":\n    service: postgres\n", `PM2 reads an all-digit name`},
		{"bad pull", "services:\n  db:\n    service: postgres\n    pull: sometimes\n", `pull "sometimes" must be`},
	}
	for _, c := range cases {
		_, err := load(t, workspace(t, c.profile))
		if exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v (exit %d), want exit 2 containing %q", c.name, err, exitcode.FromError(err), c.want)
		}
		if err != nil && c.name != "bad key" && c.name != "digits key" && !strings.Contains(err.Error(), FileName) {
			t.Errorf("%s: error does not name the file: %v", c.name, err)
		}
	}
}

func TestComposeInterpolationErrorIsUsage(t *testing.T) {
	_, err := Load(context.Background(), Options{Dir: workspace(t, "")})
	if exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), "PGPW") {
		t.Fatalf("err %v, want exit 2 naming PGPW", err)
	}
}

func TestMissingEnvAndReferencedVars(t *testing.T) {
	p, err := load(t, workspace(t, "services:\n  db:\n    service: postgres\n    require_env: [PGPW, OTHER]\n"))
	if err != nil {
		t.Fatal(err)
	}
	db, _ := p.Service("db")
	err = p.MissingEnv(db)
	if exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), "OTHER") || strings.Contains(err.Error(), "PGPW,") {
		t.Fatalf("MissingEnv = %v", err)
	}
	vars := strings.Join(p.ReferencedVars(), ",")
	for _, want := range []string{"PGPW", "AUTH_TOKEN", "OTHER", "COMPOSE_PROJECT_NAME"} {
		if !strings.Contains(vars, want) {
			t.Errorf("ReferencedVars %s lacks %s", vars, want)
		}
	}
	if _, err := p.Service("nope"); exitcode.FromError(err) != exitcode.Usage {
		t.Errorf("unknown service: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"4096": 4096, "64MiB": 64 << 20, "1GiB": 1 << 30, "500MB": 500e6, "2 KiB": 2048} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1XB", "MiB", "99999999999999999999GiB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

// A view (status) reads the same project, and reads one whose compose file
// breaks the schema mid-edit; the commands that act refuse it.
func TestViewSkipsOnlyTheComposeSchema(t *testing.T) {
	dir := workspace(t, "services:\n  db: {service: postgres}\n")
	full, err := load(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	view, err := Load(context.Background(), Options{Dir: dir, Env: []string{"PGPW=x"}, View: true})
	if err != nil {
		t.Fatal(err)
	}
	fs, _ := full.Service("db")
	vs, _ := view.Service("db")
	if view.Project.Name != full.Project.Name || view.Namespace != full.Namespace || vs.Compose != fs.Compose ||
		vs.StopGrace() != fs.StopGrace() || strings.Join(service.Strings(view.Keys()), ",") != strings.Join(service.Strings(full.Keys()), ",") {
		t.Fatalf("view %q %q %+v differs from the full load %q %q %+v", view.Project.Name, view.Namespace, vs, full.Project.Name, full.Namespace, fs)
	}
	write(t, filepath.Join(dir, "compose.yaml"), strings.Replace(composeYAML, "      - ignored\n", "", 1)+"    healthchek: {}\n")
	if _, err := load(t, dir); exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), "healthchek") {
		t.Fatalf("full load of a schema error: %v, want exit 2 naming the key", err)
	}
	if _, err := Load(context.Background(), Options{Dir: dir, Env: []string{"PGPW=x"}, View: true}); err != nil {
		t.Fatalf("view of a compose file mid-edit: %v", err)
	}
	if _, err := Load(context.Background(), Options{Dir: dir, View: true}); exitcode.FromError(err) != exitcode.Usage {
		t.Fatalf("view still interpolates: %v, want exit 2 for the missing PGPW", err)
	}
}

// Compose refuses an empty project name only when it validates: a view must
// refuse it too, or status would match apps of any namespace.
func TestViewRefusesAnEmptyProjectName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "___")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "compose.yaml"), "services:\n  db: {image: x}\n")
	for _, view := range []bool{false, true} {
		_, err := Load(context.Background(), Options{Dir: dir, View: view})
		if exitcode.FromError(err) != exitcode.Usage || !strings.Contains(err.Error(), "project name") {
			t.Errorf("view %v: err %v, want exit 2 about the project name", view, err)
		}
	}
}
