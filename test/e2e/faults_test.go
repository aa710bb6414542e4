package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// Fault drills (issue 8): inject the fault, then check the invariants.

// faultRow prints one line of the Reliability table (scripts/fault-table.sh
// reads them from `go test -v`): what was done, how long until things were
// right again, how many log lines were checked.
func faultRow(t *testing.T, fault string, recover time.Duration, lines int) {
	t.Logf("FAULTROW|%s|%d|%d", fault, recover.Milliseconds(), lines)
}

// invariants checks what must hold once things settled: never two containers
// for a service, none running without a shim that owns it, and (when want is
// "running") exactly one, supervised.
func (e *stackEnv) invariants(svc, key, want string) {
	e.t.Helper()
	var running []container
	for _, c := range e.Containers(svc) {
		if c.State.Running {
			running = append(running, c)
		}
	}
	if len(running) > 1 {
		e.t.Fatalf("%s: %d containers running, want at most 1", svc, len(running))
	}
	app := e.PM2.App(key)
	shimAlive := app != nil && app.PM2Env.Status == "online" && h.Alive(app.PID)
	switch {
	case want == "running" && (len(running) != 1 || !shimAlive):
		e.t.Fatalf("%s: %d running, shim alive %v; want one container owned by a live shim", svc, len(running), shimAlive)
	case want == "stopped" && len(running) != 0:
		e.t.Fatalf("%s: a container runs after the stop (orphan)", svc)
	case len(running) == 1 && !shimAlive:
		e.t.Fatalf("%s: container %s runs without a shim (orphan)", svc, running[0].ID[:12])
	}
	if want == "running" {
		st := e.State(key)
		if int(st["shim_pid"].(float64)) != app.PID {
			e.t.Fatalf("state file names shim %v, PM2 runs %d", st["shim_pid"], app.PID)
		}
		if c, _ := st["container"].(map[string]any); c == nil || c["id"] != running[0].ID {
			e.t.Fatalf("state file names container %v, the engine runs %s", st["container"], running[0].ID[:12])
		}
	}
	// status is right within a second of things settling.
	var got string
	deadline := time.Now().Add(time.Second)
	for {
		out, _, _ := e.Run("status", "--json", key)
		got = statusState(out)
		if (want == "running") == (got == "healthy" || got == "running") && (want != "stopped" || got == "stopped") {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: status says %q 1 s after settling, want %s", key, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func statusState(out string) string {
	var rows []struct {
		State string `json:"state"`
	}
	if json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 {
		return "?"
	}
	return rows[0].State
}

// seqFixture is a fixture service "app" logging 200 sequence-numbered lines/s.
func seqFixture(t *testing.T, extra string) *stackEnv {
	t.Helper()
	return fixtureApp(t, "3s", `FIXTURE_LOG_RATE: "200"`+extra, "")
}

// fixtureApp is a compose service "app" of the fixture image with a fast
// healthcheck, the given grace period, env (flow-mapping body) and profile.
func fixtureApp(t *testing.T, grace, env, profile string) *stackEnv {
	t.Helper()
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	return newStack(t, fmt.Sprintf(`services:
  app:
    image: %s
    stop_grace_period: %s
    healthcheck: {test: ["CMD", "/fixture", "health"], interval: 300ms, timeout: 2s, retries: 1}
    environment: {%s}
`, h.FixtureImage, grace, env), profile)
}

// allSeqsOnce checks the store holds every line the container wrote, once, in order.
func (e *stackEnv) allSeqsOnce(svc, key string) int {
	e.t.Helper()
	cs := e.Containers(svc)
	if len(cs) != 1 {
		e.t.Fatalf("%d containers of %s", len(cs), svc)
	}
	raw, _ := exec.Command("docker", "logs", cs[0].ID).CombinedOutput()
	truth := fixtureLines(strings.Split(string(raw), "\n"))
	var msgs []string
	for _, r := range e.logs(key) {
		msgs = append(msgs, r.Msg)
	}
	got := fixtureLines(msgs)
	n := 0
	for run, want := range truth {
		if fmt.Sprint(got[run]) != fmt.Sprint(want) {
			have := map[int]int{}
			for _, s := range got[run] {
				have[s]++
			}
			var missing, twice []int
			for _, s := range want {
				if have[s] == 0 {
					missing = append(missing, s)
				} else if have[s] > 1 {
					twice = append(twice, s)
				}
			}
			e.t.Fatalf("run %s: stored %d lines, the container wrote %d; missing %v; twice %v", run, len(got[run]), len(want), missing, twice)
		}
		n += len(want)
	}
	return n
}

func TestFaultKill9WhileTheContainerStarts(t *testing.T) {
	e := seqFixture(t, `, FIXTURE_HEALTH: "pass-after:4s"`)
	go e.Run("start", "app")
	eventually(t, 20*time.Second, "shim in phase starting", func() bool {
		_, err := os.Stat(filepath.Join(e.P.Dir, ".pm2dock", "state", "app.json"))
		return err == nil && e.State("app")["phase"] == "starting" && e.State("app")["container"] != nil
	})
	syscall.Kill(int(e.State("app")["shim_pid"].(float64)), syscall.SIGKILL)
	killed := time.Now()
	eventually(t, 20*time.Second, "a new shim adopts and the service is ready", func() bool {
		st := e.State("app")
		return st["phase"] == "ready" && st["adopted"] == true
	})
	recovered := time.Since(killed)
	e.invariants("app", "app", "running")
	e.MustRun("stop", "app")
	e.invariants("app", "app", "stopped")
	faultRow(t, "kill -9 of the shim while its container starts", recovered, e.allSeqsOnce("app", "app"))
}

func TestFaultKill9DuringAGracefulStop(t *testing.T) {
	e := seqFixture(t, `, FIXTURE_IGNORE_SIGTERM: "1"`)
	e.MustRun("start", "app")
	done := make(chan struct{})
	go func() { e.PM2.Try("stop", "app"); close(done) }()
	eventually(t, 10*time.Second, "shim stopping", func() bool { return e.State("app")["phase"] == "stopping" })
	syscall.Kill(int(e.State("app")["shim_pid"].(float64)), syscall.SIGKILL)
	killed := time.Now()
	<-done
	// The engine finishes the stop it was asked for (SIGKILL after the grace period).
	eventually(t, 10*time.Second, "container stopped", func() bool {
		cs := e.Containers("app")
		return len(cs) == 1 && !cs[0].State.Running
	})
	e.invariants("app", "app", "stopped")
	faultRow(t, "kill -9 of the shim during a graceful stop", time.Since(killed), 0)
}

func TestFaultPM2DaemonKilledThenStartAdopts(t *testing.T) {
	e := seqFixture(t, "")
	e.MustRun("start", "app")
	before := e.Running("app")
	daemon := e.PM2.DaemonPID()
	syscall.Kill(daemon, syscall.SIGKILL)
	killed := time.Now()
	eventually(t, 10*time.Second, "the orphaned shim leaves", func() bool { return e.State("app")["phase"] == "detached" })
	if c := e.Running("app"); c.ID != before.ID {
		t.Fatalf("the container changed while PM2 was down")
	}
	time.Sleep(time.Second) // lines written while no shim runs must be backfilled
	e.MustRun("start", "app")
	recovered := time.Since(killed)
	after := e.Running("app")
	if after.ID != before.ID || after.State.StartedAt != before.State.StartedAt {
		t.Fatalf("start recreated the container instead of adopting it")
	}
	e.invariants("app", "app", "running")
	e.MustRun("stop", "app")
	faultRow(t, "PM2 daemon SIGKILLed, then pm2dock start", recovered, e.allSeqsOnce("app", "app"))
}

func TestFaultConcurrentStartsMakeOneAppAndOneContainer(t *testing.T) {
	e := seqFixture(t, "")
	var wg sync.WaitGroup
	began := time.Now()
	codes := make([]int, 5)
	for i := range codes {
		wg.Add(1)
		go func() { defer wg.Done(); _, _, codes[i] = e.Run("start", "app") }()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 0 {
			t.Errorf("start %d: exit %d, want 0", i, c)
		}
	}
	n := 0
	for _, a := range e.PM2.List() {
		if a.Name == "app" {
			n++
			if a.PM2Env.RestartTime != 0 {
				t.Errorf("the app was restarted %d times: the starts fought", a.PM2Env.RestartTime)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d PM2 apps named app, want 1", n)
	}
	e.invariants("app", "app", "running")
	faultRow(t, "five concurrent pm2dock start", time.Since(began), 0)
}

func TestFaultStartRacingStopEndsConsistent(t *testing.T) {
	e := seqFixture(t, "")
	var wg sync.WaitGroup
	var startCode, stopCode int
	began := time.Now()
	wg.Add(2)
	go func() { defer wg.Done(); _, _, startCode = e.Run("start", "app") }()
	go func() { defer wg.Done(); time.Sleep(300 * time.Millisecond); _, _, stopCode = e.Run("stop", "app") }()
	wg.Wait()
	if stopCode != 0 || (startCode != 0 && startCode != 6) {
		t.Fatalf("start exit %d, stop exit %d; want stop 0 and start 0 or 6", startCode, stopCode)
	}
	app := e.PM2.App("app")
	if app != nil && app.PM2Env.Status == "online" {
		e.invariants("app", "app", "running")
	} else {
		e.invariants("app", "app", "stopped")
	}
	faultRow(t, "pm2dock start racing pm2dock stop", time.Since(began), 0)
}

func TestFaultContainerIgnoringSIGTERMIsStoppedWithoutKillingTheShim(t *testing.T) {
	e := seqFixture(t, `, FIXTURE_IGNORE_SIGTERM: "1"`)
	e.MustRun("start", "app")
	start := time.Now()
	e.PM2.Run("stop", "app")
	took := time.Since(start)
	c := e.Containers("app")[0]
	if c.State.Running || c.State.ExitCode != 137 || took < 3*time.Second {
		t.Fatalf("after %v: running %v exit %d; want killed by the engine after the 3 s grace", took, c.State.Running, c.State.ExitCode)
	}
	if st := e.State("app"); st["phase"] != "stopped" {
		t.Fatalf("state phase %v: PM2 killed the shim before it finished stopping", st["phase"])
	}
	faultRow(t, "container ignoring SIGTERM, pm2 stop (grace 3 s)", took, 0)
}

func TestFaultSecretsAppearNowhere(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.PostgresImage)
	port := h.FreePort(t)
	hook, url := newWebhook(t)
	record := filepath.Join(t.TempDir(), "alert-env")
	script := filepath.Join(t.TempDir(), "alert.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nenv > "+record+"\n"), 0o755)
	e := newStack(t, pgCompose(port, 0)+"  ghost:\n    image: pm2dock-test/absent:nope\n    environment: {GHOST_PW: \"${POSTGRES_PASSWORD}\"}\n",
		pgProfile+fmt.Sprintf("  ghost: {pull: never}\nalerts:\n  command: [%q]\n  webhook: %s\n", script, url))
	secret := "S3cret-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	shellSecret := "Sh3ll-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	e.P.WriteFile(".env", "POSTGRES_PASSWORD="+secret+"\n")
	e.Env = []string{"UNRELATED_TOKEN=" + shellSecret}
	var outputs []string
	out, errOut := e.MustRun("start", "db"), ""
	outputs = append(outputs, out)
	if _, eo, code := e.Run("start", "ghost"); code != 3 { // raises an image-unavailable alert
		t.Fatalf("start ghost: exit %d\n%s", code, eo)
	}
	eventually(t, 15*time.Second, "the alert is delivered", func() bool {
		_, err := os.Stat(record)
		return len(hook.of("image-unavailable")) == 1 && err == nil
	})
	body, _ := json.Marshal(hook.of("image-unavailable"))
	alertEnv, _ := os.ReadFile(record)
	outputs = append(outputs, string(body), string(alertEnv))
	for _, args := range [][]string{{"status", "--json"}, {"ecosystem"}, {"logs", "db"}, {"doctor"}} {
		o, eo, _ := e.Run(args...)
		outputs = append(outputs, o, eo)
	}
	app := e.PM2.App("db")
	for _, args := range [][]string{{"jlist"}, {"env", strconv.Itoa(app.PMID)}, {"save"}} {
		o, _ := e.PM2.Try(args...)
		outputs = append(outputs, o)
	}
	dump, _ := os.ReadFile(filepath.Join(e.PM2.Home, "dump.pm2"))
	outputs = append(outputs, string(dump), errOut)
	filepath.Walk(filepath.Join(e.P.Dir, ".pm2dock"), func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() && !strings.HasSuffix(p, "handoff.env") {
			raw, _ := os.ReadFile(p)
			outputs = append(outputs, string(raw))
			if info.Mode().Perm()&0o022 != 0 {
				t.Errorf("%s is group/other writable (%v)", p, info.Mode())
			}
		}
		return nil
	})
	for i, o := range outputs {
		if strings.Contains(o, secret) || strings.Contains(o, shellSecret) {
			t.Errorf("a secret leaked into output %d:\n%s", i, o)
		}
	}
}

func TestFaultInvalidProfileWhileRunning(t *testing.T) {
	e := seqFixture(t, "")
	e.P.WriteFile("pm2dock.yaml", "services:\n  app: {}\n")
	e.MustRun("start", "app")
	e.P.WriteFile("pm2dock.yaml", "services:\n  app: {colour: blue}\n")
	if _, errOut, code := e.Run("status"); code != 2 || !strings.Contains(errOut, `unknown key "colour"`) {
		t.Fatalf("status with a broken profile: exit %d\n%s", code, errOut)
	}
	time.Sleep(time.Second)
	if app := e.PM2.App("app"); app == nil || app.PM2Env.Status != "online" || !h.Alive(app.PID) {
		t.Fatalf("the running shim stopped when its profile broke: %+v", app)
	}
	e.Running("app")
	e.P.WriteFile("pm2dock.yaml", "services:\n  app: {}\n") // mended: status can read it again
	e.invariants("app", "app", "running")
	faultRow(t, "profile made invalid while running", 0, 0)
}

func TestFaultPM2DaemonKilledThenResurrect(t *testing.T) {
	e := seqFixture(t, "")
	e.MustRun("start", "app")
	e.PM2.Run("save")
	before := e.Running("app")
	syscall.Kill(e.PM2.DaemonPID(), syscall.SIGKILL)
	killed := time.Now()
	eventually(t, 10*time.Second, "the orphaned shim leaves", func() bool { return e.State("app")["phase"] == "detached" })
	e.PM2.Run("resurrect")
	eventually(t, 20*time.Second, "the resurrected shim adopts the container", func() bool {
		st := e.State("app")
		return st["phase"] == "ready" && st["adopted"] == true
	})
	recovered := time.Since(killed)
	if after := e.Running("app"); after.ID != before.ID || after.State.StartedAt != before.State.StartedAt {
		t.Fatalf("resurrect recreated the container")
	}
	e.invariants("app", "app", "running")
	e.MustRun("stop", "app")
	faultRow(t, "PM2 daemon SIGKILLed, then pm2 resurrect", recovered, e.allSeqsOnce("app", "app"))
}

func TestFaultReadOnlyStateDirKeepsSupervising(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("a read-only bind mount needs root")
	}
	e := seqFixture(t, "")
	e.MustRun("start", "app")
	stateDir := filepath.Join(e.P.Dir, ".pm2dock", "state")
	if out, err := exec.Command("mount", "--bind", "-o", "ro", stateDir, stateDir).CombinedOutput(); err != nil {
		t.Fatalf("read-only bind mount: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", stateDir).Run() })
	if err := os.WriteFile(filepath.Join(stateDir, "probe"), nil, 0o644); err == nil {
		t.Fatal("the state folder is still writable")
	}
	id := e.Running("app").ID
	h.Docker(t, "", "kill", id)
	killed := time.Now()
	// The shim cannot record the failure, but PM2 restarts it and the new shim
	// (which cannot write its state either) brings the service back.
	eventually(t, 30*time.Second, "the service runs again", func() bool {
		cs := e.Containers("app")
		return len(cs) == 1 && cs[0].State.Running && cs[0].State.Health != nil && cs[0].State.Health.Status == "healthy"
	})
	recovered := time.Since(killed)
	if app := e.PM2.App("app"); app == nil || app.PM2Env.Status != "online" {
		t.Fatalf("PM2 app %+v, want online", app)
	}
	faultRow(t, "state folder read-only, then docker kill", recovered, 0)
}

