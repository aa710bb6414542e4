package alert

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func sample() Alert {
	return Alert{Alert: CrashLoop, Service: "db", Reason: "exited with code 1", ExitCode: 1, Restarts: 4,
		Window: "1m0s", LastLines: []string{"boom"}, Guidance: Guidance(CrashLoop, "db", "exited with code 1"),
		At: time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)}
}

func TestWebhookGetsTheContractAndRetries(t *testing.T) {
	var calls atomic.Int32
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		json.NewDecoder(r.Body).Decode(&got)
	}))
	defer srv.Close()
	old := Backoff
	Backoff = 10 * time.Millisecond
	defer func() { Backoff = old }()
	out := Deliver(context.Background(), sample(), Targets{Webhook: srv.URL}, t.TempDir())
	if calls.Load() != 2 || !strings.Contains(out[0], "ok (try 2)") {
		t.Fatalf("calls %d, result %v", calls.Load(), out)
	}
	for _, k := range []string{"alert", "service", "reason", "exit_code", "restarts", "window", "last_lines", "guidance", "at"} {
		if _, ok := got[k]; !ok {
			t.Errorf("webhook body lacks %q: %v", k, got)
		}
	}
}

func TestHangingWebhookAndCommandAreCutOff(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	oldW, oldC, oldT, oldB := WebhookTimeout, CommandTimeout, Tries, Backoff
	WebhookTimeout, CommandTimeout, Tries, Backoff = 200*time.Millisecond, 300*time.Millisecond, 2, 10*time.Millisecond
	defer func() { WebhookTimeout, CommandTimeout, Tries, Backoff = oldW, oldC, oldT, oldB }()
	dir := t.TempDir()
	script := filepath.Join(dir, "never.sh")
	pidFile := filepath.Join(dir, "child.pid")
	// A shell that forks: the cut-off must kill its child too.
	os.WriteFile(script, []byte("#!/bin/sh\nsleep 60 &\necho $! > "+pidFile+"\nwait\n"), 0o755)
	start := time.Now()
	out := Deliver(context.Background(), sample(), Targets{Command: []string{script}, Webhook: srv.URL}, dir)
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("delivery took %v with a hanging webhook and command", took)
	}
	joined := strings.Join(out, "\n")
	if !strings.Contains(joined, "killed after") || !strings.Contains(joined, "failed after 2 tries") {
		t.Fatalf("results %q, want the command killed and the webhook given up", joined)
	}
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the script did not start its child: %v", err)
	}
	child, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	deadline := time.Now().Add(2 * time.Second)
	for syscall.Kill(child, 0) == nil {
		if time.Now().After(deadline) {
			syscall.Kill(child, syscall.SIGKILL)
			t.Fatalf("the command's child %d outlived the cut-off", child)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCommandGetsTheAlertInItsEnvironment(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "env")
	script := filepath.Join(dir, "a.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nenv > "+out+"\n"), 0o755)
	Deliver(context.Background(), sample(), Targets{Command: []string{script}}, dir)
	env, _ := os.ReadFile(out)
	for _, want := range []string{"PM2DOCK_ALERT=crash-loop", "PM2DOCK_SERVICE=db", "PM2DOCK_REASON=exited with code 1", "PM2DOCK_GUIDANCE=look at `pm2dock logs db"} {
		if !strings.Contains(string(env), want) {
			t.Errorf("command env lacks %q", want)
		}
	}
}

// A command that leaves a child running on purpose and exits 0 is delivered
// ("ok") at once; the child is its own business.
func TestCommandLeavingABackgroundChildIsOK(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	script := filepath.Join(dir, "notify.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nsleep 30 &\necho $! > "+pidFile+"\nexit 0\n"), 0o755)
	t.Cleanup(func() {
		raw, _ := os.ReadFile(pidFile)
		if pid, _ := strconv.Atoi(strings.TrimSpace(string(raw))); pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	start := time.Now()
	out := Deliver(context.Background(), sample(), Targets{Command: []string{script}}, dir)
	if took := time.Since(start); took > 500*time.Millisecond || len(out) != 1 || !strings.HasSuffix(out[0], ": ok") {
		t.Fatalf("delivery %q took %v, want ok at once", out, took)
	}
}
