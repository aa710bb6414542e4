package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// eventRecord is a line of `pm2dock events --json` (docs/contracts.md#event-records).
type eventRecord struct {
	TS        time.Time `json:"ts"`
	Service   string    `json:"service"`
	Event     string    `json:"event"`
	Reason    *string   `json:"reason"`
	ExitCode  *int      `json:"exit_code"`
	OOMKilled *bool     `json:"oom_killed"`
	Health    *string   `json:"health"`
	Output    *string   `json:"output"`
	By        *string   `json:"by"`
}

func (r eventRecord) String() string {
	by, code := "-", "-"
	if r.By != nil {
		by = *r.By
	}
	if r.ExitCode != nil {
		code = fmt.Sprint(*r.ExitCode)
	}
	return fmt.Sprintf("%s/%s(by %s, exit %s)", r.Service, r.Event, by, code)
}

// events runs `pm2dock events --json ARGS` and decodes every line, checking
// each has exactly the keys of the contract.
func (e *stackEnv) events(args ...string) []eventRecord {
	e.t.Helper()
	out, errOut, code := e.Run(append([]string{"events", "--json"}, args...)...)
	if code != 0 {
		e.t.Fatalf("events %v: exit %d\n%s", args, code, errOut)
	}
	var recs []eventRecord
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var keys map[string]any
		if err := json.Unmarshal([]byte(line), &keys); err != nil || len(keys) != 9 {
			e.t.Fatalf("event line %q: %v, want the 9 keys of the contract", line, err)
		}
		var r eventRecord
		json.Unmarshal([]byte(line), &r)
		recs = append(recs, r)
	}
	return recs
}

// kinds is the events as "event/by" words, for comparing sequences.
func kinds(recs []eventRecord) string {
	var w []string
	for _, r := range recs {
		by := "-"
		if r.By != nil {
			by = *r.By
		}
		w = append(w, r.Event+"/"+by)
	}
	return strings.Join(w, " ")
}

func count(recs []eventRecord, event string) int {
	n := 0
	for _, r := range recs {
		if r.Event == event {
			n++
		}
	}
	return n
}

func has(recs []eventRecord, event string) *eventRecord {
	for i := range recs {
		if recs[i].Event == event {
			return &recs[i]
		}
	}
	return nil
}

