package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// jobStack: a migrate job (the fixture exiting with code after 1 s) that app
// waits on with service_completed_successfully, as auth servers' quickstarts do.
func jobStack(t *testing.T, code int, restart string) *stackEnv {
	t.Helper()
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	return newStack(t, fmt.Sprintf(`services:
  migrate:
    image: %[1]s
    restart: on-failure
    environment: {FIXTURE_CRASH_AFTER: 1s, FIXTURE_EXIT_CODE: "%[2]d", FIXTURE_LOG_RATE: "5"}
  app:
    image: %[1]s
    stop_grace_period: 2s
    healthcheck: {test: ["CMD", "/fixture", "health"], interval: 300ms, timeout: 2s, retries: 1}
    depends_on: {migrate: {condition: service_completed_successfully}}
`, h.FixtureImage, code), fmt.Sprintf("services:\n  migrate:\n    restart: {%s}\n  app: {}\n", restart))
}

func TestJobCompletesAndItsDependentStarts(t *testing.T) {
	e := jobStack(t, 0, "max: 2, delay: 1s")
	out := e.MustRun("start", "app")
	if !strings.Contains(out, "completed") {
		t.Errorf("start's summary does not show the job completed:\n%s", out)
	}
	rows, code := e.status("--check")
	m := rows["migrate"]
	if code != 0 || m.State != "completed" || rows["app"].State != "healthy" || m.LastFailure != nil {
		t.Fatalf("status --check exit %d, migrate %+v, app %s; want 0, completed without a failure, healthy", code, m, rows["app"].State)
	}
	first := e.Containers("migrate")
	if len(first) != 1 || first[0].State.Running || first[0].State.ExitCode != 0 {
		t.Fatalf("migrate containers %+v, want one that exited 0", first)
	}
	// A restart of the dependent leaves the completed job alone (as `docker
	// compose restart` does); only a start runs it again (as `up` does).
	if out := e.MustRun("restart", "app"); !strings.Contains(out, "completed (already)") {
		t.Errorf("restart's summary does not show the job left completed:\n%s", out)
	}
	time.Sleep(3 * time.Second) // a restarted job would have run again by now
	if a := e.PM2.App("migrate"); a.PM2Env.Status != "stopped" || a.PM2Env.RestartTime != 0 {
		t.Fatalf("PM2 migrate: %s with %d restarts, want stopped with 0", a.PM2Env.Status, a.PM2Env.RestartTime)
	}
	if again := e.Containers("migrate"); again[0].State.StartedAt != first[0].State.StartedAt || again[0].RestartCount != 0 {
		t.Fatal("the job ran again by itself")
	}
	if st := e.State("migrate"); st["alerted"] != nil {
		t.Fatalf("a completed job raised an alert: %v", st["alerted"])
	}
	var full []map[string]any
	raw, _, _ := e.Run("status", "--json", "migrate")
	if err := json.Unmarshal([]byte(raw), &full); err != nil || len(full) != 1 {
		t.Fatalf("status --json: %v\n%s", err, raw)
	}
	c, _ := full[0]["completed"].(map[string]any)
	if ran, _ := c["ran_s"].(float64); full[0]["job"] != true || ran < 0.9 || ran > 10 {
		t.Fatalf("status --json migrate: job %v, completed %v; want a job that ran about 1 s", full[0]["job"], full[0]["completed"])
	}

	e.MustRun("stop", "migrate") // a no-op for a completed job
	e.MustRun("start", "migrate")
	if again := e.Containers("migrate"); len(again) != 1 || again[0].State.StartedAt == first[0].State.StartedAt {
		t.Fatal("the next start did not run the job again")
	}
	if rows, _ := e.status("migrate"); rows["migrate"].State != "completed" {
		t.Fatalf("after the second run: %s", rows["migrate"].State)
	}
}

func TestFailedJobFailsItsDependentsStart(t *testing.T) {
	e := jobStack(t, 3, "max: 1, window: 1m, delay: 1s")
	_, errOut, code := e.Run("start", "app")
	if code != 5 || !strings.Contains(errOut, "its dependency migrate failed") || !strings.Contains(errOut, "exited with code 3") {
		t.Fatalf("start app: exit %d, want 5 naming the job and its reason\n%s", code, errOut)
	}
	if cs := e.Containers("app"); len(cs) != 0 {
		t.Fatalf("app was started although its job failed")
	}
	if a := e.PM2.App("migrate"); a.PM2Env.RestartTime != 1 {
		t.Fatalf("PM2 restarted the failing job %d times, want restart.max 1", a.PM2Env.RestartTime)
	}
}

