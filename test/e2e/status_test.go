package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

type statusRow struct {
	Name    string `json:"name"`
	Service string `json:"service"`
	State   string `json:"state"`
	PM2     struct {
		Status    string     `json:"status"`
		PID       int        `json:"pid"`
		Restarts  int        `json:"restarts"`
		LastStart *time.Time `json:"last_start"`
	} `json:"pm2"`
	Container *struct {
		ID           string     `json:"id"`
		State        string     `json:"state"`
		Health       string     `json:"health"`
		StartedAt    *time.Time `json:"started_at"`
		ExitCode     int        `json:"exit_code"`
		HealthOutput *string    `json:"health_output"`
		Ports        []string   `json:"ports"`
	} `json:"container"`
	LastFailure *struct {
		ExitCode     int      `json:"exit_code"`
		Reason       string   `json:"reason"`
		LastLines    []string `json:"last_lines"`
		ShimExitCode *int     `json:"shim_exit_code"`
	} `json:"last_failure"`
}

func (e *stackEnv) status(args ...string) (map[string]statusRow, int) {
	e.t.Helper()
	out, errOut, code := e.Run(append([]string{"status", "--json"}, args...)...)
	var rows []statusRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		e.t.Fatalf("status --json: %v\n%s\n%s", err, out, errOut)
	}
	m := map[string]statusRow{}
	for _, r := range rows {
		m[r.Name] = r
	}
	return m, code
}

func fixtureStack(t *testing.T) *stackEnv {
	t.Helper()
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	return newStack(t, fmt.Sprintf(`
x-fixture: &fixture
  image: %s
  stop_grace_period: 2s
  healthcheck: {test: ["CMD", "/fixture", "health"], interval: 300ms, timeout: 2s, retries: 1}
services:
  good:    {<<: *fixture}
  sick:    {<<: *fixture, environment: {FIXTURE_HEALTH: "fail-after:2s"}}
  resting: {<<: *fixture}
  ghost:   {image: pm2dock-test/absent:nope}
  never:   {<<: *fixture}
`, h.FixtureImage), `
pm2:
  namespace: st
services:
  good: {}
  sick: {}
  resting: {}
  ghost: {pull: never}
  never: {}
`)
}

func TestStatusJoinsPM2EngineAndShimState(t *testing.T) {
	e := fixtureStack(t)
	e.MustRun("start", "good", "sick", "resting")
	e.MustRun("stop", "resting")
	if _, _, code := e.Run("start", "ghost"); code != 3 {
		t.Fatalf("start ghost: exit %d, want 3", code)
	}
	var rows map[string]statusRow
	eventually(t, 15*time.Second, "sick turns unhealthy", func() bool {
		rows, _ = e.status()
		return rows["sick"].State == "unhealthy"
	})
	want := map[string]struct{ state, pm2, health, reason string }{
		"good":    {"healthy", "online", "healthy", ""},
		"sick":    {"unhealthy", "online", "unhealthy", ""},
		"resting": {"stopped", "stopped", "exited", ""},
		"ghost":   {"failed", "stopped", "", "pm2dock-test/absent:nope"},
		"never":   {"stopped", "not registered", "", ""},
	}
	for name, w := range want {
		r := rows[name]
		health := ""
		if r.Container != nil {
			health = r.Container.Health
			if r.Container.State != "running" {
				health = r.Container.State
			}
		}
		reason := ""
		if r.LastFailure != nil {
			reason = r.LastFailure.Reason
		}
		if r.State != w.state || r.PM2.Status != w.pm2 || health != w.health || !strings.Contains(reason, w.reason) || (w.reason == "") != (reason == "") {
			t.Errorf("%s: state %q pm2 %q health %q reason %q; want %+v", name, r.State, r.PM2.Status, health, reason, w)
		}
	}
	// The same in the piped table.
	out, _, _ := e.Run("status")
	for name, w := range want {
		if !lineHas(out, name, w.state, w.pm2) {
			t.Errorf("table has no line for %s with %s and %s:\n%s", name, w.state, w.pm2, out)
		}
	}
	if !strings.Contains(out, "pm2dock-test/absent:nope") {
		t.Errorf("table lacks ghost's failure reason:\n%s", out)
	}
	if _, code := e.status("--check"); code != 6 {
		t.Errorf("status --check with unhealthy services: exit %d, want 6", code)
	}
	if _, code := e.status("good", "--check"); code != 0 {
		t.Errorf("status good --check: exit %d, want 0", code)
	}
}

