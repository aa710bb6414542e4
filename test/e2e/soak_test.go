package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// TestSoak runs a team's stack under PM2 for SOAK_MINUTES (default 2; `make
// soak` runs 10) with faults drawn at random from a seeded menu (SOAK_SEED
// replays a run), some of them two at once, and after every fault and at the
// end checks what must always hold: never two containers for a service, no
// container without the shim that owns it, every sequence line stored once
// and in order (against `docker logs` while the container exists), state
// files true, every service healthy again within its bound, at most one
// alert per incident. It prints a table and fails on any violation.
func TestSoak(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	h.RequireImage(t, h.PostgresImage)
	minutes := 2.0
	if v := os.Getenv("SOAK_MINUTES"); v != "" {
		m, err := strconv.ParseFloat(v, 64)
		if err != nil || m <= 0 || m > 120 {
			t.Fatalf("SOAK_MINUTES=%q: want minutes, more than 0 and at most 120", v)
		}
		minutes = m
	}
	seed := time.Now().UnixNano() % 1e9
	if v := os.Getenv("SOAK_SEED"); v != "" {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("SOAK_SEED=%q: want an integer", v)
		}
		seed = s
	}
	fmt.Printf("soak: seed %d (SOAK_SEED=%d replays this run's faults), %.0f minutes\n", seed, seed, minutes)
	s := newSoak(t, rand.New(rand.NewSource(seed)))
	s.run(time.Duration(minutes * float64(time.Minute)))
	s.report(seed)
}

// soakServices are the long-running services; migrate is the job.
var soakServices = []string{"db", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "api"}

// soakCompose publishes a fixed host port per long-running service, as real
// stacks do (5432:5432): a port is what a shim's preflight can find taken.
func soakCompose(t *testing.T) string {
	var b strings.Builder
	fix := func(name, env, extra string) {
		fmt.Fprintf(&b, "  %s:\n    image: %s\n    stop_grace_period: 2s\n    environment: {%s}\n%s", name, h.FixtureImage, env, extra)
		if name != "migrate" {
			fmt.Fprintf(&b, "    ports: [\"127.0.0.1:%d:8080\"]\n", h.FreePort(t))
		}
	}
	fmt.Fprintf(&b, `x-health: &health
  test: ["CMD", "/fixture", "health"]
  interval: 500ms
  timeout: 2s
  retries: 3
services:
  db:
    image: %s
    environment: {POSTGRES_USER: app, POSTGRES_DB: app, POSTGRES_PASSWORD: soak-Pw-1}
    stop_grace_period: 5s
    healthcheck: {test: ["CMD", "pg_isready", "-h", "127.0.0.1", "-q"], interval: 500ms, retries: 60}
`, h.PostgresImage)
	for i := range 10 {
		fix(fmt.Sprintf("s%d", i), `FIXTURE_LOG_RATE: "20"`, "    healthcheck: *health\n")
	}
	fix("migrate", `FIXTURE_CRASH_AFTER: "1s", FIXTURE_EXIT_CODE: "0"`, "    depends_on: {db: {condition: service_healthy}}\n")
	fix("api", `FIXTURE_LOG_RATE: "20"`, "    healthcheck: *health\n    depends_on: {migrate: {condition: service_completed_successfully}}\n")
	return b.String()
}

type soak struct {
	t      *testing.T
	e      *stackEnv
	rnd    *rand.Rand
	menu   []soakFault
	faults map[string][]time.Duration // recoveries by fault kind
	lines  int                        // sequence lines checked, last check
	issues []string                   // violations
	alerts *alertSink
}

type soakFault struct {
	kind string
	// inject does the fault to service (one of soakServices, for the
	// per-service faults) and returns when it is over (a 10 s fault ends when
	// its 10 s do); the bound is how long the stack may take to be right again.
	inject  func(s *soak, service string) error
	bound   time.Duration
	project bool // to the whole stack: never paired with another fault
}

