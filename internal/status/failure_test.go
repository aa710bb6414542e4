package status

import (
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/state"
)

// A crash loop's record is the failure that tripped it — the container's exit
// code, OOM flag and last lines — with the shim's 5 as the verdict apart; a
// start that failed before any container ran has only the shim's code.
func TestLastFailureKeepsTheContainersFailure(t *testing.T) {
	at := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	five, three := int(exitcode.CrashLoop), int(exitcode.ImageMissing)
	container := &state.Failure{At: at, ExitCode: 137, OOMKilled: true, Reason: "exited with code 137: OOM killed", LastLines: []string{"out of memory"}}

	loop := lastFailure(&state.File{Phase: state.Failed, ExitCode: &five, Reason: "crash loop: 3 failures", LastFailure: container})
	if loop.ExitCode != 137 || !loop.OOMKilled || len(loop.LastLines) != 1 || loop.Reason != "crash loop: 3 failures" ||
		loop.ShimExitCode == nil || *loop.ShimExitCode != 5 || !loop.At.Equal(at) {
		t.Errorf("crash loop: %+v", loop)
	}
	start := lastFailure(&state.File{Phase: state.Failed, ExitCode: &three, Reason: "image x not found", UpdatedAt: at, LastFailure: container})
	if start.ExitCode != 3 || start.Reason != "image x not found" || start.ShimExitCode == nil || *start.ShimExitCode != 3 || len(start.LastLines) != 0 {
		t.Errorf("failed start: %+v", start)
	}
	running := lastFailure(&state.File{Phase: state.Ready, LastFailure: container})
	if running.ExitCode != 137 || running.ShimExitCode != nil || len(running.LastLines) != 1 {
		t.Errorf("recovered: %+v", running)
	}
	if lastFailure(&state.File{Phase: state.Ready}) != nil || lastFailure(nil) != nil {
		t.Error("a failure where there was none")
	}
}

// Figures describe the running container they were sampled from, and only
// while fresh.
func TestFiguresOf(t *testing.T) {
	now := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	s := &state.Stats{At: now.Add(-time.Second), Container: "c1", CPUPercent: 1.5, MemBytes: 10, MemLimitBytes: 64}
	c := &Container{ID: "c1", State: "running"}
	figuresOf(c, s, now)
	if c.CPUPercent == nil || *c.CPUPercent != 1.5 || *c.MemBytes != 10 || *c.MemLimitBytes != 64 {
		t.Fatalf("fresh figures not shown: %+v", c)
	}
	for name, c := range map[string]*Container{
		"stopped":           {ID: "c1", State: "exited"},
		"another container": {ID: "c2", State: "running"},
	} {
		figuresOf(c, s, now)
		if c.CPUPercent != nil {
			t.Errorf("%s: figures shown", name)
		}
	}
	old := &Container{ID: "c1", State: "running"}
	figuresOf(old, s, now.Add(10*time.Second))
	if old.CPUPercent != nil {
		t.Error("stale figures shown")
	}
}