func lineHas(table, name string, fields ...string) bool {
	for _, l := range strings.Split(table, "\n") {
		cols := strings.Split(l, "\t")
		if len(cols) < 3 || cols[0] != name {
			continue
		}
		if cols[1] == fields[0] && cols[2] == fields[1] {
			return true
		}
	}
	return false
}

func TestStatusAfterRestartAndAfterDockerKill(t *testing.T) {
	e := fixtureStack(t)
	e.MustRun("start", "good")
	before, _ := e.status("good")
	e.MustRun("restart", "good")
	after, _ := e.status("good")
	b, a := before["good"], after["good"]
	if a.PM2.Restarts != b.PM2.Restarts+1 || a.PM2.PID == b.PM2.PID ||
		!a.PM2.LastStart.After(*b.PM2.LastStart) || !a.Container.StartedAt.After(*b.Container.StartedAt) {
		t.Fatalf("after restart: %+v\nbefore: %+v", a, b)
	}
	h.Docker(t, "", "kill", a.Container.ID)
	killed := time.Now()
	var rows map[string]statusRow
	eventually(t, 5*time.Second, "status shows the kill", func() bool {
		rows, _ = e.status("good")
		f := rows["good"].LastFailure
		return f != nil && f.ExitCode == 137 && strings.Contains(f.Reason, "docker kill")
	})
	if lag := time.Since(killed); lag > time.Second {
		t.Errorf("status showed the failure %v after docker kill, want within 1 s", lag)
	}
}

func TestStatusWithDeadEngineShowsPM2AndExits7(t *testing.T) {
	e := fixtureStack(t)
	e.MustRun("start", "good")
	e.Env = append(e.Env, "DOCKER_HOST=unix:///nonexistent/docker.sock")
	rows, code := e.status("good")
	if code != 7 || rows["good"].PM2.Status != "online" || rows["good"].PM2.PID == 0 {
		t.Fatalf("exit %d, row %+v; want 7 with PM2's part", code, rows["good"])
	}
}

// status --watch redraws when something changes, not only on its clock: with
// --interval 1h every block after the first comes from a change (a PM2 event,
// an engine event or a state file the shim wrote).
func TestStatusWatchRedrawsOnChanges(t *testing.T) {
	e := fixtureApp(t, "2s", "", "")
	e.MustRun("start", "app")
	cmd := exec.Command(e.Bin, "status", "--watch", "--interval", "1h", "--json", "app")
	cmd.Dir = e.P.Dir
	cmd.Env = append(append(e.PM2.Env(), "PM2DOCK_PM2="+e.PM2.Bin), e.Env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	blocks := make(chan []statusRow, 100)
	go func() {
		dec := json.NewDecoder(out)
		for {
			var rows []statusRow
			if dec.Decode(&rows) != nil {
				close(blocks)
				return
			}
			blocks <- rows
		}
	}()
	until := func(what string, ok func(statusRow) bool) time.Duration {
		t.Helper()
		t0 := time.Now()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case rows, open := <-blocks:
				if !open {
					t.Fatalf("status --watch ended waiting for %s", what)
				}
				if len(rows) == 1 && ok(rows[0]) {
					return time.Since(t0)
				}
			case <-deadline:
				t.Fatalf("status --watch never showed %s", what)
			}
		}
	}
	until("the healthy app", func(r statusRow) bool { return r.State == "healthy" })
	// Steady state, healthchecks every 300 ms: nothing changes, so (almost) no
	// redraws — each probe's exec_* engine events are not changes.
	quiet := 0
	for end := time.After(3 * time.Second); end != nil; {
		select {
		case <-blocks:
			quiet++
		case <-end:
			end = nil
		}
	}
	t.Logf("%d redraws in 3 s of steady state", quiet)
	if quiet > 2 {
		t.Errorf("%d redraws in 3 s while nothing changed: a redraw storm", quiet)
	}
	e.PM2.Run("stop", "app")
	lag := until("the stop", func(r statusRow) bool { return r.State == "stopped" })
	t.Logf("status --watch showed pm2 stop %v after it returned", lag)
	go e.Run("start", "app")
	lag = until("the start", func(r statusRow) bool { return r.State == "healthy" })
	t.Logf("status --watch showed the app healthy %v after start was asked", lag)
}