func TestFaultKill9DuringPreflight(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	reg := h.StartRegistry(t)
	ref := reg.Push(h.FixtureImage, "pm2dock/preflight:"+strconv.FormatInt(time.Now().UnixNano(), 36))
	// The image's layers are all local, so a pull is only its manifest: held
	// for 3 s, the preflight lasts long enough to be caught (it was missed once).
	ref = reg.Slow(3*time.Second) + strings.TrimPrefix(ref, reg.Addr)
	e := newStack(t, "services:\n  app:\n    image: "+ref+"\n    stop_grace_period: 2s\n", "services:\n  app: {pull: always}\n")
	go e.Run("start", "app")
	var shim int
	var raw []byte
	defer func() {
		if t.Failed() {
			t.Logf("the last state read: %s", raw)
		}
	}()
	eventually(t, 20*time.Second, "a shim in preflight (pulling)", func() bool {
		var err error
		raw, err = os.ReadFile(filepath.Join(e.P.Dir, ".pm2dock", "state", "app.json"))
		if err != nil || !strings.Contains(string(raw), `"phase": "preflight"`) {
			return false
		}
		shim = int(e.State("app")["shim_pid"].(float64))
		return true
	})
	syscall.Kill(shim, syscall.SIGKILL)
	killed := time.Now()
	eventually(t, 30*time.Second, "a new shim starts the service", func() bool {
		st := e.State("app")
		return st["phase"] == "ready" && int(st["shim_pid"].(float64)) != shim
	})
	e.invariants("app", "app", "running")
	faultRow(t, "kill -9 of the shim during preflight (image pull)", time.Since(killed), 0)
}

