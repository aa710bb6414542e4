package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// status shows the container's own figures — from the engine's stats stream
// the shim follows — and null once the container stops.
func TestStatusShowsTheContainersCPUAndMemory(t *testing.T) {
	h.Require(t)
	h.RequireImage(t, h.FixtureImage)
	e := newStack(t, fmt.Sprintf("services:\n  app:\n    image: %s\n    mem_limit: 64m\n    stop_grace_period: 2s\n    environment: {FIXTURE_LOG_RATE: \"200\"}\n", h.FixtureImage), "")
	e.MustRun("start", "app")
	type figures struct {
		CPU   *float64 `json:"cpu_percent"`
		Mem   *int64   `json:"mem_bytes"`
		Limit *int64   `json:"mem_limit_bytes"`
	}
	read := func() figures {
		out, _, _ := e.Run("status", "--json", "app")
		var rows []struct {
			Container *figures `json:"container"`
		}
		if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 {
			t.Fatalf("status --json: %v\n%s", err, out)
		}
		if rows[0].Container == nil {
			return figures{}
		}
		return *rows[0].Container
	}
	var f figures
	eventually(t, 15*time.Second, "figures from the stats stream", func() bool { f = read(); return f.CPU != nil })
	if *f.CPU < 0 || *f.CPU > 200 || *f.Mem <= 0 || *f.Mem > 64<<20 || *f.Limit != 64<<20 {
		t.Fatalf("figures cpu %v %%, mem %d, limit %d; want a sane CPU, 0 < mem ≤ 64 MiB, limit 64 MiB", *f.CPU, *f.Mem, *f.Limit)
	}
	if out, _, _ := e.Run("status", "app"); !strings.Contains(out, "MiB/64.0MiB") {
		t.Errorf("the status lines lack the memory figures:\n%s", out)
	}
	// PM2 shows them too: custom metrics over its IPC channel (pm2 show, monit).
	eventually(t, 10*time.Second, "the container's figures as PM2 metrics", func() bool {
		list, _ := e.PM2.Try("jlist")
		procs, err := rpc.ParseJlist([]byte(list))
		if err != nil || len(procs) != 1 {
			return false
		}
		var env struct {
			Monitor map[string]struct {
				Value any `json:"value"`
			} `json:"axm_monitor"`
		}
		json.Unmarshal(procs[0].Env.Raw, &env)
		m := env.Monitor
		mem, cpu := fmt.Sprint(m["Container Memory"].Value), fmt.Sprint(m["Container CPU"].Value)
		return strings.HasSuffix(mem, "/ 64.0MiB") && strings.HasSuffix(cpu, " %") && fmt.Sprint(m["Container health"].Value) == "no healthcheck"
	})
	e.MustRun("stop", "app")
	if f := read(); f.CPU != nil || f.Mem != nil || f.Limit != nil {
		t.Fatalf("figures of a stopped container: %+v", f)
	}
}
