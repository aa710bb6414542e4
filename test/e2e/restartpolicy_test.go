package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// Whatever `restart:` the compose file says, one supervisor restarts each
// failure: PM2, after the shim's delay, until the crash loop trips at
// restart.max (on-failure:N supplies N when pm2dock.yaml sets no max). The
// engine restarts nothing: the container runs with no engine restart policy.
func TestOneSupervisorPerFailureUnderEachComposeRestartPolicy(t *testing.T) {
	for _, c := range []struct {
		policy  string
		restart string // the profile's restart:
		max     int
	}{
		{`"no"`, "max: 2, window: 1m, delay: 1s, max_delay: 1s", 2},
		{"always", "max: 2, window: 1m, delay: 1s, max_delay: 1s", 2},
		{"unless-stopped", "max: 2, window: 1m, delay: 1s, max_delay: 1s", 2},
		{"on-failure", "max: 2, window: 1m, delay: 1s, max_delay: 1s", 2},
		{"on-failure:3", "window: 1m, delay: 1s, max_delay: 1s", 3},
	} {
		t.Run(strings.Trim(c.policy, `"`), func(t *testing.T) {
			h.Require(t)
			h.RequireImage(t, h.FixtureImage)
			// Healthy only after 5 s, crashing after 1 s: never ready, so start sees the loop.
			e := newStack(t, fmt.Sprintf(`services:
  app:
    image: %s
    restart: %s
    stop_grace_period: 2s
    healthcheck: {test: ["CMD", "/fixture", "health"], interval: 300ms, timeout: 2s, retries: 1}
    environment: {FIXTURE_CRASH_AFTER: 1s, FIXTURE_EXIT_CODE: "3", FIXTURE_HEALTH: "pass-after:5s"}
`, h.FixtureImage, c.policy), fmt.Sprintf("services:\n  app:\n    start_timeout: 60s\n    restart: {%s}\n", c.restart))
			_, errOut, code := e.Run("start", "app")
			if code != 5 || !strings.Contains(errOut, "crash loop") {
				t.Fatalf("start: exit %d, want 5 (crash loop)\n%s", code, errOut)
			}
			if app := e.PM2.App("app"); app.PM2Env.RestartTime != c.max {
				t.Errorf("PM2 restarted the shim %d times, want restart.max = %d", app.PM2Env.RestartTime, c.max)
			}
			st := e.State("app")
			fs, _ := st["failures"].([]any)
			if len(fs) != c.max+1 {
				t.Errorf("%d failures recorded, want %d (the crash loop trips on the one after restart.max)", len(fs), c.max+1)
			}
			var prev time.Time
			for i, f := range fs {
				at, _ := time.Parse(time.RFC3339Nano, f.(map[string]any)["at"].(string))
				// Each run after the first waited restart.delay (1 s), then lived 1 s.
				if i > 0 && at.Sub(prev) < 1900*time.Millisecond {
					t.Errorf("failure %d came %s after the one before: the 1 s delay was not kept", i+1, at.Sub(prev))
				}
				prev = at
			}
			time.Sleep(3 * time.Second) // an engine restart policy would have restarted it by now
			cs := e.Containers("app")
			if len(cs) != 1 {
				t.Fatalf("%d containers of app, want 1", len(cs))
			}
			if c := cs[0]; c.State.Running || c.RestartCount != 0 || c.HostConfig.RestartPolicy.Name != "no" {
				t.Errorf("container: running %v, engine restarts %d, policy %q; want stopped, 0, \"no\"",
					c.State.Running, c.RestartCount, c.HostConfig.RestartPolicy.Name)
			}
			if app := e.PM2.App("app"); app.PM2Env.RestartTime != c.max {
				t.Errorf("PM2 kept restarting: %d restarts, want %d", app.PM2Env.RestartTime, c.max)
			}
		})
	}
}

// A container that plain `docker compose up` started with `restart: always`
// is adopted and loses its engine restart policy: a `docker kill` is then one
// failure, restarted by PM2 alone.
func TestAdoptedContainerLosesItsEngineRestartPolicy(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	e := newStack(t, fmt.Sprintf("services:\n  app:\n    image: %s\n    restart: always\n    stop_grace_period: 2s\n", h.FixtureImage),
		"services:\n  app:\n    restart: {delay: 1s}\n")
	h.Docker(t, e.P.Dir, "compose", "up", "-d", "app")
	before := e.Running("app")
	if before.HostConfig.RestartPolicy.Name != "always" {
		t.Fatalf("plain compose made policy %q", before.HostConfig.RestartPolicy.Name)
	}
	out := e.MustRun("start", "app")
	adopted := e.Running("app")
	if adopted.ID != before.ID || adopted.HostConfig.RestartPolicy.Name != "no" {
		t.Fatalf("after start: container %s policy %q; want %s adopted with policy \"no\"\n%s", adopted.ID[:12], adopted.HostConfig.RestartPolicy.Name, before.ID[:12], out)
	}
	h.Docker(t, "", "kill", adopted.ID)
	// The new shim's compose up recreates the container (the override changes
	// its config): while it does, the old one may vanish under an inspect, so
	// look with ps alone until it settled.
	eventually(t, 20*time.Second, "PM2 restarts the shim, which starts the container again", func() bool {
		a := e.PM2.App("app")
		all := strings.Fields(h.Docker(t, "", "ps", "-aq", "--filter", "label="+e.P.Label()))
		running := strings.Fields(h.Docker(t, "", "ps", "-q", "--filter", "label="+e.P.Label(), "--filter", "status=running"))
		return a != nil && a.PM2Env.RestartTime == 1 && len(all) == 1 && len(running) == 1
	})
	if c := e.Containers("app")[0]; c.RestartCount != 0 {
		t.Errorf("the engine restarted the container %d times as well", c.RestartCount)
	}
}
