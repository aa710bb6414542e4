package stack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/state"
)

// fakePM2 is a PM2 daemon in memory. Every mutation must have been expected
// (on): an unexpected one fails the test, and so does an expected one that
// never came (verify).
type fakePM2 struct {
	t     *testing.T
	mu    sync.Mutex
	procs []rpc.Process
	on    map[string]func(arg string) error // "start db", "stop 7", "restart 4"
	calls []string
}

func newPM2(t *testing.T, procs ...rpc.Process) *fakePM2 {
	f := &fakePM2{t: t, procs: procs, on: map[string]func(string) error{}}
	t.Cleanup(f.verify)
	return f
}

func app(name, ns string, pmID, pid int, status rpc.Status) rpc.Process {
	return rpc.Process{Name: name, PMID: pmID, PID: pid, Env: rpc.Env{Namespace: ns, Status: status}}
}

func (f *fakePM2) Apps(context.Context) ([]rpc.Process, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.procs), nil
}

func (f *fakePM2) mutate(call, arg string) error {
	f.mu.Lock()
	h, ok := f.on[call]
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	if !ok {
		f.t.Errorf("unexpected PM2 call: pm2 %s", call)
		return errors.New("unexpected call")
	}
	return h(arg)
}

func (f *fakePM2) Start(_ context.Context, _ string, names []string) error {
	return f.mutate("start "+strings.Join(names, ","), strings.Join(names, ","))
}
func (f *fakePM2) Stop(_ context.Context, id int) error { return f.mutate(fmt.Sprint("stop ", id), "") }
func (f *fakePM2) Restart(_ context.Context, id int) error {
	return f.mutate(fmt.Sprint("restart ", id), "")
}

func (f *fakePM2) verify() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for call := range f.on {
		if !slices.Contains(f.calls, call) {
			f.t.Errorf("expected PM2 call never made: pm2 %s", call)
		}
	}
}

// set makes PM2 run app name of ns with pid (adding it when new).
func (f *fakePM2) set(p rpc.Process) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.procs {
		if f.procs[i].Name == p.Name && f.procs[i].Env.Namespace == p.Env.Namespace {
			f.procs[i] = p
			return
		}
	}
	f.procs = append(f.procs, p)
}

// shim answers like a shim PM2 just started: it takes the pending requests
// and writes its state, a moment later (as a process would).
func shim(dir state.Dir, key service.Key, pid int, phase state.Phase, code exitcode.Code, reason string) {
	go func() {
		time.Sleep(20 * time.Millisecond)
		st := &state.File{Service: key, Phase: phase, ShimPID: pid, ShimStartedAt: time.Now(), Reason: reason}
		st.Answer(dir.TakeReset(key)...)
		if code != exitcode.OK {
			c := int(code)
			st.ExitCode = &c
		}
		if phase == state.Ready || phase == state.Completed {
			st.Container = &state.Container{ID: "c0ffee" + key.String(), Health: "healthy"}
		}
		dir.Write(st)
	}()
}

const ns = "ns"

func testStack(t *testing.T, pm *fakePM2) *Stack {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(`name: proj
services:
  db: {image: db:1}
  auth: {image: auth:1, depends_on: {db: {condition: service_healthy}}}
  migrate: {image: m:1}
  api: {image: api:1, depends_on: {migrate: {condition: service_completed_successfully}}}
`), 0o644)
	os.WriteFile(filepath.Join(dir, "pm2dock.yaml"), []byte("pm2: {namespace: "+ns+"}\n"), 0o644)
	p, err := profile.Load(context.Background(), profile.Options{Dir: dir, View: true})
	if err != nil {
		t.Fatal(err)
	}
	return &Stack{Profile: p, PM2: pm, Ecosystem: filepath.Join(dir, "eco.json"), Now: time.Now}
}

func result(t *testing.T, rs []Result, key service.Key) Result {
	t.Helper()
	for _, r := range rs {
		if r.Key == key {
			return r
		}
	}
	t.Fatalf("no result for %s in %+v", key, rs)
	return Result{}
}

