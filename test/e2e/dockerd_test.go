package e2e

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// TestFaultDockerdRestart restarts the Docker engine under attached shims. It
// runs only under PM2DOCK_FAULT_DOCKERD=1 (`make faults` sets it) and only
// where dockerd was started by scripts/provision-docker.sh, never one that a
// service manager owns.
func TestFaultDockerdRestart(t *testing.T) {
	h.Require(t)
	if os.Getenv("PM2DOCK_FAULT_DOCKERD") != "1" {
		t.Skip("restarts the Docker engine: set PM2DOCK_FAULT_DOCKERD=1 (make faults does)")
	}
	if exec.Command("systemctl", "is-active", "--quiet", "docker").Run() == nil {
		t.Skip("dockerd is managed by systemd here; not restarting it")
	}
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
	_ = before
	e.invariants("app", "app", "running")
	faultRow(t, "dockerd restarted under an attached shim", recovered, 0)
}

func restartDockerd(t *testing.T) {
	t.Helper()
	out, err := exec.Command("pgrep", "-x", "dockerd").Output()
	if err != nil {
		t.Fatalf("no dockerd to restart: %v", err)
	}
	pid, _ := strconv.Atoi(strings.Fields(string(out))[0])
	syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 200 && h.Alive(pid); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	logf, _ := os.OpenFile("/var/log/pm2dock-dockerd.log", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	cmd := exec.Command("dockerd")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dockerd again: %v", err)
	}
	cmd.Process.Release()
	for i := 0; i < 300; i++ {
		if exec.Command("docker", "info").Run() == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("dockerd did not answer within 30 s of its restart")
}
