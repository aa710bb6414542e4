package e2e

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// Ten services of a project whose networks do not exist yet, started at once:
// their shims run `docker compose up` side by side, and each network is
// created once (the engine before API 1.44 lets two creations of one name
// succeed, and compose then finds the name ambiguous). Twice, from nothing.
func TestStartOfAFreshStackCreatesEachNetworkOnce(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	var b strings.Builder
	b.WriteString("x-fix: &fix\n  image: " + h.FixtureImage + "\n  stop_grace_period: 2s\n" +
		"  healthcheck: {test: [\"CMD\", \"/fixture\", \"health\"], interval: 300ms, timeout: 2s, retries: 3}\nservices:\n")
	var keys []string
	for i := range 10 {
		nets := "[default]"
		if i%2 == 1 {
			nets = "[default, back]"
		}
		fmt.Fprintf(&b, "  s%d: {<<: *fix, networks: %s}\n", i, nets)
		keys = append(keys, fmt.Sprintf("s%d", i))
	}
	b.WriteString("networks:\n  back: {}\n")
	e := newStack(t, b.String(), "")
	for round := range 2 {
		began := time.Now()
		if out, errOut, code := e.Run("start"); code != 0 {
			t.Fatalf("round %d: start exit %d\n%s%s", round, code, out, errOut)
		}
		nets := strings.Fields(h.Docker(t, e.P.Dir, "network", "ls", "--filter", "label="+e.P.Label(), "--format", "{{.Name}}"))
		slices.Sort(nets)
		if want := []string{e.P.Name + "_back", e.P.Name + "_default"}; !slices.Equal(nets, want) {
			t.Fatalf("round %d: networks %v, want %v (each once)", round, nets, want)
		}
		for _, k := range keys {
			e.invariants(k, k, "running")
			if a := e.PM2.App(k); a == nil || a.PM2Env.RestartTime != 0 {
				t.Fatalf("round %d: %s's shim was restarted by PM2: %+v", round, k, a)
			}
		}
		t.Logf("round %d: 10 services healthy in %v", round, time.Since(began).Round(time.Millisecond))
		e.MustRun("stop")
		e.P.Compose("down", "--timeout", "1")
	}
}

// TestDuplicateNetworksAreRepaired: two networks of the project's one name
// (what a compose down racing the shims' restarts, or two creations before
// API 1.44, leave) make compose refuse every up of the project for good
// ("network … is ambiguous"). The shim leaves one and starts.
func TestDuplicateNetworksAreRepaired(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	e := newStack(t, "services:\n  app:\n    image: "+h.FixtureImage+"\n    stop_grace_period: 2s\n", "")
	name := e.P.Name + "_default"
	// The engine API (1.41) creates a second network of a name when asked
	// without CheckDuplicate; the docker CLI would refuse.
	for range 2 {
		body := fmt.Sprintf(`{"Name": %q, "CheckDuplicate": false, "Labels": {"com.docker.compose.project": %q, "com.docker.compose.network": "default", "com.docker.compose.version": "2.40.3"}}`, name, e.P.Name)
		out, err := exec.Command("curl", "-sS", "--fail", "--unix-socket", "/var/run/docker.sock", "-H", "Content-Type: application/json",
			"-d", body, "http://docker/v1.41/networks/create").CombinedOutput()
		if err != nil {
			t.Fatalf("create network %s: %v\n%s", name, err, out)
		}
	}
	if n := len(strings.Fields(h.Docker(t, "", "network", "ls", "--filter", "label="+e.P.Label(), "-q"))); n != 2 {
		t.Fatalf("%d networks named %s, want the 2 made here", n, name)
	}
	if _, err := h.TryDocker(e.P.Dir, "compose", "-p", e.P.Name, "up", "-d", "--no-deps", "app"); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Fatalf("compose up with two networks of one name: %v; the premise (compose refuses) does not hold", err)
	}
	h.Docker(t, "", "rm", "-f", "-v", strings.TrimSpace(e.P.Compose("ps", "-aq", "app"))) // compose's attempt
	e.MustRun("start", "app")
	if n := len(strings.Fields(h.Docker(t, "", "network", "ls", "--filter", "label="+e.P.Label(), "-q"))); n != 1 {
		t.Errorf("%d networks named %s after the start, want 1", n, name)
	}
	e.invariants("app", "app", "running")
}

// TestStartAfterTheNetworkWasPruned: a stopped container keeps the id of its
// network; `docker network prune` removes the network, compose then starts the
// old container as it is and the engine refuses ("network … not found"), for
// plain compose too. The shim recreates the container.
func TestStartAfterTheNetworkWasPruned(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	e := newStack(t, "services:\n  app:\n    image: "+h.FixtureImage+"\n    stop_grace_period: 2s\n", "")
	e.MustRun("start", "app")
	first := e.Running("app").ID
	e.MustRun("stop", "app")
	h.Docker(t, "", "network", "rm", e.P.Name+"_default")
	if _, err := h.TryDocker(e.P.Dir, "compose", "-p", e.P.Name, "up", "-d", "--no-deps", "app"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("compose up after the network went: %v; the premise (the engine refuses the old container) does not hold", err)
	}
	h.TryDocker(e.P.Dir, "compose", "-p", e.P.Name, "stop", "app")
	e.MustRun("start", "app")
	if now := e.Running("app").ID; now == first {
		t.Errorf("the container %s was started again as it was", now)
	}
	e.invariants("app", "app", "running")
}

// A service whose `docker compose up` fails every time (the engine refuses a
// device that does not exist; preflight cannot know) is counted as a failure
// each time: the shims back off and restart.max ends it as a crash loop, once,
// instead of PM2 restarting a shim that fails in milliseconds in a tight loop.
func TestComposeUpThatKeepsFailingEndsAsACrashLoop(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	e := newStack(t, "services:\n  app:\n    image: "+h.FixtureImage+"\n    devices: [\"/dev/pm2dock-no-such-device:/dev/x\"]\n",
		"services:\n  app:\n    restart: {max: 2, window: 1m, delay: 200ms}\n")
	began := time.Now()
	_, errOut, code := e.Run("start", "app")
	took := time.Since(began)
	if code != 5 {
		t.Fatalf("start exit %d, want 5 (crash loop)\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "crash loop") || !strings.Contains(errOut, "no-such-device") {
		t.Errorf("start's message does not say crash loop and why:\n%s", errOut)
	}
	time.Sleep(2 * time.Second) // PM2 would have restarted it by now
	a := e.PM2.App("app")
	if a == nil || a.PM2Env.Status != "stopped" && a.PM2Env.Status != "errored" {
		t.Fatalf("the shim is not left stopped after the crash loop: %+v", a)
	}
	if a.PM2Env.RestartTime != 2 {
		t.Errorf("PM2 restarted the shim %d times, want 2 (restart.max)", a.PM2Env.RestartTime)
	}
	st := e.State("app")
	if st["phase"] != "failed" || fmt.Sprint(st["exit_code"]) != "5" {
		t.Errorf("state %v %v, want failed with exit 5", st["phase"], st["exit_code"])
	}
	if n := e.failures("app"); n != 3 {
		t.Errorf("%d failures recorded, want 3", n)
	}
	t.Logf("crash loop after %v", took.Round(time.Millisecond))
}
