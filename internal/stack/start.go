package stack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/pm2dock/pm2dock/internal/changes"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/pm2"
	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/state"
	"github.com/pm2dock/pm2dock/internal/verdict"
)

// namesakeErr refuses a start that would take over another namespace's app:
// `pm2 start ECOSYSTEM --only NAME` finds apps by name in every namespace and
// restarts what it finds (docs/pm2-facts.md#names), with this app's
// environment and without starting this one.
func namesakeErr(key service.Key, ns string, other *rpc.Process) error {
	return exitcode.New(exitcode.Usage,
		fmt.Errorf("%s: PM2 already has an app named %q in namespace %q (pm_id %d); PM2 starts apps by name across namespaces, so starting %s in %q would restart that one instead",
			key, other.Name, other.Env.Namespace, other.PMID, key, ns),
		fmt.Sprintf("rename the service key %s in pm2dock.yaml (its PM2 app name), or remove the other app (`pm2 delete %d`)", key, other.PMID))
}

// stopApp stops the profile's app of key (by pm_id; see pm2.CLI.Stop). With
// shim > 0 it stops the app only while PM2 still runs that shim (or none):
// one that another command has started since is that command's to judge.
func (s *Stack) stopApp(ctx context.Context, key service.Key, shim int) error {
	// Under the service's lock, as every pm2dock stop: the shim tells a
	// pm2dock command's stop from PM2's own by it (its journal's "by").
	unlock, err := lock(ctx, s.Profile.StateDir, key)
	if err != nil {
		return err
	}
	defer unlock()
	procs, err := s.PM2.Apps(ctx)
	if err != nil {
		return err
	}
	app := pm2.Find(procs, s.Profile.Namespace, key)
	if app == nil || shim > 0 && app.Supersedes(shim) {
		return nil
	}
	return s.pm2(func() error { return s.PM2.Stop(ctx, app.PMID) })
}

// Start brings keys (and what they depend on) up and waits for each to be
// ready. Keys in restart are restarted even when healthy. Results come in
// dependency order; the error is the first failure's.
func (s *Stack) Start(ctx context.Context, keys []service.Key, restart map[service.Key]bool) ([]Result, error) {
	order, graph, err := closure(s.Profile, keys)
	if err != nil {
		return nil, err
	}
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	// The state files of the services: the shims' answers. PM2 is asked on a
	// clock instead (see wait), and the engine is the shims' to watch.
	feed := changes.Watch(wctx, changes.Sources{Profile: s.Profile}, order)
	results := make(map[service.Key]*Result, len(order))
	started := make(map[service.Key]chan struct{}, len(order)) // closed once running (or failed)
	done := make(map[service.Key]chan struct{}, len(order))    // closed once ready (or failed)
	for _, k := range order {
		results[k] = &Result{Key: k}
		started[k], done[k] = make(chan struct{}), make(chan struct{})
	}
	keep := s.keptJobs(ctx, keys, order, graph, restart)
	var wg sync.WaitGroup
	for _, k := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := results[k]
			var once sync.Once
			markStarted := func() { once.Do(func() { close(started[k]) }) }
			// Deferred in this order, done closes before started when startOne
			// returns: a dependent woken by started reads r.Err only once done
			// is closed (the close orders the write before the read).
			defer markStarted()
			defer close(done[k])
			if err := s.awaitDeps(ctx, k, graph[k], results, started, done); err != nil {
				r.Outcome, r.Err = Failed, err
				return
			}
			s.startOne(ctx, k, mode{force: restart[k], keepJob: keep[k]}, r, markStarted, feed.Listen())
		}()
	}
	wg.Wait()
	out := make([]Result, 0, len(order))
	var first error
	for _, k := range order {
		out = append(out, *results[k])
		if first == nil && results[k].Err != nil {
			first = results[k].Err
		}
	}
	return out, first
}

func (s *Stack) awaitDeps(ctx context.Context, key service.Key, ds []dep, results map[service.Key]*Result, started, done map[service.Key]chan struct{}) error {
	for _, d := range ds {
		ch := done[d.Key]
		if d.Condition == types.ServiceConditionStarted {
			ch = started[d.Key]
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case <-done[d.Key]: // finished: its result is final and safe to read
		default:
			continue // running and still going: service_started is met
		}
		if r := results[d.Key]; r.Err != nil {
			return exitcode.New(exitcode.FromError(r.Err),
				fmt.Errorf("%s not started: its dependency %s failed", key, d.Key), "")
		}
	}
	return nil
}

// startOne starts (or restarts) one service and waits for its shim's verdict.
// mode is how startOne treats a service: force restarts it even when
// healthy; keepJob leaves a job that completed as it is (see keptJobs).
type mode struct{ force, keepJob bool }