func TestHostileLinesAreStoredAndQueryable(t *testing.T) {
	e := seqFixture(t, `, FIXTURE_HOSTILE_LINES: "1"`)
	e.MustRun("start", "app")
	var first, big, bin, esc bool
	var n, bigLen int
	defer func() {
		if t.Failed() {
			t.Logf("after the wait: %d records; first %v, big %v (%d bytes), bin %v, esc %v", n, first, big, bigLen, bin, esc)
		}
	}()
	eventually(t, 30*time.Second, "the hostile lines are stored", func() bool {
		recs := e.logs("app")
		n = len(recs)
		for _, r := range recs {
			switch {
			case strings.HasPrefix(r.Msg, "fixture starting"):
				first = true
			case strings.HasPrefix(r.Msg, "big:"):
				// The container's first output: a replay from StartedAt lost it
				// under load (the engine stamps first lines before it).
				big = len(r.Msg) == 4+1<<20 && strings.Count(r.Msg, "x") == 1<<20
				bigLen = len(r.Msg)
			case strings.HasPrefix(r.Msg, "bin:"):
				// dockerd's json-file log turns invalid UTF-8 into U+FFFD before
				// pm2dock sees it; the control bytes must come through intact.
				bin = strings.Contains(r.Msg, "\x01\x02\x03") && strings.Contains(r.Msg, "\x7f")
			case strings.HasPrefix(r.Msg, "esc:"):
				esc = r.Msg == "esc:\x1b[31mred\x1b[0m"
			}
		}
		return first && big && bin && esc
	})
	out, _, code := e.Run("logs", "app", "--grep", "^esc:")
	if code != 0 || !strings.Contains(out, `esc:\x1b[31mred\x1b[0m`) {
		t.Fatalf("text output must escape control bytes: exit %d %q", code, out)
	}
	e.invariants("app", "app", "running")
	e.MustRun("stop", "app")
	faultRow(t, "a 1 MiB first line, control bytes, an escape sequence", 0, e.allSeqsOnce("app", "app"))
}