func TestStartDecisions(t *testing.T) {
	for _, c := range []struct {
		name    string
		procs   []rpc.Process
		state   *state.File // db's state file before the start
		force   bool
		on      func(s *Stack, pm *fakePM2) map[string]func(string) error
		outcome Outcome
		code    exitcode.Code
	}{{
		name:    "a healthy service is left alone",
		procs:   []rpc.Process{app("db", ns, 0, 10, rpc.Online)},
		state:   &state.File{Service: "db", Phase: state.Ready, ShimPID: 10},
		outcome: AlreadyHealthy,
	}, {
		name:    "a shim from before this daemon is no answer: start it",
		procs:   []rpc.Process{app("db", ns, 0, 11, rpc.Online)},
		state:   &state.File{Service: "db", Phase: state.Ready, ShimPID: 10},
		outcome: Started,
		on: func(s *Stack, pm *fakePM2) map[string]func(string) error {
			return map[string]func(string) error{"start db": func(string) error {
				pm.set(app("db", ns, 0, 12, rpc.Online))
				shim(s.Profile.StateDir, "db", 12, state.Ready, 0, "")
				return nil
			}}
		},
	}, {
		name:    "an app of the same name in another namespace is never taken over",
		procs:   []rpc.Process{app("db", "theirs", 3, 30, rpc.Online)},
		outcome: Failed, code: exitcode.Usage,
	}, {
		name:    "a restart goes by pm_id",
		procs:   []rpc.Process{app("db", ns, 4, 10, rpc.Online), app("db", "theirs", 3, 30, rpc.Online)},
		state:   &state.File{Service: "db", Phase: state.Ready, ShimPID: 10},
		force:   true,
		outcome: Restarted,
		on: func(s *Stack, pm *fakePM2) map[string]func(string) error {
			return map[string]func(string) error{"restart 4": func(string) error {
				pm.set(app("db", ns, 4, 13, rpc.Online))
				shim(s.Profile.StateDir, "db", 13, state.Ready, 0, "")
				return nil
			}}
		},
	}, {
		name:    "a shim that gives up fails the start with its code, and its app is stopped by pm_id",
		procs:   []rpc.Process{app("other", "theirs", 1, 20, rpc.Online)},
		outcome: Failed, code: exitcode.PortConflict,
		on: func(s *Stack, pm *fakePM2) map[string]func(string) error {
			return map[string]func(string) error{
				"start db": func(string) error {
					pm.set(app("db", ns, 7, 14, rpc.Online))
					shim(s.Profile.StateDir, "db", 14, state.Failed, exitcode.PortConflict, "port 5432 is held by nginx")
					return nil
				},
				"stop 7": func(string) error { return nil },
			}
		},
	}} {
		t.Run(c.name, func(t *testing.T) {
			pm := newPM2(t, c.procs...)
			s := testStack(t, pm)
			if c.state != nil {
				s.Profile.StateDir.Write(c.state)
			}
			if c.on != nil {
				pm.on = c.on(s, pm)
			}
			rs, err := s.Start(context.Background(), []service.Key{"db"}, map[service.Key]bool{"db": c.force})
			r := result(t, rs, "db")
			if r.Outcome != c.outcome || exitcode.FromError(err) != c.code {
				t.Fatalf("outcome %q, exit %d (%v); want %q, exit %d", r.Outcome, exitcode.FromError(err), err, c.outcome, c.code)
			}
		})
	}
}

// A dependency that fails fails its dependents with its code; they are never
// started.
func TestStartFailsDependentsOfAFailedDependency(t *testing.T) {
	pm := newPM2(t)
	s := testStack(t, pm)
	pm.on = map[string]func(string) error{
		"start db": func(string) error {
			pm.set(app("db", ns, 0, 10, rpc.Online))
			shim(s.Profile.StateDir, "db", 10, state.Failed, exitcode.ImageMissing, "image db:1 not found")
			return nil
		},
		"stop 0": func(string) error { return nil },
	}
	rs, err := s.Start(context.Background(), []service.Key{"auth"}, nil)
	if exitcode.FromError(err) != exitcode.ImageMissing {
		t.Fatalf("exit %d (%v), want 3", exitcode.FromError(err), err)
	}
	auth := result(t, rs, "auth")
	if auth.Outcome != Failed || !strings.Contains(auth.Err.Error(), "its dependency db failed") ||
		exitcode.FromError(auth.Err) != exitcode.ImageMissing {
		t.Fatalf("auth: %+v", auth)
	}
}

// Stop addresses apps by pm_id and leaves alone what is stopped already and
// what belongs to another namespace.
func TestStopByPMID(t *testing.T) {
	pm := newPM2(t, app("auth", "theirs", 1, 30, rpc.Online), app("db", ns, 2, 10, rpc.Online), app("auth", ns, 3, 0, rpc.Stopped))
	pm.on = map[string]func(string) error{"stop 2": func(string) error { return nil }}
	s := testStack(t, pm)
	rs, err := s.Stop(context.Background(), []service.Key{"db", "auth"})
	if err != nil || len(rs) != 2 || rs[0].Key != "auth" || rs[1].Key != "db" { // dependents first
		t.Fatalf("Stop = %+v, %v", rs, err)
	}
	for _, r := range rs {
		if r.Outcome != Stopped {
			t.Errorf("%s: %s", r.Key, r.Outcome)
		}
	}
}

