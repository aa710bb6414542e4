package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// webhookSink records the alerts POSTed to it.
type webhookSink struct {
	mu     sync.Mutex
	alerts []map[string]any
}

func newWebhook(t *testing.T) (*webhookSink, string) {
	w := &webhookSink{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var a map[string]any
		if err := json.Unmarshal(body, &a); err != nil {
			t.Errorf("webhook body %q: %v", body, err)
		}
		w.mu.Lock()
		w.alerts = append(w.alerts, a)
		w.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return w, srv.URL
}

func (w *webhookSink) of(kind string) []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []map[string]any
	for _, a := range w.alerts {
		if a["alert"] == kind {
			out = append(out, a)
		}
	}
	return out
}

func crashStack(t *testing.T, env, restart, alerts string) *stackEnv {
	t.Helper()
	return fixtureApp(t, "2s", env, fmt.Sprintf("%s\nservices:\n  app:\n    start_timeout: 60s\n    restart: {%s}\n", alerts, restart))
}

func TestCrashLoopStopsAfterMaxRestartsAndAlertsOnce(t *testing.T) {
	hook, url := newWebhook(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "alert.sh")
	record := filepath.Join(dir, "alerts.txt")
	os.WriteFile(script, []byte("#!/bin/sh\nenv | grep '^PM2DOCK_' | sort >> "+record+"\necho --- >> "+record+"\n"), 0o755)
	// Healthy only after 5 s, crashing after 1 s: it never becomes ready, so
	// `start` sees the whole loop.
	e := crashStack(t, `FIXTURE_CRASH_AFTER: 1s, FIXTURE_EXIT_CODE: "3", FIXTURE_LOG_RATE: "5", FIXTURE_HEALTH: "pass-after:5s"`,
		"max: 3, window: 1m, delay: 1s, max_delay: 2s",
		fmt.Sprintf("alerts:\n  command: [%q]\n  webhook: %s\n", script, url))
	_, errOut, code := e.Run("start", "app")
	if code != 5 || !strings.Contains(errOut, "crash loop") {
		t.Fatalf("start: exit %d, stderr:\n%s\nwant 5 with the crash loop", code, errOut)
	}
	app := e.PM2.App("app")
	if app.PM2Env.RestartTime != 3 {
		t.Errorf("PM2 restarts %d, want exactly 3 automatic restarts", app.PM2Env.RestartTime)
	}
	rows, _ := e.status("app")
	// The verdict keeps the failure that tripped it: the container's exit code
	// and last lines, with the shim's own 5 as the verdict apart.
	if f := rows["app"].LastFailure; rows["app"].State != "crash-loop" || f == nil || !strings.Contains(f.Reason, "exited with code 3") ||
		f.ExitCode != 3 || len(f.LastLines) == 0 || f.ShimExitCode == nil || *f.ShimExitCode != 5 {
		t.Errorf("status %+v / last failure %+v, want crash-loop with exit code 3, its last lines, shim exit code 5", rows["app"], f)
	}
	// The journal tells the loop: the person's start, three exits with the
	// container's code and the policy's restarts, the crash loop with the code.
	evs := e.events("app")
	if got, want := kinds(evs), "start/user exit/engine restart/policy exit/engine restart/policy exit/engine restart/policy exit/engine crash-loop/policy"; got != want {
		t.Errorf("events %s\nwant   %s", got, want)
	}
	if cl := has(evs, "crash-loop"); cl == nil || cl.ExitCode == nil || *cl.ExitCode != 3 || !strings.Contains(*cl.Reason, "crash loop: 4 failures") {
		t.Errorf("crash-loop event %+v, want the container's exit code 3 and the verdict", cl)
	}
	time.Sleep(10 * time.Second)
	if again := e.PM2.App("app"); again.PM2Env.RestartTime != app.PM2Env.RestartTime {
		t.Errorf("PM2 kept restarting: %d → %d", app.PM2Env.RestartTime, again.PM2Env.RestartTime)
	}
	loops := hook.of("crash-loop")
	if len(loops) != 1 {
		t.Fatalf("%d crash-loop webhooks, want exactly 1 (all: %v)", len(loops), hook.alerts)
	}
	a := loops[0]
	lines, _ := a["last_lines"].([]any)
	if !strings.Contains(fmt.Sprint(a["reason"]), "exited with code 3") || len(lines) == 0 || a["exit_code"] != float64(3) ||
		!strings.Contains(fmt.Sprint(a["guidance"]), "pm2dock logs app") {
		t.Errorf("webhook payload %v lacks reason, last lines or guidance", a)
	}
	got, _ := os.ReadFile(record)
	if n := strings.Count(string(got), "PM2DOCK_ALERT=crash-loop"); n != 1 || !strings.Contains(string(got), "PM2DOCK_SERVICE=app") ||
		!strings.Contains(string(got), "PM2DOCK_REASON=crash loop") || !strings.Contains(string(got), "PM2DOCK_GUIDANCE=") {
		t.Errorf("alert command ran %d times for the crash loop, env:\n%s", n, got)
	}
}

