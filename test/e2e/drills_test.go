package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// Drills of issue 16: faults from outside pm2dock that a team's day brings.

// failures is how many failures the service's state file counts in its
// restart window.
func (e *stackEnv) failures(key string) int {
	e.t.Helper()
	f, _ := e.State(key)["failures"].([]any)
	return len(f)
}

// healthyAgain waits until the service runs one healthy container in a run
// other than old's (another container, or old started again), and returns how
// long that took from since.
func (e *stackEnv) healthyAgain(svc string, old container, since time.Time, d time.Duration) time.Duration {
	e.t.Helper()
	eventually(e.t, d, svc+" healthy in a new run", func() bool {
		cs := e.Containers(svc)
		return len(cs) == 1 && (cs[0].ID != old.ID || cs[0].State.StartedAt != old.State.StartedAt) &&
			cs[0].State.Running && cs[0].State.Health != nil && cs[0].State.Health.Status == "healthy"
	})
	return time.Since(since)
}

// A container removed by hand (docker rm -f) is a failure of the service:
// counted, journaled, and a new container replaces it through the restart
// policy; never two, never none for long.
func TestFaultContainerRemovedByHand(t *testing.T) {
	e := fixtureApp(t, "2s", "", "services:\n  app:\n    restart: {max: 5, window: 1m, delay: 1s}\n")
	e.MustRun("start", "app")
	old := e.Running("app")
	removed := time.Now()
	h.Docker(t, "", "rm", "-f", old.ID)
	recovered := e.healthyAgain("app", old, removed, 30*time.Second)
	e.invariants("app", "app", "running")
	if n := e.failures("app"); n != 1 {
		t.Errorf("the removal counted %d failures, want 1", n)
	}
	recs := e.events("app")
	if ex := has(recs, "exit"); ex == nil || *ex.By != "engine" {
		t.Errorf("events %s: want the removed container's exit, by the engine", kinds(recs))
	}
	if re := has(recs, "restart"); re == nil || *re.By != "policy" {
		t.Errorf("events %s: want the restart policy's restart", kinds(recs))
	}
	faultRow(t, "container removed by hand (docker rm -f)", recovered, 0)
}

// The project taken down behind PM2's back (docker compose down: containers
// and the network removed) comes back by itself: each shim sees its
// container go, and the restart brings up the network and a new container.
func TestFaultComposeDownWhilePM2Supervises(t *testing.T) {
	e := fixtureApp(t, "2s", "", "services:\n  app:\n    restart: {max: 5, window: 1m, delay: 1s}\n")
	e.MustRun("start", "app")
	old := e.Running("app")
	down := time.Now()
	cmd := exec.Command("docker", "compose", "down")
	cmd.Dir = e.P.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker compose down: %v\n%s", err, out)
	}
	recovered := e.healthyAgain("app", old, down, 45*time.Second)
	e.invariants("app", "app", "running")
	if n := e.failures("app"); n != 1 {
		t.Errorf("compose down counted %d failures, want 1", n)
	}
	faultRow(t, "project taken down by docker compose down under PM2", recovered, 0)
}

// The image removed while the service runs, then a crash: the next shim
// finds no image (pull: never) and fails once with exit 3 and the image's
// name; PM2 does not loop on it, and status says why.
func TestFaultImageRemovedThenACrash(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	e0 := newStack(t, "", "")
	tag := "pm2dock-test/fixture-drill:" + strings.ToLower(e0.P.Name)
	h.Docker(t, "", "tag", h.FixtureImage, tag)
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })
	e := e0
	e.P.WriteFile("compose.yaml", fmt.Sprintf(`name: %s
services:
  app:
    image: %s
    stop_grace_period: 2s
    healthcheck: {test: ["CMD", "/fixture", "health"], interval: 300ms, timeout: 2s, retries: 1}
`, e.P.Name, tag))
	e.P.WriteFile("pm2dock.yaml", "defaults: {pull: never}\nservices:\n  app:\n    restart: {max: 5, window: 1m, delay: 1s}\n")
	e.MustRun("start", "app")
	h.Docker(t, "", "rmi", "-f", tag) // the tag goes; the running container keeps its layers
	crashed := time.Now()
	h.Docker(t, "", "kill", e.Running("app").ID)
	eventually(t, 30*time.Second, "the start without an image failed", func() bool {
		st := e.State("app")
		return st["phase"] == "failed"
	})
	took := time.Since(crashed)
	time.Sleep(3 * time.Second) // PM2 would have restarted it by now, were it looping
	app := e.PM2.App("app")
	if app == nil || app.PM2Env.Status != "stopped" || app.PM2Env.RestartTime > 1 {
		t.Fatalf("PM2 app %+v, want stopped after one restart (exit 3 is not restarted)", app)
	}
	if code := e.State("app")["exit_code"]; code != float64(3) {
		t.Errorf("shim exit code %v, want 3 (image missing)", code)
	}
	rows, _ := e.status("app")
	f := rows["app"].LastFailure
	if rows["app"].State != "failed" || f == nil || !strings.Contains(f.Reason, tag) {
		t.Errorf("status %s, last failure %+v: want failed, naming the image %s", rows["app"].State, f, tag)
	}
	e.invariants("app", "app", "") // none running, none orphaned; status says failed (above)
	faultRow(t, "image removed while running, then a crash (exit 3 once)", took, 0)
}