func newSoak(t *testing.T, rnd *rand.Rand) *soak {
	alerts := &alertSink{}
	srv := httptest.NewServer(alerts)
	t.Cleanup(srv.Close)
	profile := fmt.Sprintf("defaults:\n  restart: {max: 40, window: 10m, delay: 500ms}\nalerts:\n  webhook: %s\n", srv.URL)
	e := newStack(t, soakCompose(t), profile)
	s := &soak{t: t, e: e, rnd: rnd, faults: map[string][]time.Duration{}, alerts: alerts}
	s.menu = []soakFault{
		{kind: "kill -9 of a shim", inject: (*soak).killShim, bound: 30 * time.Second},
		{kind: "docker kill", inject: (*soak).dockerKill, bound: 45 * time.Second},
		{kind: "docker rm -f", inject: (*soak).dockerRm, bound: 45 * time.Second},
		{kind: "SIGSTOP of a shim, 10 s", inject: (*soak).stopShim, bound: 30 * time.Second},
		{kind: "two pm2dock restart at once", inject: (*soak).twoRestarts, bound: 45 * time.Second},
		{kind: "docker kill, then pm2dock restart during the policy's restart", inject: (*soak).restartDuringPolicyRestart, bound: 45 * time.Second},
		{kind: "docker compose down", inject: (*soak).composeDown, bound: 90 * time.Second, project: true},
		{kind: "pm2 kill, pm2 resurrect", inject: (*soak).pm2KillResurrect, bound: 90 * time.Second, project: true},
	}
	if os.Getuid() == 0 {
		s.menu = append(s.menu, soakFault{kind: "log folder read-only, 10 s", inject: (*soak).logsReadOnly, bound: 30 * time.Second, project: true})
	}
	if os.Getenv("PM2DOCK_FAULT_DOCKERD") == "1" && exec.Command("systemctl", "is-active", "--quiet", "docker").Run() != nil {
		s.menu = append(s.menu, soakFault{kind: "dockerd restart", inject: (*soak).dockerdRestart, bound: 120 * time.Second, project: true})
	}
	return s
}

func (s *soak) run(d time.Duration) {
	e := s.e
	began := time.Now()
	if out, errOut, code := e.Run("start"); code != 0 {
		s.t.Fatalf("start exit %d\n%s%s", code, out, errOut)
	}
	if _, err := e.PM2.Try("save"); err != nil {
		s.t.Fatalf("pm2 save: %v", err)
	}
	s.t.Logf("stack of %d services and a job healthy in %v", len(soakServices), time.Since(began).Round(time.Millisecond))
	s.check("after start")
	deadline := time.Now().Add(d)
	for n := 1; time.Now().Before(deadline); n++ {
		f := s.menu[s.rnd.Intn(len(s.menu))]
		faults := []soakFault{f}
		if !f.project && s.rnd.Intn(3) == 0 { // a third of the time, another at once
			for {
				g := s.menu[s.rnd.Intn(len(s.menu))]
				if !g.project {
					faults = append(faults, g)
					break
				}
			}
		}
		targets := s.rnd.Perm(len(soakServices))
		var kinds []string
		var wg sync.WaitGroup
		errs := make([]error, len(faults))
		bound := time.Duration(0)
		for i, f := range faults {
			svc := soakServices[targets[i]]
			kinds = append(kinds, f.kind+" ("+svc+")")
			bound = max(bound, f.bound)
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = f.inject(s, svc) }()
		}
		wg.Wait()
		what := fmt.Sprintf("fault %d: %s", n, strings.Join(kinds, " + "))
		for _, err := range errs {
			if err != nil {
				s.issue("%s: injecting: %v", what, err)
			}
		}
		took, ok := s.converge(what, bound)
		for _, f := range faults {
			s.faults[f.kind] = append(s.faults[f.kind], took)
		}
		if !ok {
			s.issue("%s: not healthy again within %v", what, bound)
			break // what follows would only repeat it
		}
		s.t.Logf("%s: right again %v after it ended", what, took.Round(time.Millisecond))
		s.alerts.incident(s, what)
		s.check(what)
		time.Sleep(time.Duration(s.rnd.Intn(3000)) * time.Millisecond)
	}
	s.check("at the end")
}