// Jobs: a start runs a completed job again when something waits for it (a
// dependent that is not ready, or the job named itself), and leaves it alone
// when its dependents are ready already or in a restart of a dependent.
func TestJobDecisions(t *testing.T) {
	completed := &state.File{Service: "migrate", Phase: state.Completed, ShimPID: 5}
	apiReady := &state.File{Service: "api", Phase: state.Ready, ShimPID: 20}
	runJob := func(s *Stack, pm *fakePM2) func(string) error {
		return func(string) error {
			pm.set(app("migrate", ns, 1, 30, rpc.Online))
			shim(s.Profile.StateDir, "migrate", 30, state.Ready, 0, "")
			go func() { // …and completes a moment later, PM2 showing it stopped
				st, _ := s.Profile.StateDir.Read("migrate") // the same shim: it keeps the requests it answered
				for i := 0; i < 100 && (st == nil || st.ShimPID != 30); i++ {
					time.Sleep(10 * time.Millisecond)
					st, _ = s.Profile.StateDir.Read("migrate")
				}
				time.Sleep(40 * time.Millisecond)
				code := int(exitcode.JobDone)
				st.Phase, st.ExitCode = state.Completed, &code
				s.Profile.StateDir.Write(st)
				pm.set(app("migrate", ns, 1, 0, rpc.Stopped))
			}()
			return nil
		}
	}
	startAPI := func(s *Stack, pm *fakePM2) func(string) error {
		return func(string) error {
			pm.set(app("api", ns, 2, 21, rpc.Online))
			shim(s.Profile.StateDir, "api", 21, state.Ready, 0, "")
			return nil
		}
	}
	for _, c := range []struct {
		name    string
		keys    []service.Key
		restart map[service.Key]bool
		apiUp   bool
		on      func(s *Stack, pm *fakePM2) map[string]func(string) error
		migrate Outcome
		api     Outcome
	}{{
		name: "dependents ready: the completed job is left alone", keys: []service.Key{"api"}, apiUp: true,
		migrate: AlreadyHealthy, api: AlreadyHealthy,
	}, {
		name: "a dependent to start: the job runs again first, and is waited for", keys: []service.Key{"api"},
		on: func(s *Stack, pm *fakePM2) map[string]func(string) error {
			return map[string]func(string) error{"start migrate": runJob(s, pm), "start api": startAPI(s, pm)}
		},
		migrate: Started, api: Started,
	}, {
		name: "the job named itself: it runs again", keys: []service.Key{"migrate"}, apiUp: true,
		on: func(s *Stack, pm *fakePM2) map[string]func(string) error {
			return map[string]func(string) error{"start migrate": runJob(s, pm)}
		},
		migrate: Started,
	}, {
		name: "a restart of the dependent leaves the completed job alone", keys: []service.Key{"api"}, apiUp: true,
		restart: map[service.Key]bool{"api": true},
		on: func(s *Stack, pm *fakePM2) map[string]func(string) error {
			return map[string]func(string) error{"restart 2": startAPI(s, pm)}
		},
		migrate: AlreadyHealthy, api: Restarted,
	}} {
		t.Run(c.name, func(t *testing.T) {
			procs := []rpc.Process{app("migrate", ns, 1, 0, rpc.Stopped)}
			if c.apiUp {
				procs = append(procs, app("api", ns, 2, 20, rpc.Online))
			}
			pm := newPM2(t, procs...)
			s := testStack(t, pm)
			s.Profile.StateDir.Write(completed)
			if c.apiUp {
				s.Profile.StateDir.Write(apiReady)
			}
			if c.on != nil {
				pm.on = c.on(s, pm)
			}
			rs, err := s.Start(context.Background(), c.keys, c.restart)
			if err != nil {
				t.Fatal(err)
			}
			if m := result(t, rs, "migrate"); m.Outcome != c.migrate || m.Phase != state.Completed {
				t.Errorf("migrate: %q in phase %s, want %q, completed", m.Outcome, m.Phase, c.migrate)
			}
			if c.api != "" {
				if a := result(t, rs, "api"); a.Outcome != c.api {
					t.Errorf("api: %q, want %q", a.Outcome, c.api)
				}
			}
		})
	}
}
