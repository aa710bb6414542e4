package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	h "github.com/pm2dock/pm2dock/internal/testsupport/harness"
)

// mcpAnswer is one answer of testdata/mcp/client.mjs.
type mcpAnswer struct {
	Tools         []string `json:"tools"`
	IsError       bool     `json:"isError"`
	Text          string   `json:"text"`
	ProtocolError string   `json:"protocolError"`
}

type mcpCall struct {
	List      bool           `json:"list,omitempty"`
	Name      string         `json:"name,omitempty"`
	Arguments map[string]any `json:"arguments,omitempty"`
}

// mcp drives `pm2dock mcp SERVERARGS` with the TypeScript SDK's client (a real
// MCP client, pinned in package.json) and returns its answers to calls.
func (e *stackEnv) mcp(serverArgs []string, calls ...mcpCall) []mcpAnswer {
	e.t.Helper()
	env := append(append(e.PM2.Env(), "PM2DOCK_PM2="+e.PM2.Bin), e.Env...)
	return mcpClient(e.t, e.P.Dir, env, calls, append([]string{e.Bin, "mcp"}, serverArgs...)...)
}

// mcpClient runs testdata/mcp/client.mjs: command (the server, as an agent's
// config names it) started in dir with env, answering calls.
func mcpClient(t *testing.T, dir string, env []string, calls []mcpCall, command ...string) []mcpAnswer {
	t.Helper()
	raw, _ := json.Marshal(calls)
	args := append([]string{filepath.Join(h.RepoRoot(), "test", "e2e", "testdata", "mcp", "client.mjs"), dir, string(raw)}, command...)
	cmd := exec.Command("node", args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("MCP client: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	var answers []mcpAnswer
	if err := json.Unmarshal(out.Bytes(), &answers); err != nil || len(answers) != len(calls) {
		t.Fatalf("MCP client printed %q (%v), want %d answers\n%s", out.String(), err, len(calls), errOut.String())
	}
	return answers
}

// An agent's whole visit through a real MCP client: tools, status, a logs
// window that finds the container's own lines, the byte budget, events after
// a docker kill, wait, a restart refused read-only and done with
// --allow-control, and a malformed call answered as a tool error.
func TestMCPServerWithARealClient(t *testing.T) {
	h.RequireImage(t, h.FixtureImage)
	e := newStack(t, fmt.Sprintf(`
services:
  app:
    image: %s
    stop_grace_period: 2s
    environment: {FIXTURE_LOG_RATE: "200", FIXTURE_LOG_COUNT: "2000", FIXTURE_LOG_TEXT: "agent-marker"}
    healthcheck: {test: ["CMD", "/fixture", "health"], interval: 500ms, timeout: 2s, retries: 3}
`, h.FixtureImage), "services:\n  app: {service: app, restart: {max: 10}}\n")
	e.MustRun("start")
	// The fixture writes its 2000 lines in ten seconds; all must be stored.
	deadline := time.Now().Add(30 * time.Second)
	for len(e.logs("app", "--grep", "seq=2000 ")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the fixture's 2000th line was never stored")
		}
		time.Sleep(500 * time.Millisecond)
	}

	a := e.mcp(nil,
		mcpCall{List: true},
		mcpCall{Name: "status"},
		mcpCall{Name: "logs", Arguments: map[string]any{"services": []string{"app"}, "since": "1h", "grep": "seq=17 .*agent-marker"}},
		mcpCall{Name: "logs", Arguments: map[string]any{"services": []string{"app"}, "grep": "fixture line", "max_bytes": 4096}},
		mcpCall{Name: "restart", Arguments: map[string]any{"services": []string{"app"}}},
		mcpCall{Name: "logs", Arguments: map[string]any{"tail": "many"}},
		mcpCall{Name: "status", Arguments: map[string]any{"services": []string{"nope"}}},
	)
	if got := strings.Join(a[0].Tools, ","); got != "events,logs,pull,reset,restart,restore,snapshot,start,status,stop,wait" {
		t.Errorf("tools: %s", got)
	}
	if s := a[1]; s.IsError || !strings.HasPrefix(s.Text, "app: healthy\n") || !strings.Contains(s.Text, `"state": "healthy"`) {
		t.Errorf("status: %+v", s)
	}
	if l := a[2]; l.IsError || !regexp.MustCompile(`(?m)^\S+Z app stdout INFO seq=17 ts=\S+ stream=stdout run=\S+ fixture line agent-marker$`).MatchString(l.Text) || strings.Count(l.Text, "\n") != 1 {
		t.Errorf("logs with grep: %+v", l)
	}
	cut := a[3]
	lines := strings.Split(strings.TrimSpace(cut.Text), "\n")
	if cut.IsError || len(cut.Text) > 4096+300 || !strings.Contains(lines[len(lines)-1], "earlier lines") ||
		!strings.Contains(lines[len(lines)-2], "seq=2000 ") {
		t.Errorf("logs cut to 4096 bytes: %d bytes, last lines %q", len(cut.Text), lines[max(0, len(lines)-2):])
	}
	if r := a[4]; !r.IsError || !strings.Contains(r.Text, "--allow-control") {
		t.Errorf("restart on a read-only server: %+v", r)
	}
	if m := a[5]; !m.IsError || m.ProtocolError != "" {
		t.Errorf("a malformed call: %+v, want a tool error", m)
	}
	if u := a[6]; !u.IsError || !strings.Contains(u.Text, `unknown service "nope"`) || !strings.Contains(u.Text, "exit code 2") {
		t.Errorf("an unknown service: %+v", u)
	}

	// A docker kill: the events tool tells it, and wait waits until the
	// restart policy has the service healthy again.
	old := e.Running("app")
	killedAt := time.Now()
	h.Docker(t, e.P.Dir, "kill", old.ID)
	b := e.mcp(nil,
		mcpCall{Name: "wait", Arguments: map[string]any{"services": []string{"app"}, "timeout": "60s"}},
		mcpCall{Name: "events", Arguments: map[string]any{"since": killedAt.Add(-time.Second).UTC().Format(time.RFC3339Nano)}},
	)
	if w := b[0]; w.IsError || !strings.HasPrefix(w.Text, "app: healthy\n") {
		t.Errorf("wait after a kill: %+v", w)
	}
	if ev := b[1]; ev.IsError || !regexp.MustCompile(`app exit .*137`).MatchString(ev.Text) || !strings.Contains(ev.Text, "restart") {
		t.Errorf("events after a kill: %+v", ev)
	}
	if now := e.Running("app"); now.State.StartedAt == old.State.StartedAt {
		t.Fatalf("the killed container was not started again (started %s)", now.State.StartedAt)
	}

	// With --allow-control the restart is the command's: a new container, healthy.
	before := e.Running("app")
	c := e.mcp([]string{"--allow-control"}, mcpCall{Name: "restart", Arguments: map[string]any{"services": []string{"app"}}})
	if r := c[0]; r.IsError || !strings.Contains(r.Text, "app restarted: PM2 pid") {
		t.Errorf("restart allowed: %+v", r)
	}
	if after := e.Running("app"); after.State.StartedAt == before.State.StartedAt {
		t.Errorf("restart through MCP left container %s running since %s", before.ID, before.State.StartedAt)
	}
	rows, _ := e.status("app")
	if rows["app"].State != "healthy" {
		t.Errorf("after the restart: %s", rows["app"].State)
	}
}