func (s *soak) issue(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	s.issues = append(s.issues, msg)
	s.t.Errorf("violation: %s", msg)
}

// ---- the faults

func (s *soak) shimPID(svc string) (int, error) {
	raw, err := os.ReadFile(filepath.Join(s.e.P.Dir, ".pm2dock", "state", svc+".json"))
	if err != nil {
		return 0, err
	}
	var st struct {
		ShimPID int `json:"shim_pid"`
	}
	if err := json.Unmarshal(raw, &st); err != nil || st.ShimPID == 0 {
		return 0, fmt.Errorf("no shim pid in %s's state: %v", svc, err)
	}
	return st.ShimPID, nil
}

func (s *soak) containerID(svc string) (string, error) {
	out, err := h.TryDocker("", "ps", "-q", "--filter", "label="+s.e.P.Label(), "--filter", "label=com.docker.compose.service="+svc)
	if id := strings.TrimSpace(out); err == nil && id != "" && !strings.Contains(id, "\n") {
		return id, nil
	}
	return "", fmt.Errorf("no one running container of %s (%q): %v", svc, out, err)
}

func (s *soak) killShim(svc string) error {
	pid, err := s.shimPID(svc)
	if err != nil {
		return err
	}
	return syscall.Kill(pid, syscall.SIGKILL)
}

func (s *soak) dockerKill(svc string) error {
	id, err := s.containerID(svc)
	if err == nil {
		_, err = h.TryDocker("", "kill", id)
	}
	return err
}

func (s *soak) dockerRm(svc string) error {
	id, err := s.containerID(svc)
	if err == nil {
		_, err = h.TryDocker("", "rm", "-f", id)
	}
	return err
}

func (s *soak) stopShim(svc string) error {
	pid, err := s.shimPID(svc)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return err
	}
	time.Sleep(10 * time.Second)
	return syscall.Kill(pid, syscall.SIGCONT)
}

