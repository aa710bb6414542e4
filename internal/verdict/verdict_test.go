package verdict

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
	"github.com/pm2dock/pm2dock/internal/state"
)

// updateGoldenFiles regenerates testdata/*.golden (restic's way):
// go test ./internal/verdict -update, then read the diff before committing.
var updateGoldenFiles = flag.Bool("update", false, "update golden files in testdata/")

var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func app(status rpc.Status, pid int) *rpc.Process {
	return &rpc.Process{Name: "db", PID: pid, Env: rpc.Env{Status: status, Namespace: "dev"}}
}

func running(health string) *Container { return &Container{Running: true, Health: health} }

var exited = &Container{Running: false}

func code(c exitcode.Code) *int { n := int(c); return &n }

// shim is a state file written by the shim of pid in phase, answering the
// request token "req".
func shim(pid int, phase state.Phase) *state.File {
	return &state.File{Service: "db", Phase: phase, ShimPID: pid, ShimStartedAt: t0, Requests: []string{"req"}}
}

func failed(pid int, c exitcode.Code, reason string) *state.File {
	st := shim(pid, state.Failed)
	st.ExitCode, st.Reason = code(c), reason
	return st
}

func with(st *state.File, f func(*state.File)) *state.File { f(st); return st }

// lookCases are the rows of the state table of docs/contracts.md#status-json.
var lookCases = []struct {
	name string
	in   Input
}{
	{"nothing anywhere", Input{}},
	{"healthy", Input{App: app(rpc.Online, 10), Container: running("healthy")}},
	{"running: no healthcheck", Input{App: app(rpc.Online, 10), Container: running("")}},
	{"health starting", Input{App: app(rpc.Online, 10), Container: running("starting")}},
	{"unhealthy", Input{App: app(rpc.Online, 10), Container: running("unhealthy")}},
	{"shim up, no container yet", Input{App: app(rpc.Online, 10)}},
	{"shim up, container exited (backoff)", Input{App: app(rpc.Online, 10), Container: exited}},
	{"shim launching", Input{App: app(rpc.Launching, 0), Container: running("healthy")}},
	{"a container no shim supervises", Input{App: app(rpc.Stopped, 0), Container: running("healthy")}},
	{"PM2 waits to restart", Input{App: app(rpc.WaitingRestart, 0)}},
	{"PM2 errored", Input{App: app(rpc.Errored, 0)}},
	{"PM2 errored, an earlier container failure", Input{App: app(rpc.Errored, 0),
		State: with(shim(10, state.Exited), func(st *state.File) { st.LastFailure = &state.Failure{Reason: "exited with code 3"} })}},
	{"stopped", Input{App: app(rpc.Stopped, 0), Container: exited, State: shim(10, state.Stopped)}},
	{"not registered, no container", Input{State: shim(10, state.Stopped)}},
	// The shim's verdict wins over PM2's "waiting restart"…
	{"shim gave up (port), PM2 says waiting restart", Input{App: app(rpc.WaitingRestart, 0), State: failed(10, exitcode.PortConflict, "port 5432 is held by pid 7 (postgres)")}},
	{"shim gave up with its own hint", Input{App: app(rpc.Stopped, 0),
		State: with(failed(10, exitcode.ImageMissing, "image x:1 is not present"), func(st *state.File) { st.Hint = "build it: docker build -t x:1 ." })}},
	{"crash loop", Input{App: app(rpc.Stopped, 0), Container: exited, State: failed(10, exitcode.CrashLoop, "crash loop: 3 failures within 1m")}},
	{"the shim that gave up is still the one PM2 lists", Input{App: app(rpc.Online, 10), Container: running("healthy"), State: failed(10, exitcode.ImageMissing, "image x:1 is not present")}},
	// …unless PM2 runs a newer shim than the one that gave up (superseded).
	{"superseded: a newer shim runs after a crash loop", Input{App: app(rpc.Online, 11), Container: running("healthy"), State: failed(10, exitcode.CrashLoop, "crash loop")}},
	{"superseded: a newer shim preflights after a failure", Input{App: app(rpc.Online, 11), State: failed(10, exitcode.PortConflict, "port held")}},
	// Jobs (docs/contracts.md#jobs).
	{"a job that completed", Input{Job: true, App: app(rpc.Stopped, 0), Container: exited, State: shim(10, state.Completed)}},
	{"a job running again (superseded)", Input{Job: true, App: app(rpc.Online, 11), Container: running(""), State: shim(10, state.Completed)}},
	{"completed, but its container runs again", Input{App: app(rpc.Stopped, 0), Container: running(""), State: shim(10, state.Completed)}},
	{"a job's shim still running it", Input{Job: true, App: app(rpc.Online, 10), Container: running(""), State: shim(10, state.Ready)}},
	// A namesake (an app of that name in another namespace) is not this
	// service's app: the caller finds none (pm2.Find), and the verdict has no App.
	{"namesake elsewhere, a container without a shim", Input{Container: running("healthy")}},
	// Views that did not answer.
	{"PM2 did not answer", Input{PM2Down: true, App: nil, Container: running("healthy")}},
	{"the engine did not answer", Input{EngineDown: true, App: app(rpc.Online, 10)}},
	{"the engine did not answer, the shim gave up", Input{EngineDown: true, App: app(rpc.Stopped, 0), State: failed(10, exitcode.PortConflict, "port held")}},
}