func TestChattyContainerAt200kLinesPerSecond(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	const count = 400000
	e := newStack(t, fmt.Sprintf(`services:
  chatty:
    image: %s
    stop_grace_period: 2s
    environment: {FIXTURE_LOG_RATE: "200000", FIXTURE_LOG_COUNT: "%d"}
`, h.FixtureImage, count), "")
	e.MustRun("start", "chatty")
	pid := e.PM2.App("chatty").PID
	var peak int
	eventually(t, 90*time.Second, "every line stored", func() bool {
		if kb := vmHWM(pid); kb > peak {
			peak = kb
		}
		out, _, _ := e.Run("logs", "chatty", "--tail", "1", "--grep", fmt.Sprintf("^seq=%d ", count))
		return strings.Contains(out, fmt.Sprintf("seq=%d ", count))
	})
	if kb := vmHWM(pid); kb > peak {
		peak = kb
	}
	e.MustRun("stop", "chatty")
	n := e.allSeqsOnce("chatty", "chatty")
	if n != count {
		t.Fatalf("%d of %d lines stored", n, count)
	}
	if peak > 200<<10 {
		t.Fatalf("shim peak RSS %d MB: not bounded", peak>>10)
	}
	t.Logf("%d lines asked at 200,000/s, all stored once; shim peak RSS %.1f MB", n, float64(peak)/1024)
	faultRow(t, "container writing 200,000 lines/s (asked), 400,000 lines", 0, n)
}