func (s *soak) twoRestarts(svc string) error {
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, errOut, code := s.e.Run("restart", svc); code != 0 {
				errs[i] = fmt.Errorf("pm2dock restart %s: exit %d\n%s%s", svc, code, out, errOut)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// restartDuringPolicyRestart kills the container, and restarts the service
// through pm2dock the moment the restart policy's new shim starts the next
// container (issue 25: the new shim's preflight found the port held by the
// container the stopped shim had been starting, and the service stayed failed).
func (s *soak) restartDuringPolicyRestart(svc string) error {
	shim, err := s.shimPID(svc)
	if err != nil {
		return err
	}
	if err := s.dockerKill(svc); err != nil {
		return err
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var st struct {
			Phase   string `json:"phase"`
			ShimPID int    `json:"shim_pid"`
		}
		raw, _ := os.ReadFile(filepath.Join(s.e.P.Dir, ".pm2dock", "state", svc+".json"))
		if json.Unmarshal(raw, &st) == nil && st.ShimPID != shim && st.Phase == "starting" {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: the restart policy started no new shim within 20 s", svc)
		}
	}
	// Somewhere within the start (not from s.rnd: two faults run at once).
	time.Sleep(time.Duration(time.Now().UnixNano()%400) * time.Millisecond)
	if out, errOut, code := s.e.Run("restart", svc); code != 0 {
		return fmt.Errorf("pm2dock restart %s during the policy's restart: exit %d\n%s%s", svc, code, out, errOut)
	}
	return nil
}

func (s *soak) composeDown(string) error {
	_, err := h.TryDocker(s.e.P.Dir, "compose", "-p", s.e.P.Name, "down", "--timeout", "2")
	return err
}

func (s *soak) pm2KillResurrect(string) error {
	if out, err := s.e.PM2.Try("kill"); err != nil {
		return fmt.Errorf("pm2 kill: %v\n%s", err, out)
	}
	if out, err := s.e.PM2.Try("resurrect"); err != nil {
		return fmt.Errorf("pm2 resurrect: %v\n%s", err, out)
	}
	return nil
}

func (s *soak) logsReadOnly(string) error {
	dir := filepath.Join(s.e.P.Dir, ".pm2dock", "logs")
	if out, err := exec.Command("mount", "--bind", "-o", "ro", dir, dir).CombinedOutput(); err != nil {
		return fmt.Errorf("read-only bind mount: %v %s", err, out)
	}
	time.Sleep(10 * time.Second)
	if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("umount: %v %s", err, out)
	}
	return nil
}

func (s *soak) dockerdRestart(string) error {
	restartDockerd(s.t)
	return nil
}

// ---- convergence and the checks

// soakLook is one look at the stack: what the engine, PM2 and the state
// files say.
type soakLook struct {
	running map[string][]container // by compose service
	all     map[string]int         // containers of any state, by service
	apps    map[string]h.App
	states  map[string]map[string]any
	err     error
}

func (s *soak) look() soakLook {
	l := soakLook{running: map[string][]container{}, all: map[string]int{}, apps: map[string]h.App{}, states: map[string]map[string]any{}}
	out, err := h.TryDocker("", "ps", "-aq", "--filter", "label="+s.e.P.Label())
	if err != nil {
		l.err = err
		return l
	}
	if ids := strings.Fields(out); len(ids) > 0 {
		raw, err := h.TryDocker("", append([]string{"inspect"}, ids...)...)
		var cs []struct {
			container
			Config struct{ Labels map[string]string }
		}
		if err != nil || json.Unmarshal([]byte(raw), &cs) != nil {
			l.err = fmt.Errorf("docker inspect: %v", err) // a container went between ps and inspect
			return l
		}
		for _, c := range cs {
			svc := c.Config.Labels["com.docker.compose.service"]
			l.all[svc]++
			if c.State.Running {
				l.running[svc] = append(l.running[svc], c.container)
			}
		}
	}
	jl, err := s.e.PM2.Try("jlist")
	if err != nil {
		l.err = fmt.Errorf("pm2 jlist: %v", err)
		return l
	}
	var apps []h.App
	if i := strings.Index(jl, "["); i < 0 || json.Unmarshal([]byte(jl[i:]), &apps) != nil {
		l.err = fmt.Errorf("pm2 jlist: not a list: %.200s", jl)
		return l
	}
	for _, a := range apps {
		l.apps[a.Name] = a
	}
	for _, k := range append(slices.Clone(soakServices), "migrate") {
		raw, err := os.ReadFile(filepath.Join(s.e.P.Dir, ".pm2dock", "state", k+".json"))
		var m map[string]any
		if err == nil && json.Unmarshal(raw, &m) == nil {
			l.states[k] = m
		}
	}
	return l
}

// wrong says what is not right yet in l (nil: converged): each service one
// healthy container, owned by the live shim PM2 runs, which the state file
// names; the job completed; nothing else.
func (l soakLook) wrong() []string {
	if l.err != nil {
		return []string{l.err.Error()}
	}
	var w []string
	for _, svc := range soakServices {
		run, app, st := l.running[svc], l.apps[svc], l.states[svc]
		switch {
		case len(run) != 1 || l.all[svc] != 1:
			w = append(w, fmt.Sprintf("%s: %d running of %d containers", svc, len(run), l.all[svc]))
		case run[0].State.Health == nil || run[0].State.Health.Status != "healthy":
			w = append(w, svc+": not healthy")
		case app.PM2Env.Status != "online" || !h.Alive(app.PID):
			w = append(w, fmt.Sprintf("%s: PM2 app %s, pid %d", svc, app.PM2Env.Status, app.PID))
		case st == nil || st["phase"] != "ready" || int(num(st["shim_pid"])) != app.PID:
			w = append(w, fmt.Sprintf("%s: state %v shim %v, PM2 runs %d", svc, st["phase"], st["shim_pid"], app.PID))
		default:
			if c, _ := st["container"].(map[string]any); c == nil || c["id"] != run[0].ID {
				w = append(w, svc+": the state file names another container")
			}
		}
	}
	if st := l.states["migrate"]; st == nil || st["phase"] != "completed" || len(l.running["migrate"]) != 0 {
		w = append(w, fmt.Sprintf("migrate: phase %v, %d running", st["phase"], len(l.running["migrate"])))
	}
	for svc, n := range l.all {
		if !slices.Contains(soakServices, svc) && svc != "migrate" {
			w = append(w, fmt.Sprintf("%d containers of an unknown service %q", n, svc))
		}
	}
	return w
}

func num(v any) float64 { f, _ := v.(float64); return f }

// converge looks until the stack is right again, checking at every look that
// no service runs two containers and that no container runs without a live
// shim for long (a shim being replaced is a few seconds).
func (s *soak) converge(what string, bound time.Duration) (time.Duration, bool) {
	began := time.Now()
	orphanSince := map[string]time.Time{}
	var last []string
	for time.Since(began) < bound {
		l := s.look()
		if l.err == nil {
			for svc, run := range l.running {
				if len(run) > 1 {
					s.issue("%s: %s runs %d containers at once", what, svc, len(run))
				}
				app := l.apps[svc]
				if svc != "migrate" && len(run) > 0 && (app.PM2Env.Status != "online" || !h.Alive(app.PID)) {
					if orphanSince[svc].IsZero() {
						orphanSince[svc] = time.Now()
					} else if time.Since(orphanSince[svc]) > 20*time.Second {
						s.issue("%s: %s's container has run without a shim for 20 s", what, svc)
						orphanSince[svc] = time.Now()
					}
				} else {
					delete(orphanSince, svc)
				}
			}
		}
		if last = l.wrong(); len(last) == 0 {
			return time.Since(began), true
		}
		time.Sleep(250 * time.Millisecond)
	}
	s.t.Logf("%s: still wrong after %v: %s", what, bound, strings.Join(last, "; "))
	// What pm2dock itself says, and each shim's own account, for the next one
	// to read.
	out, errOut, _ := s.e.Run("status")
	s.t.Logf("status:\n%s%s", out, errOut)
	for _, svc := range soakServices {
		if raw, err := os.ReadFile(filepath.Join(s.e.P.Dir, ".pm2dock", "state", svc+".json")); err == nil {
			var st struct {
				Phase, Reason string
				LastFailure   *struct{ Reason string } `json:"last_failure"`
			}
			json.Unmarshal(raw, &st)
			if st.Phase != "ready" && st.Phase != "completed" {
				lf := ""
				if st.LastFailure != nil {
					lf = st.LastFailure.Reason
				}
				s.t.Logf("  %s: phase %s, reason %q, last failure %q", svc, st.Phase, st.Reason, lf)
			}
		}
	}
	return time.Since(began), false
}

// check compares the stored lines of every logging service with docker logs
// of its container, and the stored runs among themselves.
func (s *soak) check(when string) {
	s.lines = 0
	for _, svc := range soakServices {
		if svc == "db" {
			continue
		}
		id, err := s.containerID(svc)
		if err != nil {
			s.issue("%s: %v", when, err)
			continue
		}
		asked := time.Now()
		raw, err := exec.Command("docker", "logs", id).Output()
		if err != nil {
			s.issue("%s: docker logs %s: %v", when, svc, err)
			continue
		}
		truth := map[string][]int{}
		for _, line := range strings.Split(string(raw), "\n") {
			if ts := fieldOf(line, "ts="); ts != "" {
				if t, err := time.Parse(time.RFC3339Nano, ts); err == nil && t.After(asked.Add(-time.Second)) {
					continue // may not be stored yet
				}
			}
			for run, seqs := range fixtureLines([]string{line}) {
				truth[run] = append(truth[run], seqs...)
			}
		}
		out, errOut, code := s.e.Run("logs", svc, "--json")
		if code != 0 {
			s.issue("%s: pm2dock logs %s: exit %d %s", when, svc, code, errOut)
			continue
		}
		var msgs []string
		for _, l := range strings.Split(out, "\n") {
			var r struct{ Msg string }
			if json.Unmarshal([]byte(l), &r) == nil {
				msgs = append(msgs, r.Msg)
			}
		}
		stored := fixtureLines(msgs)
		for run, seqs := range stored {
			for i, q := range seqs {
				if q != i+1 {
					s.issue("%s: %s run %s: stored line %d is seq %d (lost, doubled or out of order)", when, svc, run, i+1, q)
					break
				}
			}
			s.lines += len(seqs)
		}
		for run, want := range truth {
			got := stored[run]
			if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
				s.issue("%s: %s run %s: docker logs has %d lines, the store %d, not the same", when, svc, run, len(want), len(got))
			}
		}
	}
}