// requestCases are a start's (or restart's) wait: the phases of the shim
// answering it.
var requestCases = []struct {
	name string
	in   Input
}{
	{"no answer yet", Input{State: nil}},
	{"an old state file does not answer", Input{State: with(shim(9, state.Failed), func(st *state.File) { st.Requests = []string{"old"} })}},
	{"preflight", Input{State: shim(10, state.Preflight)}},
	{"starting", Input{State: with(shim(10, state.Starting), func(st *state.File) { st.Container = &state.Container{ID: "c", Health: "starting"} })}},
	{"unhealthy while starting", Input{State: shim(10, state.Unhealthy)}},
	{"backoff", Input{State: shim(10, state.Backoff)}},
	{"ready with a healthcheck", Input{State: with(shim(10, state.Ready), func(st *state.File) { st.Container = &state.Container{ID: "c", Health: "healthy"} })}},
	{"ready without a healthcheck", Input{State: with(shim(10, state.Ready), func(st *state.File) { st.Container = &state.Container{ID: "c"} })}},
	{"a job ready is not done", Input{Job: true, State: with(shim(10, state.Ready), func(st *state.File) { st.Container = &state.Container{ID: "c"} })}},
	{"a job completed", Input{Job: true, State: shim(10, state.Completed)}},
	{"a service completed (exit 0 under restart no)", Input{State: shim(10, state.Completed)}},
	{"failed: port", Input{State: failed(10, exitcode.PortConflict, "port 80 is held")}},
	{"failed: crash loop", Input{State: failed(10, exitcode.CrashLoop, "crash loop")}},
	{"failed with exit 1 counts as not healthy", Input{State: failed(10, exitcode.Error, "exited")}},
	{"stopped while starting", Input{App: app(rpc.Stopped, 0), State: with(shim(10, state.Stopped), func(st *state.File) { st.ExitCode = code(exitcode.OK) })}},
	{"stopped, superseded by a newer shim", Input{App: app(rpc.Online, 11), State: shim(10, state.Stopped)}},
	{"detached: the PM2 daemon died", Input{State: with(shim(10, state.Detached), func(st *state.File) { st.Reason = "the PM2 daemon died" })}},
	{"exited, PM2 restarts it", Input{App: app(rpc.WaitingRestart, 10), State: with(shim(10, state.Exited), func(st *state.File) { st.Reason = "exited with code 1" })}},
	{"exited, PM2 gave up", Input{App: app(rpc.Stopped, 0), State: with(shim(10, state.Exited), func(st *state.File) { st.Reason = "exited with code 1" })}},
	{"PM2 stopped the app before a shim answered", Input{App: app(rpc.Stopped, 0)}},
	{"PM2 errored before a shim answered", Input{App: app(rpc.Errored, 0)}},
	{"deadline: never reported", Input{State: nil, Now: t0.Add(time.Minute)}},
	{"deadline: still starting, health starting", Input{State: with(shim(10, state.Starting), func(st *state.File) { st.Container = &state.Container{ID: "c", Health: "starting"} }), Now: t0.Add(time.Minute)}},
	{"deadline: exited while starting", Input{State: with(shim(10, state.Exited), func(st *state.File) { st.Reason = "exited with code 1" }), Now: t0.Add(time.Minute)}},
	{"deadline: a job still running is left running", Input{Job: true, State: shim(10, state.Ready), Now: t0.Add(time.Minute)}},
	{"deadline: ready just in time wins", Input{State: shim(10, state.Ready), Now: t0.Add(time.Minute)}},
}

