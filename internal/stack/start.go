package stack

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/pm2dock/pm2dock/internal/changes"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/pm2"
	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
	"github.com/pm2dock/pm2dock/internal/state"
)

// namesakeErr refuses a start that would take over another namespace's app:
// `pm2 start ECOSYSTEM --only NAME` finds apps by name in every namespace and
// restarts what it finds (docs/pm2-facts.md#names), with this app's
// environment and without starting this one.
func namesakeErr(key, ns string, other *rpc.Process) error {
	return exitcode.New(exitcode.Usage,
		fmt.Errorf("%s: PM2 already has an app named %q in namespace %q (pm_id %d); PM2 starts apps by name across namespaces, so starting %s in %q would restart that one instead",
			key, other.Name, other.Env.Namespace, other.PMID, key, ns),
		fmt.Sprintf("rename the service key %s in pm2dock.yaml (its PM2 app name), or remove the other app (`pm2 delete %d`)", key, other.PMID))
}

// stopApp stops the profile's app of key (by pm_id; see pm2.CLI.Stop).
func (s *Stack) stopApp(ctx context.Context, key string) error {
	procs, err := s.apps(ctx)
	if err != nil {
		return err
	}
	app := pm2.Find(procs, s.Profile.Namespace, key)
	if app == nil {
		return nil
	}
	return s.pm2(func() error { return s.PM2.Stop(ctx, app.PMID) })
}

// Start brings keys (and what they depend on) up and waits for each to be
// ready. Keys in restart are restarted even when healthy. Results come in
// dependency order; the error is the first failure's.
func (s *Stack) Start(ctx context.Context, keys []string, restart map[string]bool) ([]Result, error) {
	order, graph, err := closure(s.Profile, keys)
	if err != nil {
		return nil, err
	}
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	// The state files of the services: the shims' answers. PM2 is asked on a
	// clock instead (see wait), and the engine is the shims' to watch.
	feed := changes.Watch(wctx, changes.Sources{Profile: s.Profile}, order)
	results := make(map[string]*Result, len(order))
	started := make(map[string]chan struct{}, len(order)) // closed once running (or failed)
	done := make(map[string]chan struct{}, len(order))    // closed once ready (or failed)
	for _, k := range order {
		results[k] = &Result{Key: k}
		started[k], done[k] = make(chan struct{}), make(chan struct{})
	}
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
			s.startOne(ctx, k, mode{force: restart[k], keepJobs: len(restart) > 0}, r, markStarted, feed.Listen())
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

func (s *Stack) awaitDeps(ctx context.Context, key string, ds []dep, results map[string]*Result, started, done map[string]chan struct{}) error {
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
// healthy; keepJobs leaves a job that completed as it is (a restart of its
// dependents, like `docker compose restart`, does not run it again; a start,
// like `docker compose up`, does).
type mode struct{ force, keepJobs bool }

func (s *Stack) startOne(ctx context.Context, key string, m mode, r *Result, markStarted func(), l *changes.Listener) {
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
	procs, err := s.apps(ctx) // read under the lock: another pm2dock may have just started it
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
		!force && m.keepJobs && svc.Job && st != nil && st.Phase == state.Completed && !app.Live() {
		r.Outcome, r.Phase, r.Container = AlreadyHealthy, st.Phase, st.Container
		if online {
			r.PM2PID = app.PID
		}
		return
	}
	t0 := s.Now()
	a := answers{t0: t0}
	if !force && online && (st.Phase == state.Preflight || st.Phase == state.Starting || st.Phase == state.Ready) {
		a.waitPID = app.PID // a shim is already starting: wait for it instead of starting another
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
		a.token = token
		err = s.pm2(func() error {
			if force && app != nil {
				return s.PM2.Restart(ctx, app.PMID)
			}
			return s.PM2.Start(ctx, s.Ecosystem, []string{key})
		})
		if err != nil {
			s.Profile.StateDir.WithdrawReset(key, token) // no shim of this request: the next PM2 restart must not clear the history
			r.Outcome, r.Err = Failed, err
			return
		}
		s.awaitFirstState(ctx, key, a, l)
	}
	release()
	st, err = s.wait(ctx, key, a, svc.StartTimeout, markStarted, l)
	r.Took = s.Now().Sub(t0)
	if st != nil {
		r.Phase, r.PM2PID, r.Container = st.Phase, st.ShimPID, st.Container
	}
	if err != nil {
		r.Outcome, r.Err = Failed, err
		if !errors.Is(err, context.Canceled) {
			s.stopApp(context.WithoutCancel(ctx), key) // left stopped, not looping
		}
		return
	}
	r.Outcome = Started
	if force && app != nil {
		r.Outcome = Restarted
	}
}