func TestCrashOnceThenHealthy(t *testing.T) {
	e := crashStack(t, `FIXTURE_CRASH_AFTER: 1500ms, FIXTURE_CRASH_ONCE: /tmp/crashed, FIXTURE_HEALTH: "pass-after:3s"`, "max: 3, window: 1m, delay: 1s", "")
	start := time.Now()
	e.MustRun("start", "app") // waits through the automatic restart
	t.Logf("start → crash → restart → healthy: %v", time.Since(start).Round(10*time.Millisecond))
	rows, _ := e.status("app")
	r := rows["app"]
	if r.State != "healthy" || r.PM2.Restarts != 1 || r.LastFailure == nil || r.LastFailure.ExitCode != 1 {
		t.Fatalf("status %+v, want healthy, restarts 1, the last failure", r)
	}
}

func TestOOMKilledReason(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	e := newStack(t, fmt.Sprintf(`services:
  hog:
    image: %s
    mem_limit: 64m
    memswap_limit: 64m
    environment: {FIXTURE_MEMORY_HOG: "32"}
`, h.FixtureImage), "services:\n  hog:\n    restart: {max: 0}\n")
	e.MustRun("start", "hog") // no healthcheck: ready once running; the hog dies ~2 s later
	var r statusRow
	eventually(t, 20*time.Second, "the OOM kill shows in status", func() bool {
		rows, _ := e.status("hog")
		r = rows["hog"]
		return r.LastFailure != nil
	})
	if !strings.Contains(r.LastFailure.Reason, "OOM killed (memory limit 64 MiB)") {
		t.Fatalf("last failure %q, want the OOM reason with the limit", r.LastFailure.Reason)
	}
	if ex := has(e.events("hog"), "exit"); ex == nil || ex.OOMKilled == nil || !*ex.OOMKilled || ex.ExitCode == nil || *ex.ExitCode != 137 {
		t.Errorf("exit event %+v, want exit code 137 and oom_killed true", ex)
	}
}

func TestOnUnhealthyRestartsTheContainer(t *testing.T) {
	e := crashStack(t, `FIXTURE_HEALTH: "fail-after:3s"`, "max: 5, window: 1m, delay: 1s, on_unhealthy: 2s", "")
	e.MustRun("start", "app")
	first := e.Running("app").State.StartedAt
	eventually(t, 30*time.Second, "restarted after being unhealthy 2 s", func() bool {
		cs := e.Containers("app")
		return len(cs) == 1 && cs[0].State.Running && cs[0].State.StartedAt != first
	})
	rows, _ := e.status("app")
	if f := rows["app"].LastFailure; f == nil || !strings.Contains(f.Reason, "unhealthy for 2s") {
		t.Fatalf("last failure %+v, want the on_unhealthy reason", f)
	}
}

// hangingWebhook accepts connections and never answers, until the test ends.
func hangingWebhook(t *testing.T) string {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(block) })
	return srv.URL + "/hook"
}

// An alert webhook that never answers and an alert command that never exits
// (and forks) delay neither the crash-loop report nor a stop.
func TestHangingAlertTargetsDelayNothing(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "alert-child.pid")
	script := filepath.Join(dir, "never.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nsleep 600 &\necho $! > "+pidFile+"\nwait\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	alerts := fmt.Sprintf("alerts:\n  webhook: %s\n  command: [%q]\n", hangingWebhook(t), script)
	e := crashStack(t, `FIXTURE_CRASH_AFTER: 1s, FIXTURE_HEALTH: "pass-after:5s"`, "max: 0, window: 1m", alerts)
	start := time.Now()
	if _, _, code := e.Run("start", "app"); code != 5 {
		t.Fatalf("start: exit %d, want 5 (max 0)", code)
	}
	if took := time.Since(start); took > 6*time.Second {
		t.Fatalf("a crash loop with hanging alert targets took %v to report", took)
	}
	eventually(t, 10*time.Second, "the alert command runs", func() bool {
		_, err := os.Stat(pidFile)
		return err == nil
	})
	e2 := crashStack(t, ``, "max: 3", alerts)
	e2.MustRun("start", "app")
	start = time.Now()
	e2.PM2.Run("stop", "app")
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("pm2 stop took %v with hanging alert targets", took)
	}
	e2.NoneRunning()
	// The detached deliverer cuts the command off after 10 s, its child too.
	raw, _ := os.ReadFile(pidFile)
	child, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	if child <= 0 {
		t.Fatalf("alert child pid %q", raw)
	}
	eventually(t, 20*time.Second, "the alert command's child is killed at the cut-off", func() bool {
		return syscall.Kill(child, 0) != nil
	})
	faultRow(t, "alert webhook that hangs, alert command that forks and never exits", 0, 0)
}

func TestEngineRestartPolicyNoteShownOnce(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	e := newStack(t, fmt.Sprintf("services:\n  app:\n    image: %s\n    restart: always\n", h.FixtureImage), "")
	out, errOut, code := e.Run("start", "app")
	if code != 0 {
		t.Fatalf("start: exit %d\n%s%s", code, out, errOut)
	}
	if n := strings.Count(errOut, "restart: always"); n != 1 {
		t.Fatalf("the restart policy note appears %d times, want once:\n%s", n, errOut)
	}
}
