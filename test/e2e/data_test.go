package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/iostreams"
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
	// On a terminal (script(1) gives it one): a TTY in the container, keys
	// reach the command, its exit code comes back.
	tty := exec.Command("script", "-qec", e.Bin+" exec db -- sh -c 'tty; read line; echo got:$line; exit 5'", "/dev/null")
	tty.Dir, tty.Env = e.P.Dir, append(append(e.PM2.Env(), "PM2DOCK_PM2="+e.PM2.Bin), e.Env...)
	tty.Stdin = strings.NewReader("typed\n")
	ttyOut, err := tty.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 5 || !strings.Contains(string(ttyOut), "/dev/pts/") || !strings.Contains(string(ttyOut), "got:typed") {
		t.Errorf("exec on a terminal: %v\n%s\nwant exit 5, a /dev/pts TTY and the typed line", err, ttyOut)
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

// A snapshot, more writes, a restore: exactly the snapshot's rows, the
// dependent app back, the other service untouched, and PostgreSQL's log says
// it was shut down cleanly before each copy.
func TestSnapshotAndRestoreGiveBackExactlyTheSnapshot(t *testing.T) {
	e := dataStack(t)
	e.MustRun("start")
	if _, code := e.psql("create table t(x int); insert into t select generate_series(1, 1000)"); code != 0 {
		t.Fatal("create rows")
	}
	otherCtr := e.Running("other")
	out := e.MustRun("snapshot", "db", "first")
	if !strings.Contains(out, "db: snapshot first taken: 1 volume(s)") {
		t.Errorf("snapshot:\n%s", out)
	}
	if list := e.MustRun("snapshots", "db"); !strings.Contains(list, "first") || !strings.Contains(list, "pgdata") {
		t.Errorf("snapshots:\n%s", list)
	}
	e.psql("insert into t select generate_series(1001, 1500); create table later(y int)")
	if out, _ := e.psql("select count(*) from t"); out != "1500" {
		t.Fatalf("rows before the restore: %s", out)
	}
	restoredAt := time.Now()
	e.MustRun("restore", "db", "first", "--yes")
	if out, _ := e.psql("select count(*), sum(x) from t"); out != "1000|500500" {
		t.Errorf("after the restore: %q, want the snapshot's 1000 rows (sum 500500)", out)
	}
	if out, code := e.psql("select 1 from later"); code == 0 {
		t.Errorf("a table made after the snapshot survived the restore: %q", out)
	}
	rows, _ := e.status()
	if rows["db"].State != "healthy" || rows["app"].State != "healthy" {
		t.Errorf("after the restore: db %s, app %s", rows["db"].State, rows["app"].State)
	}
	if now := e.Running("other"); now.ID != otherCtr.ID || now.State.StartedAt != otherCtr.State.StartedAt {
		t.Error("another service's container was touched")
	}
	// The restored data was written by a PostgreSQL that shut down cleanly.
	clean := e.logs("db", "--since", restoredAt.UTC().Format(time.RFC3339Nano), "--grep", "database system was (shut down|interrupted)")
	if len(clean) == 0 || !strings.Contains(clean[0].Msg, "database system was shut down at") {
		t.Errorf("PostgreSQL's log after the restore: %+v, want \"database system was shut down at\"", clean)
	}
	if evs := e.events("db"); count(evs, "exit") != 0 || count(evs, "crash-loop") != 0 {
		t.Errorf("snapshot and restore were counted as failures: %s", kinds(evs))
	}

	// A restore that stopped halfway (its marker left, as an engine restart
	// or a full disk mid-extract leaves it): nothing starts the service on
	// the half-restored data, and the same restore finishes it.
	e.MustRun("stop", "db", "app")
	marker := filepath.Join(e.P.Dir, ".pm2dock", "state", "db.restoring")
	os.WriteFile(marker, []byte("first\n"), 0o644)
	if _, errOut, code := e.Run("start", "db"); code != 2 || !strings.Contains(errOut, "a restore of snapshot first did not finish") ||
		!strings.Contains(errOut, "pm2dock restore db first --yes") {
		t.Errorf("start during an unfinished restore: exit %d, %q", code, errOut)
	}
	e.MustRun("restore", "db", "first", "--yes")
	if _, err := os.Stat(marker); err == nil {
		t.Error("the finished restore left its marker")
	}
	if out, _ := e.psql("select count(*) from t"); out != "1000" {
		t.Errorf("after finishing the restore: %s rows", out)
	}

	// The same through an agent's MCP client: refused without --allow-data.
	call := mcpCall{Name: "snapshot", Arguments: map[string]any{"service": "db", "name": "via-mcp"}}
	if a := e.mcp([]string{"--allow-control"}, call)[0]; !a.IsError || !strings.Contains(a.Text, "--allow-data") {
		t.Errorf("snapshot through MCP without --allow-data: %+v", a)
	}
	if a := e.mcp([]string{"--allow-data"}, call)[0]; a.IsError || !strings.Contains(a.Text, "db: snapshot via-mcp taken") {
		t.Errorf("snapshot through MCP: %+v", a)
	}
}

// Bad input changes nothing: a name with a path, an unknown or a corrupt
// snapshot, a service without volumes of its own, a restore without --yes.
func TestSnapshotBadInputChangesNothing(t *testing.T) {
	e := dataStack(t)
	e.MustRun("start", "db", "app")
	e.psql("create table t(x int); insert into t values (1),(2)")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"snapshot", "db", "../escape"}, `snapshot name "../escape"`},
		{[]string{"snapshot", "app"}, "app has no named volume of its own"},
		{[]string{"restore", "db", "nope", "--yes"}, `db has no snapshot "nope"`},
	} {
		if _, errOut, code := e.Run(c.args...); code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
	e.MustRun("snapshot", "db", "good")
	before := e.Running("db")
	if _, errOut, code := e.Run("restore", "db", "good"); code != 2 || !strings.Contains(errOut, "--yes") {
		t.Errorf("restore without a terminal or --yes: exit %d, %q", code, errOut)
	}
	tarPath := filepath.Join(e.P.Dir, ".pm2dock", "snapshots", "db", "good", "pgdata.tar")
	f, err := os.OpenFile(tarPath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("X"), 4096)
	f.Close()
	if _, errOut, code := e.Run("restore", "db", "good", "--yes"); code != 2 || !strings.Contains(errOut, "is corrupt: pgdata.tar") {
		t.Errorf("restore of a corrupt snapshot: exit %d, %q", code, errOut)
	}
	if now := e.Running("db"); now.ID != before.ID || now.State.StartedAt != before.State.StartedAt {
		t.Error("a refused restore touched the container")
	}
	if out, _ := e.psql("select count(*) from t"); out != "2" {
		t.Errorf("rows after refused restores: %s", out)
	}
	e.MustRun("snapshots", "db", "--delete", "good")
	if list := e.MustRun("snapshots", "db"); strings.Contains(list, "good") {
		t.Errorf("deleted snapshot still listed:\n%s", list)
	}
}

