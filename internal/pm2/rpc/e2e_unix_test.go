//go:build unix

package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// realPM2 is a private PM2 daemon: its own short PM2_HOME (rpc.sock must fit
// in sun_path), the workspace's pm2, killed and checked gone in cleanup.
type realPM2 struct {
	t    *testing.T
	bin  string
	home string
}

func requireRealPM2(t *testing.T) *realPM2 {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	bin := filepath.Join(filepath.Dir(file), "..", "..", "..", "node_modules", ".bin", "pm2")
	if os.Getenv("PM2DOCK_E2E") != "1" {
		skipOrFail(t, "integration test: set PM2DOCK_E2E=1 (make test does)")
	}
	if _, err := os.Stat(bin); err != nil {
		skipOrFail(t, "pm2 is not installed in the workspace: run npm ci")
	}
	home, err := os.MkdirTemp("", "pm2r-")
	if err != nil {
		t.Fatal(err)
	}
	p := &realPM2{t: t, bin: bin, home: home}
	t.Cleanup(p.kill)
	return p
}

func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("PM2DOCK_E2E_DISALLOW_SKIP") == "1" {
		t.Fatalf("cannot skip under PM2DOCK_E2E_DISALLOW_SKIP=1: %s", why)
	}
	t.Skip(why)
}

// run runs `pm2 args…` against this daemon; stdout only, as a program would
// read it.
func (p *realPM2) run(args ...string) []byte {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.bin, args...)
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "PM2_HOME=")
	}), "PM2_HOME="+p.home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		p.t.Fatalf("pm2 %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out
}

func (p *realPM2) daemonPID() int {
	raw, _ := os.ReadFile(filepath.Join(p.home, "pm2.pid"))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	return pid
}

func (p *realPM2) kill() {
	pid := p.daemonPID()
	if pid > 0 {
		p.run("kill")
		deadline := time.Now().Add(5 * time.Second)
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if alive(pid) {
			p.t.Errorf("PM2 daemon %d (PM2_HOME %s) survived pm2 kill; sending SIGKILL", pid, p.home)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	os.RemoveAll(p.home)
}

// alive reports whether pid is a live, non-zombie process.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc: kill(0) is all we know
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

func TestRealDaemonAgreesWithJlist(t *testing.T) {
	pm2 := requireRealPM2(t)
	eco := filepath.Join(t.TempDir(), "ecosystem.json")
	err := os.WriteFile(eco, []byte(`{"apps":[{"name":"sleeper","script":"/bin/sleep","args":["300"],"interpreter":"none","namespace":"t"}]}`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	// The first command spawns the daemon and prints PM2's banner before the JSON.
	if procs, err := ParseJlist(pm2.run("jlist")); err != nil || len(procs) != 0 {
		t.Fatalf("jlist on a new daemon = %+v, %v; want no processes", procs, err)
	}
	pm2.run("start", eco)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	client, err := Dial(ctx, pm2.home)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	viaRPC, err := client.MonitorData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	viaCLI, err := ParseJlist(pm2.run("jlist"))
	if err != nil {
		t.Fatal(err)
	}

	type app struct {
		Name, Status, Namespace string
		PID, PMID, Restarts     int
	}
	summary := func(ps []Process) []app {
		var out []app
		for _, p := range ps {
			out = append(out, app{p.Name, string(p.Env.Status), p.Env.Namespace, p.PID, p.PMID, p.Env.RestartTime})
		}
		return out
	}
	rpc, cli := summary(viaRPC), summary(viaCLI)
	if !slices.Equal(rpc, cli) {
		t.Fatalf("getMonitorData %+v\n      pm2 jlist %+v", rpc, cli)
	}
	if len(rpc) != 1 || rpc[0].Name != "sleeper" || rpc[0].Status != "online" || rpc[0].Namespace != "t" || !alive(rpc[0].PID) {
		t.Fatalf("apps = %+v, want one live sleeper online in namespace t", rpc)
	}
	if e := viaRPC[0].Env; e.PMUptime < e.CreatedAt || e.CreatedAt == 0 || e.PMOutLogPath == "" {
		t.Errorf("pm2_env fields: %+v", e)
	}

	methods, err := client.Methods(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(methods, func(m Method) bool { return m.Name == "getMonitorData" }) {
		t.Errorf("methods %v lack getMonitorData", methods)
	}
}

func TestRealDaemonPublishesProcessEvents(t *testing.T) {
	pm2 := requireRealPM2(t)
	pm2.run("ping") // spawns the daemon
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	events, err := Subscribe(ctx, pm2.home)
	if err != nil {
		t.Fatal(err)
	}
	eco := filepath.Join(t.TempDir(), "ecosystem.json")
	os.WriteFile(eco, []byte(`{"apps":[{"name":"sleeper","script":"/bin/sleep","args":["300"],"interpreter":"none","namespace":"t"}]}`), 0o644)
	pm2.run("start", eco)
	seen := map[string]bool{}
	for !seen["online"] {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("the bus closed; process events seen: %v", seen)
			}
			if ev.Topic != "process:event" {
				continue
			}
			var pe ProcessEvent
			if err := json.Unmarshal(ev.Data, &pe); err != nil {
				t.Fatalf("process:event data: %v", err)
			}
			if pe.Process.Name == "sleeper" && pe.Process.Namespace == "t" && pe.At > 0 {
				seen[pe.Event] = true
			}
		case <-ctx.Done():
			t.Fatalf("no online event for sleeper; seen %v", seen)
		}
	}
	pm2.run("stop", "sleeper")
	for !seen["stop"] && !seen["exit"] {
		select {
		case ev := <-events:
			var pe ProcessEvent
			if ev.Topic == "process:event" && json.Unmarshal(ev.Data, &pe) == nil && pe.Process.Name == "sleeper" {
				seen[pe.Event] = true
			}
		case <-ctx.Done():
			t.Fatalf("no stop/exit event for sleeper; seen %v", seen)
		}
	}
	cancel()
	for range events { // the channel closes once ctx ends
	}
}
