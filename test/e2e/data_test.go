package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// dataStack is a PostgreSQL with its own volume, an app that depends on it,
// and a fixture with a volume of its own that a reset of db must not touch.
func dataStack(t *testing.T) *stackEnv {
	t.Helper()
	h.Require(t)
	h.RequireImage(t, h.PostgresImage)
	h.RequireImage(t, h.FixtureImage)
	e := newStack(t, fmt.Sprintf(`
services:
  db:
    image: %s
    environment: {POSTGRES_USER: app, POSTGRES_DB: app, POSTGRES_PASSWORD: "${POSTGRES_PASSWORD:?}"}
    volumes: [pgdata:/var/lib/postgresql/data]
    stop_grace_period: 10s
    healthcheck: {test: ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", "app", "-q"], interval: 500ms, retries: 60}
  app:
    image: %s
    stop_grace_period: 2s
    depends_on: {db: {condition: service_healthy}}
    healthcheck: {test: ["CMD", "/fixture", "health"], interval: 500ms, timeout: 2s, retries: 3}
  other:
    image: %s
    stop_grace_period: 2s
    volumes: [otherdata:/data]
volumes:
  pgdata: {}
  otherdata: {}
`, h.PostgresImage, h.FixtureImage, h.FixtureImage), "")
	e.Env = []string{"POSTGRES_PASSWORD=" + pgPassword}
	return e
}

// psql runs SQL through pm2dock exec and returns its trimmed output and exit code.
func (e *stackEnv) psql(sql string) (string, int) {
	e.t.Helper()
	out, errOut, code := e.Run("exec", "db", "--", "psql", "-U", "app", "-d", "app", "-tA", "-c", sql)
	return strings.TrimSpace(out + errOut), code
}

// exec runs a command in a service's container with no terminal: output
// apart, stdin passed, the command's exit code passed through; a missing
// command is 127 with a clear error, a service without a container 6.
func TestExecRunsInTheServicesContainer(t *testing.T) {
	e := dataStack(t)
	e.MustRun("start", "db")
	if out, code := e.psql("select 6*7"); out != "42" || code != 0 {
		t.Fatalf("exec db psql: %q, exit %d", out, code)
	}
	cmd := exec.Command(e.Bin, "exec", "db", "--", "psql", "-U", "app", "-d", "app", "-tA")
	cmd.Dir, cmd.Env = e.P.Dir, append(append(e.PM2.Env(), "PM2DOCK_PM2="+e.PM2.Bin), e.Env...)
	cmd.Stdin = strings.NewReader("select 'from stdin';\n")
	if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "from stdin" {
		t.Errorf("exec with stdin: %q, %v", out, err)
	}
	out, errOut, code := e.Run("exec", "db", "--", "sh", "-c", "echo to-out; echo to-err >&2; exit 3")
	if code != 3 || out != "to-out\n" || errOut != "to-err\n" {
		t.Errorf("exec sh: exit %d, stdout %q, stderr %q; want 3, the streams apart, nothing added", code, out, errOut)
	}
	if _, errOut, code := e.Run("exec", "db", "--", "no-such-program"); code != 127 || !strings.Contains(errOut, `no such command in the container: "no-such-program"`) {
		t.Errorf("exec of a missing command: exit %d, %q", code, errOut)
	}
	if _, errOut, code := e.Run("exec", "other", "--", "ls"); code != 6 || !strings.Contains(errOut, "other has no running container") || !strings.Contains(errOut, "pm2dock start other") {
		t.Errorf("exec in a stopped service: exit %d, %q", code, errOut)
	}
	if _, errOut, code := e.Run("exec", "db", "psql"); code != 2 || !strings.Contains(errOut, "after --") {
		t.Errorf("exec without --: exit %d, %q", code, errOut)
	}
}