// Interrupted, or on a full disk, a snapshot keeps nothing and the service
// runs again on its data, as it was.
func TestSnapshotInterruptedOrOnAFullDiskLeavesTheServiceAsItWas(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("a tmpfs mount needs root")
	}
	e := dataStack(t)
	small := filepath.Join(e.P.Dir, "small")
	os.MkdirAll(small, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", small).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", small).Run() })
	e.MustRun("start", "db", "app")
	// About 150 MB of rows: a copy long enough to be interrupted in the act.
	if _, code := e.psql("create table big as select i, repeat('x', 500) as pad from generate_series(1, 250000) i"); code != 0 {
		t.Fatal("create rows")
	}

	// Ctrl-C while the volume is being copied out.
	cmd := exec.Command(e.Bin, "snapshot", "db", "cut")
	cmd.Dir, cmd.Env = e.P.Dir, append(append(e.PM2.Env(), "PM2DOCK_PM2="+e.PM2.Bin), e.Env...)
	errOut := &iostreams.SyncBuffer{}
	cmd.Stderr = errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "the copy begins", func() bool { return strings.Contains(errOut.String(), "copying") })
	time.Sleep(100 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("interrupted snapshot: %v, want exit 130\n%s", err, errOut.String())
	}
	if entries, _ := os.ReadDir(filepath.Join(e.P.Dir, ".pm2dock", "snapshots", "db")); len(entries) != 0 {
		t.Errorf("an interrupted snapshot left %v", entries)
	}
	rows, _ := e.status("db", "app")
	if rows["db"].State != "healthy" || rows["app"].State != "healthy" {
		t.Errorf("after an interrupted snapshot: db %s, app %s", rows["db"].State, rows["app"].State)
	}

	// A snapshot folder on a disk too small for it.
	os.WriteFile(filepath.Join(e.P.Dir, "pm2dock.yaml"), []byte("snapshot_dir: small\n"), 0o644)
	_, stderr, code := e.Run("snapshot", "db", "full")
	if code == 0 || !strings.Contains(stderr, "no space left on device") {
		t.Errorf("snapshot onto a full disk: exit %d, %q", code, stderr)
	}
	if entries, _ := os.ReadDir(filepath.Join(small, "db")); len(entries) != 0 {
		t.Errorf("a snapshot on a full disk left %v", entries)
	}
	if out, _ := e.psql("select count(*) from big"); out != "250000" {
		t.Errorf("rows after the failed snapshots: %s", out)
	}
	rows, _ = e.status("db", "app")
	if rows["db"].State != "healthy" || rows["app"].State != "healthy" {
		t.Errorf("after a snapshot on a full disk: db %s, app %s", rows["db"].State, rows["app"].State)
	}
}
