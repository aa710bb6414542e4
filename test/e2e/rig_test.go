package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// The rig itself: images, registry, doctor and a private PM2 daemon work.

func TestPostgresImageAcceptsSQLWithPassword(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.PostgresImage)
	port := h.FreePort(t)
	p := h.NewProject(t, fmt.Sprintf(`
services:
  postgres:
    image: %s
    environment:
      POSTGRES_PASSWORD: ${PGPW}
      POSTGRES_USER: app
      POSTGRES_DB: appdb
    ports: ["127.0.0.1:%d:5432"]
    healthcheck:
      test: ["CMD", "pg_isready", "-h", "127.0.0.1", "-q"]
      interval: 1s
      retries: 60
`, h.PostgresImage, port))
	t.Setenv("PGPW", "rig-secret-"+strconv.Itoa(port))
	p.Compose("up", "-d", "--wait")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://app:rig-secret-%d@127.0.0.1:%d/appdb", port, port))
	if err != nil {
		t.Fatalf("connect with the password from the environment: %v", err)
	}
	defer conn.Close(ctx)
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	if bad, err := pgx.Connect(ctx, fmt.Sprintf("postgres://app:wrong@127.0.0.1:%d/appdb", port)); err == nil {
		bad.Close(ctx)
		t.Fatal("a wrong password was accepted: the image does not enforce POSTGRES_PASSWORD")
	}
}

