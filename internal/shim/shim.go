package shim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/alert"
	"github.com/pm2dock/pm2dock/internal/atomicfile"
	"github.com/pm2dock/pm2dock/internal/compose"
	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/figures"
	"github.com/pm2dock/pm2dock/internal/flock"
	"github.com/pm2dock/pm2dock/internal/journal"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/render"
	"github.com/pm2dock/pm2dock/internal/state"
)

// Shim supervises one service's container for PM2.
type Shim struct {
	Profile *profile.Profile
	Service *profile.Service
	Engine  *engine.Engine
	Compose *compose.Runner
	Sink    LineSink // the log store; nil means stdout/stderr only
	// Prune applies log retention; the shim calls it when it attaches and
	// every PruneEvery after, off the supervision path.
	Prune      func(now time.Time) error
	PruneEvery time.Duration
	// Alert delivers an alert off the supervision path (see package alert);
	// the banner is written by the shim itself. Nil: banner only.
	Alert  func(alert.Alert)
	Stdout io.Writer
	Stderr io.Writer
	Now    func() time.Time
	PM2    *PM2Channel // the container's figures as PM2 custom metrics (nil: none)
	// Journal records the service's events (nil: none).
	Journal *journal.Writer
	// History records the container's figures over time (nil: none).
	History *figures.Recorder

	parent      int                         // the PM2 daemon's pid when the shim started
	unfinished  string                      // a job's container the previous shim left running
	by          journal.By                  // who asked for this shim's run (asker)
	downNoted   bool                        // the engine-down event of this shim is recorded
	firstKill   string                      // the signal of the first kill event from outside ("" none)
	eventsBlind bool                        // the container's events broke: a kill from outside may have gone unseen
	figures     atomic.Pointer[state.Stats] // the latest sample (followStats)
	st          state.File
	last        ring
	start       time.Time
	errsOnce    sync.Once
	storeErr    chan string // the log store's error changes, applied by the supervise loop
}

func (s *Shim) storeErrs() chan string {
	s.errsOnce.Do(func() { s.storeErr = make(chan string, 1) })
	return s.storeErr
}

// ReportStoreError hands a log store error ("" when it works again) to the
// supervise loop, which alone writes the state file. Safe from any goroutine;
// only the latest report matters.
func (s *Shim) ReportStoreError(msg string) {
	ch := s.storeErrs()
	for {
		select {
		case ch <- msg:
			return
		default:
		}
		select {
		case <-ch: // drop the stale one
		default:
		}
	}
}

// Run supervises until the container exits (error, exit 1) or ctx is cancelled
// by SIGINT/SIGTERM (graceful stop, nil). Errors carry their exit codes (package exitcode).
func (s *Shim) Run(ctx context.Context) error {
	s.start = s.Now()
	s.last.n = 20
	s.parent = os.Getppid()
	s.st = state.File{Service: s.Service.Key, Phase: state.Preflight, ShimPID: os.Getpid(), ShimStartedAt: s.start, Engine: s.Engine.Endpoint.Host}
	prev, _ := s.Profile.StateDir.Read(s.Service.Key)
	reset := s.loadHistory(prev)
	s.by = asker(reset, prev)
	s.noteArrival(prev)
	if !reset && s.Service.Job && prev != nil && prev.Phase != state.Completed && prev.Container != nil {
		s.unfinished = prev.Container.ID // a job whose shim ended before it did (see bringUp)
	}
	s.save()

	c, adopted, err := s.bringUp(ctx)
	if err != nil {
		if ctx.Err() != nil { // stop requested while starting: leave nothing running
			return s.stopAll()
		}
		if exitcode.FromError(err) == exitcode.Error {
			// PM2 restarts the shim: counted like a container's failure, so
			// the next one backs off and restart.max ends a start that keeps
			// failing (compose refusing the service) as a crash loop, alerted,
			// instead of PM2 restarting it in a tight loop.
			fmt.Fprintf(s.Stderr, "[pm2dock] %s: %v\n", s.Service.Key, err)
			reason := fmt.Sprintf("not started: %v", err)
			if ce := (*compose.Error)(nil); errors.As(err, &ce) { // what compose said, not its command line
				reason = fmt.Sprintf("not started: docker compose up %s failed: %s", s.Service.Compose, render.LastLines(ce.Output, 3))
			}
			return s.failed(state.Failure{At: s.Now().UTC(), ExitCode: -1, Error: err.Error(), Reason: reason}, journal.ByEngine)
		}
		return s.fail(err)
	}
	s.st.Adopted = adopted
	return s.supervise(ctx, c, adopted)
}