// keptJobs decides which jobs of order a completed run satisfies, so that
// they are not run again: in a restart (like `docker compose restart`, which
// runs no dependency again) every job not restarted itself; in a start, a job
// not named itself whose dependents here are all ready already — nothing waits
// for a new completion, and running a migration again under a live app helps
// nobody (a start that does start a dependent runs its jobs again, as `docker
// compose up` does).
func (s *Stack) keptJobs(ctx context.Context, keys, order []service.Key, graph map[service.Key][]dep, restart map[service.Key]bool) map[service.Key]bool {
	restarting := false
	for _, v := range restart {
		restarting = restarting || v
	}
	dependents := map[service.Key][]service.Key{}
	for _, k := range order {
		for _, d := range graph[k] {
			dependents[d.Key] = append(dependents[d.Key], k)
		}
	}
	var procs []rpc.Process
	keep := map[service.Key]bool{}
	for _, k := range order {
		svc, _ := s.Profile.Service(k)
		switch {
		case svc == nil || !svc.Job || restart[k]:
		case restarting:
			keep[k] = true
		case !slices.Contains(keys, k) && len(dependents[k]) > 0:
			if procs == nil {
				procs, _ = s.PM2.Apps(ctx)
			}
			keep[k] = true
			for _, d := range dependents[k] {
				keep[k] = keep[k] && !restart[d] && s.ready(procs, d)
			}
		}
	}
	return keep
}

// ready reports whether key is ready already: a service (not a job) whose
// shim, the one PM2 runs, reports ready.
func (s *Stack) ready(procs []rpc.Process, key service.Key) bool {
	svc, _ := s.Profile.Service(key)
	st, err := s.Profile.StateDir.Read(key)
	return svc != nil && !svc.Job && err == nil && st.Phase == state.Ready &&
		pm2.Find(procs, s.Profile.Namespace, key).Runs(st.ShimPID)
}

func (s *Stack) startOne(ctx context.Context, key service.Key, m mode, r *Result, markStarted func(), l *changes.Listener) {
	force := m.force
	svc, _ := s.Profile.Service(key)
	unlock, err := lock(ctx, s.Profile.StateDir, key)
	if err != nil {
		r.Outcome, r.Err = Failed, err
		return
	}
	locked := true
	release := func() {
		if locked {
			unlock()
			locked = false
		}
	}
	defer release()
	procs, err := s.PM2.Apps(ctx) // read under the lock: another pm2dock may have just started it
	if err != nil {
		r.Outcome, r.Err = Failed, err
		return
	}
	app := pm2.Find(procs, s.Profile.Namespace, key)
	st, _ := s.Profile.StateDir.Read(key)
	online := st != nil && app.Runs(st.ShimPID)
	if app != nil {
		r.OldPID = app.PID
	}
	if !force && online && st.Phase == state.Ready && !svc.Job ||
		!force && m.keepJob && svc.Job && st != nil && st.Phase == state.Completed && !app.Live() {
		r.Outcome, r.Phase, r.Container = AlreadyHealthy, st.Phase, st.Container
		r.Verdict = verdict.Judge(verdict.Input{Service: key, Job: svc.Job, App: app, State: st,
			Request: &verdict.Request{ShimPID: st.ShimPID}, Now: s.Now()})
		if online {
			r.PM2PID = app.PID
		}
		return
	}
	t0 := s.Now()
	req := &verdict.Request{Since: t0, Timeout: svc.StartTimeout}
	if !force && online && (st.Phase == state.Preflight || st.Phase == state.Starting || st.Phase == state.Ready) ||
		force && online && (st.Phase == state.Preflight || st.Phase == state.Starting) {
		// A shim is already starting: wait for it instead of starting
		// another. For a restart too: two restarts at once are one (the
		// second would stop the first's shim while it starts, and each then
		// report the other's stop as its failure).
		req.ShimPID = app.PID
		s.progress(key, "already starting (pid %d), waiting", app.PID)
	} else {
		verb := "starting"
		if force && app != nil {
			verb = "restarting" // by pm_id
		} else if other := pm2.Namesake(procs, s.Profile.Namespace, key); other != nil {
			r.Outcome, r.Err = Failed, namesakeErr(key, s.Profile.Namespace, other)
			return
		}
		s.progress(key, "%s through PM2", verb)
		token, err := s.Profile.StateDir.RequestReset(key) // a person's start clears the failure history
		if err != nil {
			s.progress(key, "warning: the failure history stays (%v)", err)
		}
		req.Token = token
		if force && app != nil {
			err = s.pm2(func() error { return s.PM2.Restart(ctx, app.PMID) })
		} else {
			err = s.pm2Start(ctx, key)
		}
		if err != nil {
			s.Profile.StateDir.WithdrawReset(key, token) // no shim of this request: the next PM2 restart must not clear the history
			r.Outcome, r.Err = Failed, err
			return
		}
		s.awaitFirstState(ctx, key, req, l)
	}
	release()
	st, r.Verdict, err = s.wait(ctx, key, req, markStarted, l)
	r.Took = s.Now().Sub(t0)
	if st != nil {
		r.Phase, r.PM2PID, r.Container = st.Phase, st.ShimPID, st.Container
	}
	if err != nil {
		r.Outcome, r.Err = Failed, err
		// Left stopped, not looping — but a job still running past its
		// start_timeout is left to finish: stopping a migration halfway helps
		// nobody.
		if running := svc.Job && st != nil && st.Phase == state.Ready; !errors.Is(err, context.Canceled) && !running {
			shim := 0
			if st != nil {
				shim = st.ShimPID
			}
			s.stopApp(context.WithoutCancel(ctx), key, shim)
		}
		return
	}
	r.Outcome = Started
	if force && app != nil {
		r.Outcome = Restarted
	}
}
