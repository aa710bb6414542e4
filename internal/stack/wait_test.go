package stack

import (
	"strings"
	"testing"
	"time"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/state"
)

// The state a start waits on is recognised by its request token, so a clock
// stepped back cannot make a stale state look fresh (or a fresh one stale).
func TestAnswersByTokenNotByClock(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC)
	later, earlier := t0.Add(time.Second), t0.Add(-time.Second)
	for _, c := range []struct {
		name string
		a    answers
		st   state.File
		want bool
	}{
		{"own token, clock stepped back", answers{token: "abc", t0: t0}, state.File{Requests: []string{"old", "abc"}, ShimStartedAt: earlier}, true},
		{"stale state stamped in the future", answers{token: "abc", t0: t0}, state.File{Requests: []string{"old"}, ShimStartedAt: later}, false},
		{"no token: started after t0", answers{t0: t0}, state.File{ShimStartedAt: later}, true},
		{"no token: started before t0", answers{t0: t0}, state.File{ShimStartedAt: earlier}, false},
		{"waiting for a starting shim", answers{waitPID: 42, token: "abc"}, state.File{ShimPID: 42}, true},
		{"waiting, another shim", answers{waitPID: 42}, state.File{ShimPID: 43, ShimStartedAt: later}, false},
	} {
		if got := c.a.by(&c.st); got != c.want {
			t.Errorf("%s: by = %v, want %v", c.name, got, c.want)
		}
	}
}

// A shim's recorded ending becomes start's error: its own code when it gave
// up with one (2–6), "not healthy" otherwise, PM2 unavailable for a shim
// whose daemon died.
func TestShimFailedKeepsTheShimsCode(t *testing.T) {
	code := func(c exitcode.Code) *int { n := int(c); return &n }
	for _, c := range []struct {
		st   state.File
		want exitcode.Code
		text string
	}{
		{state.File{Phase: state.Failed, ExitCode: code(exitcode.PortConflict), Reason: "port 80 is held"}, exitcode.PortConflict, "port 80 is held"},
		{state.File{Phase: state.Failed, ExitCode: code(exitcode.CrashLoop), Reason: "crash loop"}, exitcode.CrashLoop, "crash loop"},
		{state.File{Phase: state.Failed, ExitCode: code(exitcode.Error), Reason: "exited"}, exitcode.NotHealthy, "exited"},
		{state.File{Phase: state.Stopped, ExitCode: code(exitcode.OK)}, exitcode.NotHealthy, "was stopped while starting"},
		{state.File{Phase: state.Detached, Reason: "the PM2 daemon died"}, exitcode.PM2Missing, "the PM2 daemon died"},
	} {
		err := shimFailed("db", &c.st)
		if exitcode.FromError(err) != c.want || !strings.Contains(err.Error(), c.text) || !strings.Contains(err.Error(), "pm2dock logs db") {
			t.Errorf("%s: %v (exit %d), want exit %d with %q and a hint", c.st.Phase, err, exitcode.FromError(err), c.want, c.text)
		}
	}
}