// bringUp adopts the running container of the service or starts one.
func (s *Shim) bringUp(ctx context.Context) (*container.Summary, bool, error) {
	p, svc := s.Profile, s.Service
	cs, err := s.Engine.ServiceContainers(ctx, p.Project.Name, svc.Compose)
	if err != nil {
		return nil, false, s.engineErr(err)
	}
	if c := engine.Running(cs); c != nil {
		return s.adopt(c), true, nil
	}
	// A job that finished while no shim watched it (its shim was killed, or
	// detached with its PM2 daemon) is not run again: its exit is recorded as
	// if it had been seen. A person's start or restart runs it again.
	if c := s.finishedUnwatched(ctx, cs); c != nil {
		s.info("the job's container %s completed while no shim watched it", engine.Name(*c))
		return c, true, nil
	}
	if err := s.backoff(ctx); err != nil {
		return nil, false, err
	}
	if c, err := s.preflight(ctx); err != nil {
		return nil, false, err
	} else if c != nil { // its own container came up while it held a port
		return s.adopt(c), true, nil
	}
	s.st.Phase = state.Starting
	s.save()
	s.noteStart()
	if err := s.composeUp(ctx); err != nil {
		return nil, false, err
	}
	if err := ctx.Err(); err != nil { // stopped while up ran: Run stops what it started
		return nil, false, err
	}
	cs, err = s.Engine.ServiceContainers(ctx, p.Project.Name, svc.Compose)
	if err != nil {
		return nil, false, s.engineErr(err)
	}
	if c := engine.Running(cs); c != nil {
		return c, false, nil
	}
	if len(cs) == 0 {
		return nil, false, fmt.Errorf("docker compose up reported success but no container of %s exists", svc.Compose)
	}
	c := cs[0] // it started and already exited: supervise reports how it ended
	return &c, false, nil
}

// adopt takes over the service's running container c.
func (s *Shim) adopt(c *container.Summary) *container.Summary {
	s.info("adopting running container %s (%s)", engine.Name(*c), render.ShortID(c.ID))
	s.note(journal.Event{Kind: journal.Adopt, By: s.by,
		Reason: fmt.Sprintf("adopted running container %s (%s)", engine.Name(*c), render.ShortID(c.ID))})
	return c
}

// upGrace is how long a `docker compose up` under way may still run after a
// stop request (see composeUp).
const upGrace = 5 * time.Second

// composeUp runs the service's `docker compose up`. While a network of the
// service does not exist yet it does so under the project's up lock, so that
// shims starting together (a `pm2dock start` of the stack) create each
// network once: compose checks for a network and then creates it, and the
// engine (before API 1.44) lets two creations of one name both succeed,
// after which compose finds the name ambiguous. Once the networks exist, ups
// run side by side. An unavailable lock file (read-only state folder) only
// loses that serialisation.
func (s *Shim) composeUp(ctx context.Context) error {
	p, svc := s.Profile, s.Service
	locked := false // this shim holds the up lock (flock: a second open of it would wait for itself)
	if nets := p.Networks(svc); len(nets) > 0 {
		unlock, err := flock.Lock(ctx, p.StateDir.UpLock())
		switch {
		case err == nil:
			locked = true
			defer func() { unlock() }()
			missing, err := s.Engine.MissingNetworks(ctx, p.Project.Name, nets)
			if err != nil {
				return s.engineErr(err)
			}
			if len(missing) == 0 {
				unlock()
				unlock, locked = func() {}, false
			}
		case !errors.Is(err, flock.ErrUnavailable):
			return err
		}
	}
	// A stop request does not kill a `compose up` under way: killed, it
	// leaves the engine to finish creating and starting the container after
	// the shim's stopAll has looked, an orphan that then holds the service's
	// ports. The up gets upGrace to finish; stopAll then stops what it started.
	if err := ctx.Err(); err != nil {
		return err // stopped before the up began: nothing to finish
	}
	stopped := ctx
	upCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	defer context.AfterFunc(ctx, func() { time.AfterFunc(upGrace, cancel) })()
	ctx = upCtx
	err := s.Compose.Up(ctx, svc.Compose, s.restartOverride()...)
	if ce := (*compose.Error)(nil); errors.As(err, &ce) && stopped.Err() == nil && strings.Contains(ce.Output, " is ambiguous (") {
		// Networks created twice all the same (a `docker compose down` removing
		// the network while the shims it stopped start their containers again
		// can get there past the lock): compose would refuse the name for
		// ever. Leave one of each, under the lock, and try once more.
		err = s.dedupeAndRetry(ctx, locked)
	}
	if ce := (*compose.Error)(nil); errors.As(err, &ce) && stopped.Err() == nil && ce.NetworkGone() {
		// The service's stopped container names a network removed since
		// (`docker network prune`); compose starts it as it is and the engine
		// refuses. A new container on the network compose just made is what
		// `up` would have given without the stale one.
		s.info("its container names a network that no longer exists; recreating it")
		err = s.Compose.Recreate(ctx, svc.Compose, s.restartOverride()...)
	}
	if err != nil {
		return s.upError(ctx, err)
	}
	return nil
}