func line(name string, v Verdict) string {
	return fmt.Sprintf("%s\n  state=%s done=%v code=%d ready=%v\n  reason=%q\n  hint=%q\n", name, v.State, v.Done, v.Code, v.Ready(), v.Reason, v.Hint)
}

func TestJudge(t *testing.T) {
	var out bytes.Buffer
	out.WriteString("# a look (status, wait, the dashboard)\n")
	for _, c := range lookCases {
		c.in.Service = "db"
		out.WriteString(line(c.name, Judge(c.in)))
	}
	out.WriteString("\n# a request (start, restart): token \"req\", asked at t0, start_timeout 30s\n")
	for _, c := range requestCases {
		c.in.Service = "db"
		if c.in.Now.IsZero() {
			c.in.Now = t0.Add(time.Second)
		}
		c.in.Request = &Request{Token: "req", Since: t0, Timeout: 30 * time.Second, Deadline: t0.Add(30 * time.Second)}
		out.WriteString(line(c.name, Judge(c.in)))
	}
	golden(t, "verdicts.golden", out.Bytes())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGoldenFiles {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/verdict -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("verdicts differ from %s (go test ./internal/verdict -update, then read the diff):\n%s", path, diff(string(want), string(got)))
	}
}

// diff lists the lines that differ, numbered.
func diff(want, got string) string {
	w, g := bytes.Split([]byte(want), []byte("\n")), bytes.Split([]byte(got), []byte("\n"))
	var b bytes.Buffer
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl []byte
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if !bytes.Equal(wl, gl) {
			fmt.Fprintf(&b, "line %d:\n  want %s\n  got  %s\n", i+1, wl, gl)
		}
	}
	return b.String()
}

// The state a request waits on is recognised by its token, so a clock
// stepped back cannot make a stale state look fresh (or a fresh one stale).
func TestAnsweredByTokenNotByClock(t *testing.T) {
	later, earlier := t0.Add(time.Second), t0.Add(-time.Second)
	for _, c := range []struct {
		name string
		r    Request
		st   *state.File
		want bool
	}{
		{"own token, clock stepped back", Request{Token: "abc", Since: t0}, &state.File{Requests: []string{"old", "abc"}, ShimStartedAt: earlier}, true},
		{"stale state stamped in the future", Request{Token: "abc", Since: t0}, &state.File{Requests: []string{"old"}, ShimStartedAt: later}, false},
		{"no token: started after t0", Request{Since: t0}, &state.File{ShimStartedAt: later}, true},
		{"no token: started before t0", Request{Since: t0}, &state.File{ShimStartedAt: earlier}, false},
		{"waiting for a starting shim", Request{ShimPID: 42, Token: "abc"}, &state.File{ShimPID: 42}, true},
		{"waiting, an older other shim", Request{ShimPID: 42, Since: t0}, &state.File{ShimPID: 43, ShimStartedAt: earlier}, false},
		{"waiting, the shim PM2 started after it (its container exited)", Request{ShimPID: 42, Since: t0}, &state.File{ShimPID: 43, ShimStartedAt: later}, true},
		{"no state file", Request{Since: t0}, nil, false},
	} {
		if got := c.r.AnsweredBy(c.st); got != c.want {
			t.Errorf("%s: AnsweredBy = %v, want %v", c.name, got, c.want)
		}
	}
}

// Every verdict that is not ready is an error with its code and a hint that
// names the service; a ready one is no error.
func TestErrCarriesCodeAndHint(t *testing.T) {
	for _, c := range append(lookCases, requestCases...) {
		c.in.Service = "db"
		v := Judge(c.in)
		err := v.Err()
		switch {
		case v.Ready() && err != nil:
			t.Errorf("%s: ready, but Err = %v", c.name, err)
		case !v.Ready() && exitcode.FromError(err) != v.Code:
			t.Errorf("%s: Err exits %d, want %d", c.name, exitcode.FromError(err), v.Code)
		case v.Done && !v.Ready() && v.Hint == "":
			t.Errorf("%s: failed for good without a hint", c.name)
		}
	}
}