// A job that finishes while no shim watches it (its PM2 daemon was killed) is
// recorded as completed by the shim `pm2 resurrect` starts, not run again.
func TestFaultJobFinishingWithoutItsShimIsNotRunAgain(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	e := newStack(t, fmt.Sprintf(`services:
  migrate:
    image: %s
    environment: {FIXTURE_CRASH_AFTER: 4s, FIXTURE_EXIT_CODE: "0", FIXTURE_LOG_RATE: "5"}
`, h.FixtureImage), "services:\n  migrate: {job: true}\n")
	done := make(chan struct{})
	go func() { defer close(done); e.Run("start", "migrate") }() // ends when the daemon dies
	eventually(t, 20*time.Second, "the job runs", func() bool {
		_, err := os.Stat(filepath.Join(e.P.Dir, ".pm2dock", "state", "migrate.json"))
		return err == nil && e.State("migrate")["phase"] == "ready"
	})
	before := e.Running("migrate")
	e.PM2.Run("save")
	syscall.Kill(e.PM2.DaemonPID(), syscall.SIGKILL)
	killed := time.Now()
	eventually(t, 10*time.Second, "the orphaned shim leaves", func() bool { return e.State("migrate")["phase"] == "detached" })
	eventually(t, 10*time.Second, "the job finishes unwatched", func() bool {
		cs := e.Containers("migrate")
		return len(cs) == 1 && !cs[0].State.Running
	})
	<-done
	e.PM2.Run("resurrect")
	eventually(t, 20*time.Second, "the resurrected shim records the completion", func() bool {
		return e.State("migrate")["phase"] == "completed"
	})
	recovered := time.Since(killed)
	cs := e.Containers("migrate")
	if len(cs) != 1 || cs[0].State.StartedAt != before.State.StartedAt || cs[0].State.Running {
		t.Fatalf("the job ran again: %+v", cs)
	}
	if rows, _ := e.status("migrate"); rows["migrate"].State != "completed" {
		t.Fatalf("status: %s", rows["migrate"].State)
	}
	faultRow(t, "job finishing while its PM2 daemon is dead, then pm2 resurrect", recovered, 0)
}

// A one-shot nobody declared (no pm2dock.yaml, no service_completed_successfully,
// a dependent reaching it with the short form) follows compose's own rule for
// an exit 0: under no restart policy, `no` or `on-failure` it is done —
// completed, not restarted, no alert — and under `always` or
// `unless-stopped` it is restarted (docs/contracts.md#jobs).
func TestUndeclaredOneShotFollowsComposeRestartRule(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	policies := map[string]string{"init-default": "", "init-no": "no", "init-on-failure": "on-failure",
		"init-always": "always", "init-unless-stopped": "unless-stopped"}
	var b strings.Builder
	b.WriteString("services:\n")
	for _, name := range []string{"init-default", "init-no", "init-on-failure", "init-always", "init-unless-stopped"} {
		fmt.Fprintf(&b, "  %s:\n    image: %s\n    environment: {FIXTURE_CRASH_AFTER: 1s, FIXTURE_EXIT_CODE: \"0\"}\n", name, h.FixtureImage)
		if p := policies[name]; p != "" {
			fmt.Fprintf(&b, "    restart: %s\n", p)
		}
	}
	fmt.Fprintf(&b, "  api:\n    image: %s\n    depends_on: [init-default, init-no, init-on-failure, init-always, init-unless-stopped]\n", h.FixtureImage)
	e := newStack(t, b.String(), "") // zero-config, as the issue found it
	e.MustRun("start")
	done := []string{"init-default", "init-no", "init-on-failure"}
	eventually(t, 20*time.Second, "the undeclared one-shots complete", func() bool {
		for _, k := range done {
			if e.State(k)["phase"] != "completed" {
				return false
			}
		}
		return true
	})
	first := map[string]string{}
	for _, k := range done {
		first[k] = e.Containers(k)[0].State.StartedAt
	}
	time.Sleep(6 * time.Second) // a restart (delay 2 s) would have come by now
	if _, code := e.status("--check", "init-default", "init-no", "init-on-failure", "api"); code != 0 {
		t.Errorf("status --check of the completed ones and api: exit %d, want 0 (completed counts as healthy)", code)
	}
	rows, _ := e.status()
	for _, k := range done {
		a := e.PM2.App(k)
		cs := e.Containers(k)
		if a.PM2Env.Status != "stopped" || a.PM2Env.RestartTime != 0 || len(cs) != 1 || cs[0].State.StartedAt != first[k] || rows[k].State != "completed" || rows[k].LastFailure != nil {
			t.Errorf("%s (restart %q): PM2 %s with %d restarts, state %s, last failure %v, container ran again: %v; want stopped, 0, completed, none, no",
				k, policies[k], a.PM2Env.Status, a.PM2Env.RestartTime, rows[k].State, rows[k].LastFailure, len(cs) != 1 || cs[0].State.StartedAt != first[k])
		}
		if st := e.State(k); st["alerted"] != nil {
			t.Errorf("%s raised an alert: %v", k, st["alerted"])
		}
	}
	for _, k := range []string{"init-always", "init-unless-stopped"} {
		if a := e.PM2.App(k); a.PM2Env.RestartTime < 1 || rows[k].State == "completed" {
			t.Errorf("%s (restart %s): %d PM2 restarts, state %s; want it restarted after its exit 0", k, policies[k], a.PM2Env.RestartTime, rows[k].State)
		}
	}
	if rows["api"].State != "running" {
		t.Errorf("api: %s, want running", rows["api"].State)
	}
}