// dedupeAndRetry removes the service's duplicate networks under the up lock
// (taken here unless locked says the caller holds it) and runs its compose up
// again.
func (s *Shim) dedupeAndRetry(ctx context.Context, locked bool) error {
	p, svc := s.Profile, s.Service
	if !locked {
		if unlock, err := flock.Lock(ctx, p.StateDir.UpLock()); err == nil {
			defer unlock()
		}
	}
	n, err := s.Engine.RemoveDuplicateNetworks(ctx, p.Project.Name, p.Networks(svc))
	if err != nil {
		return s.engineErr(err)
	}
	if n > 0 {
		s.info("removed %d duplicate network(s) of %s, which compose refused as ambiguous", n, p.Project.Name)
	}
	return s.Compose.Up(ctx, svc.Compose, s.restartOverride()...)
}

// finishedUnwatched returns the container of s.unfinished when it exited 0:
// the job completed while no shim watched it. A failure is not returned (it
// would be recorded again by every shim PM2 starts); the job runs again.
func (s *Shim) finishedUnwatched(ctx context.Context, cs []container.Summary) *container.Summary {
	for i := range cs {
		c := &cs[i]
		if s.unfinished == "" || c.ID != s.unfinished || c.State != container.StateExited {
			continue
		}
		if r, err := s.Engine.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{}); err == nil && r.Container.State != nil && r.Container.State.ExitCode == 0 {
			return c
		}
	}
	return nil
}

// restartOverride writes the compose file that takes the engine's restart
// policy away from a service that has one (see profile.Service.EngineRestart)
// and returns it for `docker compose up`; none without a policy.
func (s *Shim) restartOverride() []string {
	svc := s.Service
	if svc.EngineRestart() == "" {
		return nil
	}
	path := s.Profile.StateDir.RestartOverride(svc.Key)
	if err := atomicfile.Write(path, compose.NoRestartOverride(svc.Compose, svc.HasDeployRestart()), 0o644); err != nil {
		// A read-only state folder must not stop the start: the container is
		// then created with its policy, which supervise clears at once
		// (noEngineRestart), as for an adopted one.
		fmt.Fprintf(s.Stderr, "[pm2dock] %s: write %s: %v; clearing the engine restart policy after the start instead\n", svc.Key, path, err)
		return nil
	}
	return []string{path}
}

// fail records a failure that ends the shim before or while starting.
func (s *Shim) fail(err error) error {
	s.st.Fail(err)
	c := int(s.st.Code())
	switch s.st.Code() {
	case exitcode.ImageMissing:
		s.raise(alert.ImageUnavailable, s.st.Reason, c, nil)
	case exitcode.PortConflict:
		s.raise(alert.PortConflict, s.st.Reason, c, nil)
	}
	s.save()
	if s.st.Code() == exitcode.EngineDown {
		s.noteEngineDown(s.st.Reason)
	} else {
		s.note(journal.Event{Kind: journal.Exit, By: journal.ByEngine,
			Reason: fmt.Sprintf("%s (pm2dock exit %d)", s.st.Reason, s.st.Code())})
	}
	fmt.Fprintf(s.Stderr, "[pm2dock] %s failed: %v\n", s.Service.Key, err)
	return err
}

// stopAll stops every container of the service (used when a stop request
// arrives before the shim knows its container) and returns nil (exit 0).
func (s *Shim) stopAll() error {
	by := s.stopAsker() // now, while the pm2dock command that asked still holds its lock
	ctx, cancel := context.WithTimeout(context.Background(), s.Service.StopGrace()+10*time.Second)
	defer cancel()
	s.st.Phase = state.Stopping
	s.save()
	cs, err := s.Engine.ServiceContainers(ctx, s.Profile.Project.Name, s.Service.Compose)
	if err == nil {
		for _, c := range cs {
			if c.State == container.StateRunning || c.State == container.StateRestarting || c.State == container.StateCreated {
				s.stopContainer(ctx, c.ID)
			}
		}
	}
	s.st.Phase = state.Stopped
	zero := 0
	s.st.ExitCode = &zero
	s.save()
	s.note(journal.Event{Kind: journal.Stop, By: by, Reason: "stopped on request while starting"})
	return nil
}

func (s *Shim) stopContainer(ctx context.Context, id string) error {
	secs := s.Service.StopGraceSeconds()
	_, err := s.Engine.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &secs})
	return err
}

func (s *Shim) engineErr(err error) error {
	var ce *exitcode.Err
	if errors.As(err, &ce) {
		return err
	}
	if client.IsErrConnectionFailed(err) {
		return engine.Unreachable(s.Engine.Endpoint.Host, err)
	}
	return err
}

// save writes the state file; a failure to write it is reported, not fatal:
// supervision matters more than its record.
func (s *Shim) save() {
	s.st.UpdatedAt = s.Now()
	if err := s.Profile.StateDir.Write(&s.st); err != nil {
		fmt.Fprintf(s.Stderr, "[pm2dock] %s: %v\n", s.Service.Key, err)
	}
}

func (s *Shim) info(format string, a ...any) {
	fmt.Fprintf(s.Stdout, "[pm2dock] %s: %s\n", s.Service.Key, fmt.Sprintf(format, a...))
}
