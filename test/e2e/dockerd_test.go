package e2e

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/iostreams"
	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// TestFaultDockerdRestart restarts the Docker engine under attached shims. It
// runs only under PM2DOCK_FAULT_DOCKERD=1 (`make faults` sets it) and only
// where dockerd was started by scripts/provision-docker.sh, never one that a
// service manager owns.
func TestFaultDockerdRestart(t *testing.T) {
	requireDockerdRestart(t)
	e := seqFixture(t, "")
	e.MustRun("start", "app")
	before := e.Running("app")
	restartDockerd(t)
	restarted := time.Now()
	eventually(t, 60*time.Second, "the service is back", func() bool {
		rows, _ := e.status("app")
		return rows["app"].State == "healthy"
	})
	recovered := time.Since(restarted)
	rows, _ := e.status("app")
	if rows["app"].State != "healthy" {
		t.Fatalf("after the engine restart: %+v", rows["app"])
	}
	if st := e.State("app"); st["failures"] != nil {
		t.Errorf("an engine restart counted as a failure of the service: %v", st["failures"])
	}
	if _, err := os.Stat(e.P.Dir + "/.pm2dock/state/alerts"); err == nil {
		t.Errorf("an engine restart raised an alert")
	}
	if after := e.Running("app"); after.State.StartedAt == before.State.StartedAt {
		t.Fatalf("the container was not restarted (started %s): did the engine restart?", after.State.StartedAt)
	}
	// The journal says the engine went away and came back, and counts no exit.
	if evs := kinds(e.events("app")); !strings.Contains(evs, "engine-down/engine") || !strings.Contains(evs, "engine-up/engine") ||
		strings.Contains(evs, "exit/") {
		t.Errorf("events %s, want engine-down then engine-up and no exit", evs)
	}
	e.invariants("app", "app", "running")
	faultRow(t, "dockerd restarted under an attached shim", recovered, 0)
}

// requireDockerdRestart skips a drill that restarts the Docker engine unless
// PM2DOCK_FAULT_DOCKERD=1 (`make faults` sets it) and dockerd is not a
// service manager's.
func requireDockerdRestart(t *testing.T) {
	t.Helper()
	h.Require(t)
	if os.Getenv("PM2DOCK_FAULT_DOCKERD") != "1" {
		t.Skip("restarts the Docker engine: set PM2DOCK_FAULT_DOCKERD=1 (make faults does)")
	}
	if exec.Command("systemctl", "is-active", "--quiet", "docker").Run() == nil {
		t.Skip("dockerd is managed by systemd here; not restarting it")
	}
}

func restartDockerd(t *testing.T) {
	t.Helper()
	out, _ := exec.Command("pgrep", "-x", "dockerd").Output()
	pid := 0
	for _, f := range strings.Fields(string(out)) {
		// pgrep lists zombies too: a dockerd an earlier run started and
		// stopped is one until reaped, and signalling it restarted nothing
		// (three runs of this drill passed without a restart that way).
		if p, _ := strconv.Atoi(f); h.Alive(p) {
			pid = p
		}
	}
	if pid == 0 {
		t.Fatalf("no live dockerd to restart (pgrep: %q)", out)
	}
	syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 300 && h.Alive(pid); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if h.Alive(pid) {
		t.Fatalf("dockerd %d still runs 30 s after SIGTERM", pid)
	}
	logf, _ := os.OpenFile("/var/log/pm2dock-dockerd.log", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	cmd := exec.Command("dockerd")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dockerd again: %v", err)
	}
	go cmd.Wait() // reaped when a later run stops it: no zombie left for pgrep
	for i := 0; i < 300; i++ {
		if !h.Alive(cmd.Process.Pid) {
			t.Fatalf("the new dockerd exited at once; see /var/log/pm2dock-dockerd.log")
		}
		if exec.Command("docker", "info").Run() == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("dockerd did not answer within 30 s of its restart")
}

// TestFaultDockerdRestartDuringRestore restarts the engine while a restore
// replaces a volume: the restore stops halfway (exit 1, saying how to finish),
// nothing starts the service on the half-restored data, and the same restore
// then finishes with exactly the snapshot's rows.
func TestFaultDockerdRestartDuringRestore(t *testing.T) {
	requireDockerdRestart(t)
	e := dataStack(t)
	e.MustRun("start", "db")
	if _, code := e.psql("create table big as select i, repeat('x', 500) as pad from generate_series(1, 300000) i"); code != 0 {
		t.Fatal("create rows")
	}
	e.MustRun("snapshot", "db", "s")
	e.psql("insert into big select i, 'later' from generate_series(300001, 300100) i")
	began := time.Now()
	hit := false
	for try := 0; try < 3 && !hit; try++ {
		cmd := exec.Command(e.Bin, "restore", "db", "s", "--yes")
		cmd.Dir, cmd.Env = e.P.Dir, append(append(e.PM2.Env(), "PM2DOCK_PM2="+e.PM2.Bin), e.Env...)
		errOut := &iostreams.SyncBuffer{}
		cmd.Stdout, cmd.Stderr = errOut, errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The data phase has begun once the service's container is gone.
		eventually(t, 60*time.Second, "the restore removes the container", func() bool {
			return len(e.Containers("db")) == 0 || strings.Contains(errOut.String(), "restored")
		})
		if !strings.Contains(errOut.String(), "restored") {
			restartDockerd(t)
		}
		err := cmd.Wait()
		ee, _ := err.(*exec.ExitError)
		switch {
		case err == nil:
			t.Logf("try %d: the restore finished before the engine went away", try+1)
			e.MustRun("stop", "db")
		case ee != nil && ee.ExitCode() == 1 && strings.Contains(errOut.String(), "stopped halfway") &&
			strings.Contains(errOut.String(), "pm2dock restore db s --yes"):
			hit = true
		default:
			t.Fatalf("restore under an engine restart: %v\n%s", err, errOut.String())
		}
	}
	if !hit {
		t.Fatal("the engine restart never met a restore halfway in 3 tries")
	}
	if _, errOut, code := e.Run("start", "db"); code != 2 || !strings.Contains(errOut, "a restore of snapshot s did not finish") {
		t.Errorf("start after a restore stopped halfway: exit %d, %q", code, errOut)
	}
	e.MustRun("restore", "db", "s", "--yes")
	if out, _ := e.psql("select count(*) from big"); out != "300000" {
		t.Errorf("after finishing the restore: %s rows, want the snapshot's 300000", out)
	}
	faultRow(t, "dockerd restarted while a restore replaces a volume; the same restore again", time.Since(began), 0)
}
