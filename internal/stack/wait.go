package stack

import (
	"context"
	"fmt"
	"time"

	"github.com/pm2dock/pm2dock/internal/changes"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/pm2"
	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
	"github.com/pm2dock/pm2dock/internal/state"
)

// askPM2Every is how often a wait asks PM2 whether it gave the app up — on a
// clock, not on PM2's events: PM2 announces an exit while the app's status
// still reads "stopped", just before it restarts it (docs/pm2-facts.md#restarting).
const askPM2Every = time.Second

// wait reads key's state file, again on each change of it (l), until the shim
// answering this start (see answers) reports ready or gives up, or until
// timeout.
//
// A job's answer is its completion: ready is only started for it.
func (s *Stack) wait(ctx context.Context, key string, a answers, timeout time.Duration, markStarted func(), l *changes.Listener) (*state.File, error) {
	svc, _ := s.Profile.Service(key)
	job := svc != nil && svc.Job
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(askPM2Every)
	defer tick.Stop()
	var last *state.File
	for first, askPM2 := true, false; ; first, askPM2 = false, false {
		if !first { // the first look is at once: the answer may be there already
			select {
			case <-ctx.Done():
				return last, ctx.Err()
			case <-deadline.C:
				return last, notHealthy(key, last, timeout)
			case <-l.C:
			case <-tick.C:
				askPM2 = true
			}
		}
		st, err := s.Profile.StateDir.Read(key)
		fresh := err == nil && a.by(st)
		if !fresh {
			if askPM2 { // a shim that never ran leaves no state: ask PM2 why
				if err := s.pm2GaveUp(ctx, key); err != nil {
					return last, err
				}
			}
			continue
		}
		last = st
		switch st.Phase {
		case state.Starting, state.Unhealthy:
			if st.Container != nil {
				markStarted()
			}
		case state.Ready:
			if !job {
				return st, nil
			}
			markStarted()
		case state.Completed:
			return st, nil
		case state.Stopped:
			// A shim PM2 restarted just before this start's own pm2 call can
			// answer the request and then be stopped by that call: its
			// "stopped" is not the verdict while a newer shim runs.
			if s.superseded(ctx, key, st.ShimPID) {
				continue
			}
			return st, shimFailed(key, st)
		case state.Failed, state.Detached:
			return st, shimFailed(key, st)
		case state.Exited:
			// PM2 restarts the shim, which backs off and tries again; the
			// restart policy ends it with a crash loop (Failed) if it keeps failing.
			if askPM2 {
				if err := s.pm2GaveUp(ctx, key); err != nil {
					return last, err
				}
			}
		}
	}
}

func shimFailed(key string, st *state.File) error {
	code := exitcode.NotHealthy
	if c := st.Code(); c != exitcode.Error && c != exitcode.OK {
		code = c
	}
	reason, hint := st.Reason, st.Hint
	switch st.Phase {
	case state.Stopped:
		reason = "was stopped while starting"
	case state.Detached:
		code = exitcode.PM2Missing
	}
	if hint == "" {
		hint = fmt.Sprintf("see `pm2dock logs %s --since 15m` and `pm2 logs %s`; fix it, then `pm2dock start %s`", key, key, key)
	}
	return exitcode.New(code, fmt.Errorf("%s: %s", key, reason), hint)
}

func notHealthy(key string, st *state.File, timeout time.Duration) error {
	if st != nil && st.Phase == state.Ready { // only a job waits past ready
		return exitcode.New(exitcode.NotHealthy, fmt.Errorf("%s, a job, has not completed after %s; it is left running", key, timeout),
			fmt.Sprintf("`pm2dock status %s` shows when it completes; raise start_timeout in pm2dock.yaml if it needs longer", key))
	}
	what := "its shim never reported"
	if st != nil && st.Phase == state.Exited {
		what = "exited while starting: " + st.Reason
	} else if st != nil {
		what = "phase " + string(st.Phase)
		if st.Container != nil && st.Container.Health != "" {
			what += ", health " + st.Container.Health
		}
	}
	return exitcode.New(exitcode.NotHealthy, fmt.Errorf("%s not healthy after %s (%s)", key, timeout, what),
		fmt.Sprintf("see `pm2dock logs %s --since 15m`; raise start_timeout in pm2dock.yaml if it is only slow", key))
}

// pm2GaveUp checks PM2 for an app that died without its shim writing state
// (say the pm2dock binary vanished). PM2 shows an app it is about to restart
// as stopped for an instant (docs/pm2-facts.md#restarting), which a 1 s clock
// still meets now and then: a stopped app counts only when it is still
// stopped, not restarted since, a moment later.
func (s *Stack) pm2GaveUp(ctx context.Context, key string) error {
	app, err := s.app(ctx, key)
	if err != nil || !app.GaveUp() {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(gaveUpRecheck):
	}
	again, err := s.app(ctx, key)
	if err != nil || !again.GaveUp() || again.Env.RestartTime != app.Env.RestartTime {
		return err
	}
	return exitcode.Errorf(exitcode.Error, "%s: PM2 reports the app %s before its shim ran; see `pm2 logs %s`", key, again.Env.Status, key)
}

// gaveUpRecheck is how long a stopped app must stay so before it counts.
var gaveUpRecheck = 300 * time.Millisecond

func (s *Stack) app(ctx context.Context, key string) (*rpc.Process, error) {
	procs, err := s.PM2.Apps(ctx)
	if err != nil {
		return nil, err
	}
	return pm2.Find(procs, s.Profile.Namespace, key), nil
}

// superseded reports whether PM2 runs a shim of key other than pid.
func (s *Stack) superseded(ctx context.Context, key string, pid int) bool {
	procs, err := s.PM2.Apps(ctx)
	if err != nil {
		return false
	}
	app := pm2.Find(procs, s.Profile.Namespace, key)
	return app.Live() && app.PID != pid
}

// answers reports whether st was written by a shim answering this start: the
// one holding its request token, or, when the token could not be left (a
// read-only state folder), one that started after t0; or the shim of pid
// waitPID when this start waits for one already starting.
type answers struct {
	token   string
	t0      time.Time
	waitPID int
}

func (a answers) by(st *state.File) bool {
	switch {
	case a.waitPID != 0:
		return st.ShimPID == a.waitPID
	case a.token != "":
		return st.Answers(a.token)
	}
	return !st.ShimStartedAt.Before(a.t0)
}

// awaitFirstState waits (at most 10 s) until the shim answering this start has
// written its state, so that whoever takes the lock next sees it. It reads
// the state file again on each change of it (see package changes).
func (s *Stack) awaitFirstState(ctx context.Context, key string, a answers, l *changes.Listener) {
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		if st, err := s.Profile.StateDir.Read(key); err == nil && a.by(st) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			return
		case <-l.C:
		}
	}
}
