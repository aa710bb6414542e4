package shim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pm2dock/pm2dock/internal/alert"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/journal"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/state"
)

// Restart governance (profile `restart:`). PM2 restarts a shim that exits 1 at
// once; the delay between restarts lives here, in the new shim, before it
// starts the container — not in PM2's restart_delay, because with any restart
// delay PM2 leaves an app that exits with a no-restart code in "waiting
// restart" forever (docs/pm2-facts.md#restarting), which would hide every failure this shim
// reports with 2–6 (and every completed job, 9). A wait here is also a select on ctx, so `pm2 stop` during
// the backoff ends it at once.

// stableAfter is how long a service must stay ready before its consecutive
// failure count (and so the backoff delay) resets.
const stableAfter = 30 * time.Second

// maxFailures bounds the history kept in the state file.
const maxFailures = 100

// Backoff is the delay before the next start after consecutive failures:
// delay, doubled per further failure, at most max_delay.
func Backoff(r profile.Restart, consecutive int) time.Duration {
	if consecutive <= 0 || r.Delay <= 0 {
		return 0
	}
	d := r.Delay
	for i := 1; i < consecutive && d < r.MaxDelay; i++ {
		d *= 2
	}
	if r.MaxDelay > 0 && d > r.MaxDelay {
		d = r.MaxDelay
	}
	return d
}

// Within returns the failures that happened in the window before now.
func Within(fs []state.Failure, window time.Duration, now time.Time) []state.Failure {
	var out []state.Failure
	for _, f := range fs {
		if window <= 0 || now.Sub(f.At) <= window {
			out = append(out, f)
		}
	}
	return out
}

// loadHistory carries the failure history of the previous shim over, unless a
// person's start asked for a clean slate.
func (s *Shim) loadHistory(prev *state.File) (reset bool) {
	tokens := s.Profile.StateDir.TakeReset(s.Service.Key) // consumed even by a first shim
	reset = len(tokens) > 0
	if prev != nil {
		s.st.Answer(prev.Requests...)
	}
	s.st.Answer(tokens...)
	if prev == nil {
		return reset
	}
	s.st.LastFailure, s.st.Alerted = prev.LastFailure, prev.Alerted
	if reset {
		return reset
	}
	s.st.Failures = Within(prev.Failures, s.Service.Restart.Window, s.Now())
	s.st.Consecutive, s.st.Warned = prev.Consecutive, prev.Warned
	return reset
}

// backoff waits before starting a container that failed recently. A stop
// request ends the wait (ctx).
func (s *Shim) backoff(ctx context.Context) error {
	d := Backoff(s.Service.Restart, s.st.Consecutive)
	if d <= 0 {
		return nil
	}
	s.st.Phase = state.Backoff
	s.save()
	s.info("restart %d: waiting %s before starting the container (restart.delay, doubling)", s.st.Consecutive, d)
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// failed records an unexpected end and decides: PM2 restarts (exit 1), or the
// failures within the window exceed restart.max — a crash loop (exit 5, alert).
func (s *Shim) failed(f state.Failure, by journal.By) error {
	r := s.Service.Restart
	s.st.Failures = append(Within(s.st.Failures, r.Window, f.At), f)
	if len(s.st.Failures) > maxFailures {
		s.st.Failures = s.st.Failures[len(s.st.Failures)-maxFailures:]
	}
	s.st.Consecutive++
	s.st.LastFailure = &f
	s.noteFailure(f, by)
	n := len(s.st.Failures)
	if n <= r.Max {
		s.st.Fail(exitcode.New(exitcode.Error, errors.New(f.Reason), ""))
		s.save()
		fmt.Fprintf(s.Stderr, "[pm2dock] %s: %s (failure %d of %d allowed within %s; PM2 restarts it)\n",
			s.Service.Key, f.Reason, n, r.Max, r.Window)
		return exitcode.Errorf(exitcode.Error, "container %s", f.Reason)
	}
	reason := fmt.Sprintf("crash loop: %d failures within %s (restart.max %d); last: %s", n, r.Window, r.Max, f.Reason)
	err := exitcode.New(exitcode.CrashLoop, errors.New(reason), alert.Guidance(alert.CrashLoop, s.Service.Key.String(), f.Reason))
	s.st.Fail(err)
	s.raise(alert.CrashLoop, reason, f.ExitCode, &f)
	s.save()
	e := journal.Event{Kind: journal.CrashLoop, Reason: reason, OOMKilled: &f.OOMKilled, By: journal.ByPolicy}
	if f.ExitCode >= 0 {
		e.ExitCode = &f.ExitCode
	}
	s.note(e)
	return err
}

// raise sends an alert (banner now, delivery detached) and remembers it, so
// that recovery can be announced. code is the container's exit code when a container's failure is behind the
// alert (f: its OOM flag and last lines), else the shim's.
func (s *Shim) raise(kind, reason string, code int, f *state.Failure) {
	a := alert.Alert{Alert: kind, Service: s.Service.Key.String(), Reason: reason, ExitCode: code,
		Restarts: len(s.st.Failures), Window: s.Service.Restart.Window.String(), LastLines: []string{},
		Guidance: alert.Guidance(kind, s.Service.Key.String(), reason), At: s.Now().UTC()}
	if f != nil {
		a.OOMKilled = f.OOMKilled
		if f.LastLines != nil {
			a.LastLines = f.LastLines
		}
	}
	alert.Banner(s.Stderr, a)
	if s.Alert != nil {
		s.Alert(a)
	}
	if kind == alert.Recovered {
		s.st.Alerted = ""
	} else {
		s.st.Alerted = kind
	}
}

// onReady announces a recovery and arms the reset of the consecutive count.
func (s *Shim) onReady() <-chan time.Time {
	if s.st.Alerted != "" {
		s.raise(alert.Recovered, "healthy again", 0, nil)
		s.save()
	}
	if s.st.Consecutive == 0 {
		return nil
	}
	return time.After(stableAfter)
}
