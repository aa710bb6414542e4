package stack

import (
	"context"
	"time"

	"github.com/pm2dock/pm2dock/internal/changes"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/pm2"
	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/state"
	"github.com/pm2dock/pm2dock/internal/verdict"
)

// askPM2Every is how often a wait asks PM2 whether it gave the app up — on a
// clock, not on PM2's events: PM2 announces an exit while the app's status
// still reads "stopped", just before it restarts it (docs/pm2-facts.md#restarting).
const askPM2Every = time.Second

// wait reads key's state file, again on each change of it (l), and asks
// verdict.Judge until the shim answering req reports ready or gives up, or
// until req's timeout. PM2 is asked on a clock (askPM2Every) and when the
// shim reports stopped: a shim that never ran leaves no state, and a stopped
// one may have been superseded.
//
// A job's answer is its completion: ready is only started for it.
func (s *Stack) wait(ctx context.Context, key service.Key, req *verdict.Request, markStarted func(), l *changes.Listener) (*state.File, verdict.Verdict, error) {
	svc, _ := s.Profile.Service(key)
	job := svc != nil && svc.Job
	req.Deadline = s.Now().Add(req.Timeout)
	deadline := time.NewTimer(req.Timeout)
	defer deadline.Stop()
	tick := time.NewTicker(askPM2Every)
	defer tick.Stop()
	var last *state.File
	v := verdict.Verdict{Service: key, State: verdict.Starting}
	for first, askPM2, expired := true, false, false; ; first, askPM2 = false, false {
		if !first { // the first look is at once: the answer may be there already
			select {
			case <-ctx.Done():
				return last, v, ctx.Err()
			case <-deadline.C:
				expired = true
			case <-l.C:
			case <-tick.C:
				askPM2 = true
			}
		}
		st, err := s.Profile.StateDir.Read(key)
		if err != nil {
			st = nil
		}
		if req.AnsweredBy(st) {
			last = st
			if st.Container != nil && (st.Phase == state.Starting || st.Phase == state.Unhealthy || st.Phase == state.Ready && job) {
				markStarted()
			}
		}
		in := verdict.Input{Service: key, Job: job, State: last, Request: req, Now: s.Now()}
		if expired && in.Now.Before(req.Deadline) { // the timer is the deadline, whatever s.Now says
			in.Now = req.Deadline
		}
		if askPM2 || last != nil && last.Phase == state.Stopped {
			app, err := s.app(ctx, key)
			if err != nil && askPM2 {
				return last, v, err
			}
			in.App = app
		}
		v = verdict.Judge(in)
		if v.Done && v.Code == exitcode.Error && !s.pm2StillGaveUp(ctx, in) {
			v = verdict.Verdict{Service: key, State: verdict.Starting}
			continue
		}
		if v.Done {
			return last, v, v.Err()
		}
	}
}

// pm2StillGaveUp confirms PM2's verdict (the app stopped or errored before
// its shim answered). PM2 shows an app it is about to restart as stopped for
// an instant (docs/pm2-facts.md#restarting), which a 1 s clock still meets
// now and then: a stopped app counts only when it is still stopped, not
// restarted since, a moment later.
func (s *Stack) pm2StillGaveUp(ctx context.Context, in verdict.Input) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(gaveUpRecheck):
	}
	again, err := s.app(ctx, in.Service)
	if err != nil || again == nil || again.Env.RestartTime != in.App.Env.RestartTime {
		return false
	}
	in.App = again
	return verdict.Judge(in).Code == exitcode.Error
}

// gaveUpRecheck is how long a stopped app must stay so before it counts.
var gaveUpRecheck = 300 * time.Millisecond

func (s *Stack) app(ctx context.Context, key service.Key) (*rpc.Process, error) {
	procs, err := s.PM2.Apps(ctx)
	if err != nil {
		return nil, err
	}
	return pm2.Find(procs, s.Profile.Namespace, key), nil
}

// awaitFirstState waits (at most 10 s) until the shim answering this start has
// written its state, so that whoever takes the lock next sees it. It reads
// the state file again on each change of it (see package changes).
func (s *Stack) awaitFirstState(ctx context.Context, key service.Key, req *verdict.Request, l *changes.Listener) {
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		if st, err := s.Profile.StateDir.Read(key); err == nil && req.AnsweredBy(st) {
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