// The engine down when `pm2dock start` runs: exit 7 at once with what to
// do, and nothing half done: no app registered with PM2, no state written.
func TestFaultEngineDownAtStart(t *testing.T) {
	e := fixtureApp(t, "2s", "", "")
	e.Env = append(e.Env, "DOCKER_HOST=unix://"+t.TempDir()+"/dockerd-is-down.sock")
	t0 := time.Now()
	_, errOut, code := e.Run("start", "app")
	took := time.Since(t0)
	if code != 7 || !strings.Contains(errOut, "Docker engine") {
		t.Fatalf("start with the engine down: exit %d\n%s\nwant 7 saying the engine does not answer", code, errOut)
	}
	if took > 15*time.Second {
		t.Errorf("start took %v to say the engine is down, want ≤ 15 s", took)
	}
	if apps := e.PM2.List(); len(apps) != 0 {
		t.Errorf("PM2 has %d apps after a start that could not reach the engine, want none", len(apps))
	}
	if len(e.Containers("app")) != 0 {
		t.Errorf("a container exists after a start that could not reach the engine")
	}
	faultRow(t, "engine down when pm2dock start runs (exit 7)", took, 0)
}

// The state folder deleted while the service runs (a `git clean -fdx`, a
// tidy-up): supervision goes on, status still tells the truth from PM2 and
// the engine, and the next failure is recovered with the folder made again.
func TestFaultStateFolderDeletedWhileRunning(t *testing.T) {
	e := fixtureApp(t, "2s", "", "services:\n  app:\n    restart: {max: 5, window: 1m, delay: 1s}\n")
	e.MustRun("start", "app")
	stateDir := e.P.Dir + "/.pm2dock/state"
	if out, err := exec.Command("rm", "-rf", stateDir).CombinedOutput(); err != nil {
		t.Fatalf("rm -rf %s: %v %s", stateDir, err, out)
	}
	rows, _ := e.status("app")
	if rows["app"].State != "healthy" && rows["app"].State != "running" {
		t.Errorf("status without the state folder: %s, want the service's health from PM2 and the engine", rows["app"].State)
	}
	old := e.Running("app")
	killed := time.Now()
	h.Docker(t, "", "kill", old.ID)
	recovered := e.healthyAgain("app", old, killed, 30*time.Second)
	eventually(t, 10*time.Second, "the state file written again", func() bool {
		_, err := exec.Command("test", "-f", stateDir+"/app.json").CombinedOutput()
		return err == nil
	})
	e.invariants("app", "app", "running")
	e.MustRun("stop", "app")
	e.invariants("app", "app", "stopped")
	faultRow(t, "state folder deleted while running, then docker kill", recovered, 0)
}

// PM2_HOME on a full disk (a 4 MiB tmpfs, filled). With the daemon running
// nothing needs new space there (pm2dock's apps keep no PM2 log files):
// supervision, a docker kill's recovery, a restart and the log store go on,
// every line stored once. With no daemon, `pm2 start` would start one that
// dies and never return: pm2dock start refuses at once, exit 8, naming
// PM2_HOME, and leaves nothing behind; with space again it starts.
func TestFaultPM2HomeOnAFullDisk(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("a tmpfs mount needs root")
	}
	e := seqFixture(t, "")
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", e.PM2.Home).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs on PM2_HOME: %v %s", err, out)
	}
	t.Cleanup(func() {
		e.PM2.Try("kill") // before the mount goes, or the daemon would outlive the test
		exec.Command("umount", "-l", e.PM2.Home).Run()
	})
	e.MustRun("start", "app")
	fill := func() {
		exec.Command("dd", "if=/dev/zero", "of="+e.PM2.Home+"/fill", "bs=4k").Run()
	}
	fill()

	old := e.Running("app")
	killed := time.Now()
	h.Docker(t, "", "kill", old.ID)
	recovered := e.healthyAgain("app", old, killed, 30*time.Second)
	e.MustRun("restart", "app")
	e.invariants("app", "app", "running")
	e.MustRun("stop", "app")
	lines := e.allSeqsOnce("app", "app") // the stopped container's lines are all written
	e.PM2.Try("kill")
	os.Remove(e.PM2.Home + "/fill")
	fill() // the daemon's own files are gone with it: the disk is full again
	t0 := time.Now()
	_, errOut, code := e.Run("start", "app")
	if code != 8 || !strings.Contains(errOut, "PM2_HOME "+e.PM2.Home) || !strings.Contains(errOut, "bytes free") || time.Since(t0) > 15*time.Second {
		t.Fatalf("start with no daemon and PM2_HOME full: exit %d after %v\n%s\nwant 8 at once, naming PM2_HOME", code, time.Since(t0), errOut)
	}
	e.invariants("app", "app", "stopped")
	if out, _ := exec.Command("pgrep", "-f", "pm2dock run app --dir "+e.P.Dir).Output(); len(out) > 0 {
		t.Fatalf("a shim runs after the refused start: pid %s", out)
	}
	os.Remove(e.PM2.Home + "/fill")
	e.MustRun("start", "app")
	e.invariants("app", "app", "running")
	faultRow(t, "PM2_HOME on a full disk (4 MiB tmpfs): docker kill, restart; no daemon: exit 8", recovered, lines)
}