func TestFixtureBehaviours(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	p := h.NewProject(t, fmt.Sprintf(`
x-fixture: &fixture
  image: %s
  healthcheck: {test: ["CMD", "/fixture", "health"], interval: 500ms, timeout: 2s, retries: 2}
services:
  crash:   {<<: *fixture, environment: {FIXTURE_CRASH_AFTER: 500ms, FIXTURE_EXIT_CODE: "42"}}
  healthy: {<<: *fixture, environment: {FIXTURE_HEALTH: pass}}
  sick:    {<<: *fixture, environment: {FIXTURE_HEALTH: fail}}
  slow:
    <<: *fixture
    environment: {FIXTURE_HEALTH: "pass-after:4s"}
    healthcheck: {test: ["CMD", "/fixture", "health"], interval: 500ms, timeout: 2s, retries: 40}
  chatty:  {<<: *fixture, environment: {FIXTURE_LOG_RATE: "2000", FIXTURE_LOG_COUNT: "3000", FIXTURE_LOG_STREAM: both}}
  hog:     {<<: *fixture, mem_limit: 64m, memswap_limit: 64m, environment: {FIXTURE_MEMORY_HOG: "32"}}
  stubborn: {<<: *fixture, environment: {FIXTURE_IGNORE_SIGTERM: "1"}}
`, h.FixtureImage))
	p.Compose("up", "-d")
	id := func(svc string) string { return strings.TrimSpace(p.Compose("ps", "-aq", svc)) }
	inspect := func(svc, format string) string {
		return strings.TrimSpace(h.Docker(t, "", "inspect", "--format", format, id(svc)))
	}

	t.Run("crash with exit code", func(t *testing.T) {
		if got := strings.TrimSpace(h.Docker(t, "", "wait", id("crash"))); got != "42" {
			t.Fatalf("exit code %s, want 42", got)
		}
	})
	t.Run("healthcheck states", func(t *testing.T) {
		if s := inspect("slow", "{{.State.Health.Status}}"); s != "starting" {
			t.Errorf("pass-after:4s at start: health %q, want starting", s)
		}
		waitHealth(t, inspect, "healthy", "healthy", 15*time.Second)
		waitHealth(t, inspect, "sick", "unhealthy", 15*time.Second)
		waitHealth(t, inspect, "slow", "healthy", 20*time.Second)
	})
	t.Run("sequence-numbered logs on both streams", func(t *testing.T) {
		deadline := time.Now().Add(20 * time.Second)
		var seqs []int
		for time.Now().Before(deadline) {
			out, err := exec.Command("docker", "logs", id("chatty")).CombinedOutput()
			if err != nil {
				t.Fatal(err)
			}
			seqs = parseSeqs(t, string(out))
			if len(seqs) >= 3000 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if len(seqs) != 3000 {
			t.Fatalf("got %d sequence numbers, want 3000", len(seqs))
		}
		seen := map[int]bool{}
		for _, s := range seqs {
			seen[s] = true
		}
		for i := 1; i <= 3000; i++ {
			if !seen[i] {
				t.Fatalf("sequence number %d missing", i)
			}
		}
	})
	t.Run("memory hog is OOM killed", func(t *testing.T) {
		h.Docker(t, "", "wait", id("hog"))
		if got := inspect("hog", "{{.State.OOMKilled}} {{.State.ExitCode}}"); got != "true 137" {
			t.Fatalf("OOMKilled, exit code = %s, want true 137", got)
		}
	})
	t.Run("ignores SIGTERM until killed", func(t *testing.T) {
		start := time.Now()
		h.Docker(t, "", "stop", "-t", "2", id("stubborn"))
		if took := time.Since(start); took < 2*time.Second {
			t.Fatalf("stopped after %v: SIGTERM was not ignored", took)
		}
		if got := inspect("stubborn", "{{.State.ExitCode}}"); got != "137" {
			t.Fatalf("exit code %s, want 137 (SIGKILL)", got)
		}
	})
}

func waitHealth(t *testing.T, inspect func(string, string) string, svc, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var got string
	for time.Now().Before(deadline) {
		if got = inspect(svc, "{{.State.Health.Status}}"); got == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: health %q after %v, want %q", svc, got, within, want)
}

// parseSeqs returns the seq=N values of fixture log lines, checking each line's
// own timestamp parses.
func parseSeqs(t *testing.T, logs string) []int {
	t.Helper()
	var seqs []int
	for _, line := range strings.Split(logs, "\n") {
		if !strings.HasPrefix(line, "seq=") {
			continue
		}
		f := strings.Fields(line)
		n, err := strconv.Atoi(strings.TrimPrefix(f[0], "seq="))
		if err != nil {
			t.Fatalf("bad line %q", line)
		}
		if _, err := time.Parse(time.RFC3339Nano, strings.TrimPrefix(f[1], "ts=")); err != nil {
			t.Fatalf("bad timestamp in %q: %v", line, err)
		}
		seqs = append(seqs, n)
	}
	return seqs
}

func TestRegistryPullOfImageRemovedLocally(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	reg := h.StartRegistry(t)
	ref := reg.Push(h.FixtureImage, "pm2dock/pulltest:"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if _, err := h.TryDocker("", "image", "inspect", ref); err == nil {
		t.Fatalf("%s still present locally after Push", ref)
	}
	h.Docker(t, "", "pull", "-q", ref)
	h.Docker(t, "", "image", "inspect", ref)
}

func TestDoctorAllPresent(t *testing.T) {
	h.Require(t)
	cmd := exec.Command(h.Binary(t), "doctor", "--json")
	cmd.Dir = h.RepoRoot()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("doctor: %v\n%s", err, out)
	}
	rep := decodeDoctor(t, out)
	for _, name := range []string{"engine", "compose", "pm2", "node"} {
		if c, ok := rep[name]; !ok || !c.OK || c.Version == "" {
			t.Errorf("%s: %+v, want ok with a version", name, c)
		}
	}
}

func TestDoctorReportsPM2Missing(t *testing.T) {
	h.Require(t)
	// A PATH holding docker and node but no pm2, run from a folder with no workspace.
	bin := t.TempDir()
	for _, tool := range []string{"docker", "node"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(h.Binary(t), "doctor", "--json")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "PATH="+bin, "PM2DOCK_PM2=")
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 8 {
		t.Fatalf("doctor without pm2: err %v, want exit 8\n%s", err, out)
	}
	if c := decodeDoctor(t, out)["pm2"]; c.OK || !strings.Contains(c.Fix, "npm") {
		t.Fatalf("pm2 check %+v, want missing with an npm fix", c)
	}
}

type doctorCheck struct {
	OK      bool   `json:"ok"`
	Version string `json:"version"`
	Fix     string `json:"fix"`
}

func decodeDoctor(t *testing.T, out []byte) map[string]doctorCheck {
	t.Helper()
	var rep struct {
		Checks []struct {
			Name string `json:"name"`
			doctorCheck
		} `json:"checks"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	m := map[string]doctorCheck{}
	for _, c := range rep.Checks {
		m[c.Name] = c.doctorCheck
	}
	return m
}

func TestPrivatePM2DaemonRunsAppAndIsKilledAtCleanup(t *testing.T) {
	h.Require(t)
	var daemon, app int
	t.Run("daemon", func(t *testing.T) {
		pm := h.NewPM2(t)
		eco := filepath.Join(t.TempDir(), "eco.json")
		os.WriteFile(eco, []byte(`{"apps":[{"name":"sleeper","script":"/bin/sleep","args":["300"],
			"interpreter":"none","autorestart":false,"namespace":"rig"}]}`), 0o644)
		pm.Run("start", eco)
		a := pm.App("sleeper")
		if a == nil || a.PM2Env.Status != "online" || a.PM2Env.Namespace != "rig" || !h.Alive(a.PID) {
			t.Fatalf("app after start: %+v", a)
		}
		daemon, app = pm.DaemonPID(), a.PID
		if !h.Alive(daemon) {
			t.Fatalf("daemon pid %d not alive", daemon)
		}
	})
	if daemon == 0 {
		return
	}
	for _, pid := range []int{daemon, app} {
		if h.Alive(pid) {
			t.Errorf("pid %d still alive after the PM2 cleanup", pid)
		}
	}
}