// reset gives db fresh data: its rows are gone, the app that depends on it
// is stopped first and started again, another service's volume and data are
// untouched, the journal says "reset by user" and no failure is counted.
func TestResetGivesAServiceFreshDataAndNothingElse(t *testing.T) {
	e := dataStack(t)
	e.MustRun("start")
	if _, code := e.psql("create table t(x int); insert into t values (1),(2),(3)"); code != 0 {
		t.Fatal("create rows")
	}
	otherVolume := strings.TrimSpace(h.Docker(t, "", "volume", "inspect", "-f", "{{.CreatedAt}}", e.P.Name+"_otherdata"))
	otherCtr := e.Running("other")
	appBefore := e.Running("app")

	plan := e.MustRun("reset", "db", "--dry-run")
	for _, want := range []string{"remove volume " + e.P.Name + "_pgdata", "remove container " + e.P.Name + "-db-1", "stop first and start again: app"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	if strings.Contains(plan, "otherdata") {
		t.Errorf("the plan names another service's volume:\n%s", plan)
	}
	if _, errOut, code := e.Run("reset", "db"); code != 2 || !strings.Contains(errOut, "--yes") {
		t.Errorf("reset without a terminal or --yes: exit %d, %q", code, errOut)
	}
	if out, _ := e.psql("select count(*) from t"); out != "3" {
		t.Fatalf("after a dry run and a refused reset: %q rows, want 3", out)
	}

	e.MustRun("reset", "db", "--yes")
	if out, code := e.psql("select count(*) from t"); code == 0 || !strings.Contains(out, `relation "t" does not exist`) {
		t.Errorf("after reset: %q (exit %d), want no table t", out, code)
	}
	rows, _ := e.status()
	for _, k := range []string{"db", "app", "other"} {
		if rows[k].State != "healthy" && !(k == "other" && rows[k].State == "running") {
			t.Errorf("%s is %s after the reset", k, rows[k].State)
		}
	}
	if rows["db"].LastFailure != nil {
		t.Errorf("the reset was counted as a failure: %+v", rows["db"].LastFailure)
	}
	if now := e.Running("app"); now.State.StartedAt == appBefore.State.StartedAt {
		t.Error("app, which depends on db, was not restarted")
	}
	if now := e.Running("other"); now.ID != otherCtr.ID || now.State.StartedAt != otherCtr.State.StartedAt {
		t.Error("other's container was touched")
	}
	if v := strings.TrimSpace(h.Docker(t, "", "volume", "inspect", "-f", "{{.CreatedAt}}", e.P.Name+"_otherdata")); v != otherVolume {
		t.Errorf("other's volume was recreated: %s, was %s", v, otherVolume)
	}
	evs := e.events("db")
	if n := count(evs, "reset"); n != 1 || count(evs, "exit") != 0 || count(evs, "crash-loop") != 0 {
		t.Errorf("db's journal: %s; want one reset, no exit or crash loop", kinds(evs))
	}
	if r := has(evs, "reset"); r == nil || *r.By != "user" || !strings.Contains(*r.Reason, "removed volume "+e.P.Name+"_pgdata") {
		t.Errorf("the reset event: %+v", r)
	}
}

// A volume two services mount is refused by reset, both named, nothing changed.
func TestResetRefusesASharedVolume(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	e := newStack(t, fmt.Sprintf(`
services:
  writer: {image: %s, stop_grace_period: 2s, volumes: [shared:/data]}
  reader: {image: %s, stop_grace_period: 2s, volumes: ["shared:/data:ro"]}
volumes:
  shared: {}
`, h.FixtureImage, h.FixtureImage), "")
	e.MustRun("start")
	before := e.Running("writer")
	_, errOut, code := e.Run("reset", "writer", "--yes")
	if code != 2 || !strings.Contains(errOut, "volume shared is mounted by compose services writer and reader") {
		t.Errorf("reset of a shared volume: exit %d, %q", code, errOut)
	}
	if now := e.Running("writer"); now.ID != before.ID || now.State.StartedAt != before.State.StartedAt {
		t.Error("the refused reset touched the container")
	}
	var b bytes.Buffer
	b.WriteString(h.Docker(t, "", "volume", "ls", "-q", "--filter", "name="+e.P.Name+"_shared"))
	if strings.TrimSpace(b.String()) == "" {
		t.Error("the shared volume is gone")
	}
}

// pull says which images changed, and --restart recreates only those, through
// PM2, on the new image; a service with pull: never is skipped.
func TestPullRestartsWhatChanged(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	reg := h.StartRegistry(t)
	tag := "pm2dock/pulled:" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	ref := reg.Push(h.FixtureImage, tag)
	e := newStack(t, fmt.Sprintf(`
services:
  app: {image: %s, stop_grace_period: 2s}
  steady: {image: %s, stop_grace_period: 2s}
  pinned: {image: %s, stop_grace_period: 2s}
`, ref, h.FixtureImage, h.FixtureImage), "services:\n  app: {}\n  steady: {}\n  pinned: {pull: never}\n")
	e.MustRun("start")
	steady := e.Running("steady")
	out := e.MustRun("pull", "app")
	if !strings.Contains(out, "app: pulled "+ref+", unchanged") {
		t.Errorf("pull of an unchanged image:\n%s", out)
	}
	old := strings.TrimSpace(h.Docker(t, "", "image", "inspect", "-f", "{{.Id}}", ref))
	// New content under the same tag: the fixture with one more layer.
	ctxDir := t.TempDir()
	os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM "+h.FixtureImage+"\nLABEL pm2dock.test.version=2\n"), 0o644)
	h.Docker(t, ctxDir, "build", "-q", "-t", "pm2dock-test/fixture:pull-v2", ".")
	t.Cleanup(func() { h.TryDocker("", "rmi", "pm2dock-test/fixture:pull-v2") })
	reg.Push("pm2dock-test/fixture:pull-v2", tag)
	out = e.MustRun("pull", "app", "pinned", "--restart")
	if !strings.Contains(out, "app: pulled "+ref+", changed") || !strings.Contains(out, "pinned: skipped (pull: never)") || !strings.Contains(out, "app restarted: PM2 pid") {
		t.Errorf("pull --restart after a push:\n%s", out)
	}
	now := strings.TrimSpace(h.Docker(t, "", "image", "inspect", "-f", "{{.Id}}", ref))
	if now == old {
		t.Fatal("the tag's image did not change locally")
	}
	if c := e.Running("app"); c.Image != now {
		t.Errorf("app runs image %s, want the pulled %s", c.Image, now)
	}
	if c := e.Running("steady"); c.ID != steady.ID || c.State.StartedAt != steady.State.StartedAt {
		t.Error("pull --restart touched a service whose image did not change")
	}
	rows, _ := e.status("app")
	if rows["app"].State != "running" {
		t.Errorf("app after the restart: %s", rows["app"].State)
	}
}