func fieldOf(line, key string) string {
	for _, f := range strings.Fields(line) {
		if strings.HasPrefix(f, key) {
			return f[len(key):]
		}
	}
	return ""
}

// alertSink is the alerts webhook: it records what arrives.
type alertSink struct {
	mu   sync.Mutex
	got  []string // alert/service
	seen int      // of got, the ones counted in an incident already
}

func (a *alertSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var al struct{ Alert, Service string }
	json.Unmarshal(raw, &al)
	a.mu.Lock()
	a.got = append(a.got, al.Alert+"/"+al.Service)
	a.mu.Unlock()
}

// incident checks the alerts since the last incident: at most one of a kind
// per service (the faults here are no crash loop: each is a violation to
// look at, and two are a storm).
func (a *alertSink) incident(s *soak, what string) {
	time.Sleep(300 * time.Millisecond) // delivery is detached
	a.mu.Lock()
	news := a.got[a.seen:]
	a.seen = len(a.got)
	a.mu.Unlock()
	count := map[string]int{}
	for _, k := range news {
		count[k]++
	}
	for k, n := range count {
		if n > 1 {
			s.issue("%s: %d alerts %s (at most one per incident)", what, n, k)
		}
	}
	if len(news) > 0 {
		s.t.Logf("%s: alerts %v", what, news)
	}
}