// The shim records the service's life in its journal: who started it, when
// it turned healthy and unhealthy (with the probe's output), a container killed
// behind its back, the restart policy's restart, a person's stop, and PM2's
// own start and stop — read back by time, as JSON and text, and in status -v.
func TestEventJournalTellsTheServicesHistory(t *testing.T) {
	e := fixtureApp(t, "2s", `FIXTURE_HEALTH: "fail-after:3s"`, "services:\n  app:\n    restart: {max: 5, window: 1m, delay: 1s}\n")
	began := time.Now()
	e.MustRun("start", "app")
	eventually(t, 20*time.Second, "the unhealthy event", func() bool { return has(e.events("app"), "unhealthy") != nil })
	recs := e.events("app")
	if got, want := kinds(recs), "start/user healthy/engine unhealthy/engine"; got != want {
		t.Fatalf("events %s, want %s", got, want)
	}
	un := recs[2]
	if un.Output == nil || !strings.Contains(*un.Output, "health:") || un.Health == nil || *un.Health != "unhealthy" {
		t.Errorf("unhealthy event %+v, want the probe's output and the health word", un)
	}
	if !recs[0].TS.After(began) || recs[1].TS.Before(recs[0].TS) || recs[2].TS.Before(recs[1].TS) {
		t.Errorf("event times out of order or before the start: %v", recs)
	}
	rows, _ := e.status("app")
	if c := rows["app"].Container; c == nil || c.HealthOutput == nil || !strings.Contains(*c.HealthOutput, "health:") {
		t.Errorf("status --json container %+v, want health_output with the failing probe's output", c)
	}
	out, _, _ := e.Run("status", "-v", "app")
	if !strings.Contains(out, "Last events") || !strings.Contains(out, " app unhealthy by engine: the healthcheck fails; probe: health:") {
		t.Errorf("status -v:\n%s\nwant the last events with the probe's output", out)
	}

	// A container killed behind pm2dock's back: an exit with its code, then
	// the restart policy's restart.
	h.Docker(t, "", "kill", e.Running("app").ID)
	eventually(t, 20*time.Second, "the restart after the kill", func() bool { return has(e.events("app"), "restart") != nil })
	recs = e.events("app")
	ex, re := has(recs, "exit"), has(recs, "restart")
	if ex == nil || ex.ExitCode == nil || *ex.ExitCode != 137 || *ex.By != "engine" || ex.OOMKilled == nil || *ex.OOMKilled ||
		!strings.Contains(*ex.Reason, "docker kill") {
		t.Errorf("exit event %+v, want exit code 137 by the engine, killed by docker kill, not OOM", ex)
	}
	if *re.By != "policy" || !strings.Contains(*re.Reason, "restart 1 after a failure") {
		t.Errorf("restart event %+v, want the restart policy's", re)
	}

	healthy := func(n int) func() bool {
		return func() bool { return count(e.events("app"), "healthy") == n }
	}
	eventually(t, 20*time.Second, "healthy after the restart", healthy(2))

	// A person's stop, then PM2 alone: `pm2 start app` and `pm2 stop app`.
	e.MustRun("stop", "app")
	e.PM2.Run("start", "app")
	eventually(t, 20*time.Second, "healthy after PM2's start", healthy(3))
	e.PM2.Run("stop", "app")
	e.NoneRunning()
	recs = e.events("app")
	got := kinds(recs)
	for _, want := range []string{"restart/policy healthy/engine", "stop/user start/pm2 healthy/engine"} {
		if !strings.Contains(got, want) {
			t.Errorf("events %s, want %q in them", got, want)
		}
	}
	if last := recs[len(recs)-1]; last.Event != "stop" || *last.By != "pm2" {
		t.Errorf("last event %v, want the stop by PM2 (pm2 stop)", last)
	}

	// By time: the window [unhealthy, exit) holds the unhealthy event alone;
	// the text form has a line per event.
	since, until := recs[2].TS.Format(time.RFC3339Nano), ex.TS.Format(time.RFC3339Nano)
	if w := e.events("app", "--since", since, "--until", until); kinds(w) != "unhealthy/engine" {
		t.Errorf("events --since %s --until %s: %s, want the unhealthy event alone", since, until, kinds(w))
	}
	text := strings.Split(strings.TrimSpace(e.MustRun("events")), "\n")
	if len(text) != len(recs) || !strings.Contains(text[0], " app start by user") {
		t.Errorf("events (text), %d lines for %d events:\n%s", len(text), len(recs), strings.Join(text, "\n"))
	}
	if tail := e.events("--tail", "1"); len(tail) != 1 || tail[0].TS != recs[len(recs)-1].TS {
		t.Errorf("events --tail 1: %v", tail)
	}
	if _, errOut, code := e.Run("events", "nosuch"); code != 2 || !strings.Contains(errOut, `unknown service "nosuch"`) {
		t.Errorf("events nosuch: exit %d %s, want 2 naming it", code, errOut)
	}
}

// `pm2dock wait` for services PM2 started on its own (pm2 start FILE): 0 once
// healthy, the shim's exit code and reason at once for a crash loop, 6 at
// its timeout naming who is not ready.
func TestWaitForServicesPM2Started(t *testing.T) {
	e := fixtureApp(t, "2s", `FIXTURE_HEALTH: "pass-after:2s"`, "services:\n  app:\n    restart: {max: 1, window: 1m, delay: 1s}\n")
	eco := filepath.Join(e.P.Dir, "eco.json")
	e.MustRun("ecosystem", "--handoff", "-o", eco)
	e.PM2.Run("start", eco)
	t0 := time.Now()
	if out, errOut, code := e.Run("wait", "app", "--timeout", "60s"); code != 0 {
		t.Fatalf("wait: exit %d\n%s%s", code, out, errOut)
	}
	if rows, _ := e.status("app"); rows["app"].State != "healthy" || time.Since(t0) < time.Second {
		t.Fatalf("wait returned after %v with app %s; want it to wait until healthy (~2 s)", time.Since(t0), rows["app"].State)
	}
	e.PM2.Run("stop", "app")
	if _, errOut, code := e.Run("wait", "app", "--timeout", "2s"); code != 6 || !strings.Contains(errOut, "app is stopped") {
		t.Errorf("wait on a stopped app: exit %d %s, want 6 naming it", code, errOut)
	}

	crash := fixtureApp(t, "2s", `FIXTURE_CRASH_AFTER: 1s, FIXTURE_EXIT_CODE: "3", FIXTURE_HEALTH: "pass-after:30s"`,
		"services:\n  app:\n    restart: {max: 1, window: 1m, delay: 1s}\n")
	eco = filepath.Join(crash.P.Dir, "eco.json")
	crash.MustRun("ecosystem", "--handoff", "-o", eco)
	crash.PM2.Run("start", eco)
	_, errOut, code := crash.Run("wait", "--timeout", "60s")
	if code != 5 || !strings.Contains(errOut, "crash loop") || !strings.Contains(errOut, "exited with code 3") {
		t.Errorf("wait on a crash loop: exit %d %s, want 5 with the reason", code, errOut)
	}
}