// Two `pm2dock restart` of one service at once (found by the soak): the
// second used to restart the first's new shim while it started, each then
// took the other's stop for its failure, stopped the app, exited 6 and left
// the service stopped. A restart that finds one starting waits for it.
func TestFaultTwoRestartsAtOnce(t *testing.T) {
	e := fixtureApp(t, "2s", "", "")
	e.MustRun("start", "app")
	before := e.Running("app")
	began := time.Now()
	codes, outs := make([]int, 2), make([]string, 2)
	done := make(chan int)
	for i := range codes {
		go func() { _, outs[i], codes[i] = e.Run("restart", "app"); done <- i }()
	}
	<-done
	<-done
	for i, c := range codes {
		if c != 0 {
			t.Errorf("restart %d: exit %d\n%s", i, c, outs[i])
		}
	}
	e.invariants("app", "app", "running")
	if after := e.Running("app"); after.ID == before.ID && after.State.StartedAt == before.State.StartedAt {
		t.Errorf("the container was not restarted")
	}
	faultRow(t, "two pm2dock restart at once", time.Since(began), 0)
}

// A person's `pm2dock restart` while the restart policy is bringing the
// service back (found by a 12-service stack under overlapping faults: docker
// kill, the policy's restart 2.6 s later, a pm2dock restart 3.4 s after
// that): the next shim's preflight found the port held by the service's own
// container, which the shim being stopped had been starting — exit 4, which
// PM2 does not restart, so the service stayed failed. Its own container is
// never a conflict: the shim adopts it once it runs, or waits for it to let
// go. The first round makes the moment certain: the container is started
// again (as the stopped shim's `compose up` left it) while the new shim backs
// off, between its look for a running container and its port check; the
// other rounds are the sequence as it was found, at varying moments.
func TestFaultRestartDuringAPolicyRestart(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	// Several published ports: the engine starts a proxy for each, which
	// holds open the time a start or stop takes.
	lo := h.FreePortRange(t, 10)
	e := newStack(t, fmt.Sprintf(`services:
  app:
    image: %s
    stop_grace_period: 2s
    ports: ["127.0.0.1:%d-%d:8000-8009"]
    healthcheck: {test: ["CMD", "/fixture", "health"], interval: 300ms, timeout: 2s, retries: 1}
`, h.FixtureImage, lo, lo+9), "services:\n  app:\n    restart: {max: 20, window: 10m, delay: 2s, max_delay: 2s}\n")
	e.MustRun("start", "app")
	began := time.Now()
	newShim := func(old int, phase string) {
		eventually(t, 20*time.Second, "the restart policy's shim reaches "+phase, func() bool {
			st := e.State("app")
			pid, _ := st["shim_pid"].(float64)
			return st["phase"] == phase && int(pid) != old
		})
	}
	for round := range 4 {
		old := e.Running("app")
		shim := int(e.State("app")["shim_pid"].(float64))
		h.Docker(t, "", "kill", old.ID)
		if round == 0 {
			newShim(shim, "backoff")
			h.Docker(t, "", "start", old.ID)
			eventually(t, 20*time.Second, "the shim adopts its own container", func() bool {
				st := e.State("app")
				c, _ := st["container"].(map[string]any)
				return st["phase"] == "ready" && c != nil && c["id"] == old.ID
			})
			e.invariants("app", "app", "running")
			continue
		}
		newShim(shim, "starting")
		time.Sleep(time.Duration(round-1) * 150 * time.Millisecond)
		if out, errOut, code := e.Run("restart", "app"); code != 0 {
			t.Fatalf("round %d: pm2dock restart during the policy's restart: exit %d\n%s%s", round, code, out, errOut)
		}
		e.invariants("app", "app", "running")
	}
	for _, r := range e.events("app") {
		if r.Reason != nil && strings.Contains(*r.Reason, "pm2dock exit 4") {
			t.Errorf("a port conflict was recorded: %s", *r.Reason)
		}
	}
	faultRow(t, "its own container holding its port during a restart by policy; pm2dock restart then (4 rounds)", time.Since(began), 0)
}