func (s *soak) report(seed int64) {
	var kinds []string
	for k := range s.faults {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var b strings.Builder
	fmt.Fprintf(&b, "\nsoak (seed %d): %d faults\n%-32s %5s %10s %10s %10s\n", seed, s.total(), "fault", "count", "median", "p95", "max")
	var all []time.Duration
	for _, k := range kinds {
		ds := s.faults[k]
		all = append(all, ds...)
		m, p, x := spread(ds)
		fmt.Fprintf(&b, "%-32s %5d %10s %10s %10s\n", k, len(ds), m, p, x)
	}
	if len(all) > 0 {
		m, p, x := spread(all)
		fmt.Fprintf(&b, "%-32s %5d %10s %10s %10s\n", "all (recovery after the fault)", len(all), m, p, x)
	}
	s.alerts.mu.Lock()
	alerts := len(s.alerts.got)
	s.alerts.mu.Unlock()
	fmt.Fprintf(&b, "lines checked at the end: %d; alerts: %d; violations: %d\n", s.lines, alerts, len(s.issues))
	for _, is := range s.issues {
		fmt.Fprintf(&b, "  violation: %s\n", is)
	}
	fmt.Print(b.String())
	s.t.Log(b.String())
	if len(s.issues) > 0 {
		s.t.Fatalf("%d violations (seed %d)", len(s.issues), seed)
	}
}

func (s *soak) total() int {
	n := 0
	for _, ds := range s.faults {
		n += len(ds)
	}
	return n
}

func spread(ds []time.Duration) (median, p95, maxd string) {
	s := slices.Clone(ds)
	slices.Sort(s)
	r := func(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }
	return r(s[len(s)/2]), r(s[(len(s)*95+99)/100-1]), r(s[len(s)-1])
}