func vmHWM(pid int) int {
	raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			kb, _ := strconv.Atoi(strings.Fields(l)[1])
			return kb
		}
	}
	return 0
}

// A workspace folder and compose values full of shell metacharacters: nothing
// runs through a shell, so they reach the container verbatim and nothing runs.
func TestShellMetacharactersInPathsAndValuesRunNothing(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	canary := filepath.Join(t.TempDir(), "pwned")
	value := "x; touch " + canary + "a && touch " + canary + "b | `touch " + canary + "c` $$(touch " + canary + "d)"
	e := newStack(t, "", "")
	hostile := filepath.Join(e.P.Dir, "my stack;$(touch "+canary+"e)'\"`touch "+canary+"f`")
	if err := os.MkdirAll(hostile, 0o755); err != nil {
		t.Fatal(err)
	}
	compose, _ := os.ReadFile(filepath.Join(e.P.Dir, "compose.yaml"))
	os.WriteFile(filepath.Join(hostile, "compose.yaml"), append(compose, fmt.Sprintf(`services:
  app:
    image: %s
    stop_grace_period: 2s
    healthcheck: {test: ["CMD", "/fixture", "health"], interval: 300ms, timeout: 2s, retries: 1}
    environment:
      FIXTURE_LOG_RATE: "20"
      FIXTURE_LOG_TEXT: %q
`, h.FixtureImage, value)...), 0o644)
	e.P.Dir = hostile
	e.MustRun("start", "app")
	want := strings.ReplaceAll(value, "$$", "$") // compose's escape for a literal $
	var env []string
	raw := h.Docker(t, "", "inspect", "--format", "{{json .Config.Env}}", e.Running("app").ID)
	if err := json.Unmarshal([]byte(raw), &env); err != nil || !slices.Contains(env, "FIXTURE_LOG_TEXT="+want) {
		t.Fatalf("container env %q (%v), want FIXTURE_LOG_TEXT=%s verbatim", env, err, want)
	}
	eventually(t, 10*time.Second, "a line with the value is stored", func() bool {
		for _, r := range e.logs("app") {
			if strings.HasSuffix(r.Msg, want) {
				return true
			}
		}
		return false
	})
	if rows, code := e.status("app"); code != 0 || rows["app"].State != "healthy" {
		t.Fatalf("status in the folder: exit %d, %+v", code, rows)
	}
	e.invariants("app", "app", "running")
	e.MustRun("stop", "app")
	e.invariants("app", "app", "stopped")
	for _, s := range []string{"a", "b", "c", "d", "e", "f"} {
		if _, err := os.Stat(canary + s); err == nil {
			t.Errorf("%s exists: something ran a shell", canary+s)
		}
	}
	faultRow(t, "shell metacharacters in the workspace path and compose values", 0, 0)
}

// The compose file edited into a schema error while the stack runs: the shims
// keep going, status still shows the stack and stop still stops it (views),
// and start refuses, naming the key.
func TestFaultComposeBrokenWhileRunning(t *testing.T) {
	e := seqFixture(t, "")
	e.MustRun("start", "app")
	compose, err := os.ReadFile(filepath.Join(e.P.Dir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e.P.WriteFile("compose.yaml", string(compose)+"    healthchek: {test: [\"CMD\", \"true\"]}\n")
	if rows, code := e.status("app"); code != 0 || rows["app"].State != "healthy" {
		t.Fatalf("status with compose mid-edit: exit %d, %+v", code, rows["app"])
	}
	if _, errOut, code := e.Run("start", "app"); code != 2 || !strings.Contains(errOut, "healthchek") {
		t.Fatalf("start with a schema error: exit %d\n%s\nwant 2 naming the key", code, errOut)
	}
	e.invariants("app", "app", "running")
	stopped := time.Now()
	e.MustRun("stop", "app")
	e.invariants("app", "app", "stopped")
	faultRow(t, "compose file broken while running, then pm2dock stop", time.Since(stopped), e.allSeqsOnce("app", "app"))
}
