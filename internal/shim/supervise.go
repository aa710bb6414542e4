package shim

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/state"
)

// drainWait bounds how long the shim waits for the log stream to deliver the
// last lines after the container stopped.
const drainWait = 3 * time.Second

// supervise attaches to c and returns when it ends.
func (s *Shim) supervise(ctx context.Context, c *container.Summary, adopted bool) error {
	id := c.ID
	info, err := s.Engine.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		if ctx.Err() != nil {
			return s.stopAll()
		}
		return s.fail(s.engineErr(fmt.Errorf("inspect container %s: %w", short(id), err)))
	}
	ci := info.Container
	started, _ := time.Parse(time.RFC3339Nano, ci.State.StartedAt)
	s.st.Container = &state.Container{ID: id, Name: strings.TrimPrefix(ci.Name, "/"), Image: ci.Config.Image,
		PID: ci.State.Pid, StartedAt: started.UTC()}

	// Lines since the newest one the store holds (the sink drops the replayed
	// boundary), so a shim restart loses nothing and stores nothing twice; an
	// empty store takes every line of this run — also when adopting (a shim
	// killed before its first flush stored nothing). Without a store, an
	// adopted container's earlier lines are not shown again.
	since := runBegan(ci.State)
	switch {
	case s.Sink == nil && adopted:
		since = s.Now()
	case s.Sink != nil:
		if last := s.Sink.Since(); !last.IsZero() {
			since = last
		}
	}
	watch, cancelWatch := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWatch()
	logsDone := s.followLogs(watch, id, since, ci.Config.Tty)
	evs := s.Engine.Events(watch, client.EventsListOptions{Filters: client.Filters{}.Add("container", id).Add("type", "container")})
	wait := s.Engine.ContainerWait(watch, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})

	go s.retention(watch)
	// Loading the compose project (schema, interpolation) leaves garbage that
	// an attached shim never needs again: give it back, so the many shims of a
	// workspace stay small.
	debug.FreeOSMemory()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var killedBy string
	var stable, sick <-chan time.Time // consecutive-count reset; restart.on_unhealthy
	seen := ""
	s.observe(ci.State)
	for {
		if now := string(s.st.Phase) + "/" + s.st.Container.Health; now != seen { // a transition: (re)arm the timers
			wasReady := strings.HasPrefix(seen, string(state.Ready)+"/")
			seen = now
			if s.st.Phase != state.Ready {
				stable = nil
			} else if !wasReady {
				stable = s.onReady()
			}
			sick = nil
			if s.st.Container.Health == "unhealthy" && s.Service.Restart.OnUnhealthy > 0 {
				sick = time.After(s.Service.Restart.OnUnhealthy)
			}
		}
		select {
		case <-stable:
			stable = nil
			s.st.Consecutive = 0
			s.save()
		case <-sick:
			return s.unhealthyTooLong(id, logsDone)
		case <-ctx.Done():
			return s.stop(id, evs.Messages, logsDone)
		case msg := <-s.storeErrs():
			s.st.StoreError = msg
			s.save()
			if msg != "" {
				fmt.Fprintf(s.Stderr, "[pm2dock] %s: log store: %s (lines still go to PM2; writing resumes when the store accepts)\n", s.Service.Key, msg)
			}
		case ev := <-evs.Messages:
			killedBy = s.event(ev, killedBy)
		case <-evs.Err:
			evs.Messages, evs.Err = nil, nil // events broke: the ticker's inspect carries on
		case <-tick.C:
			if s.orphaned() {
				return s.detach()
			}
			if r, err := s.Engine.ContainerInspect(watch, id, client.ContainerInspectOptions{}); err == nil {
				s.observe(r.Container.State)
			}
		case res := <-wait.Result:
			drain(logsDone)
			return s.exited(id, res, killedBy)
		case err := <-wait.Error:
			if ctx.Err() != nil {
				return s.stop(id, evs.Messages, logsDone)
			}
			return s.lostEngine(ctx, fmt.Errorf("wait for container %s: %w", short(id), err))
		}
	}
}

// EngineRetryDelay is how long a shim waits before exiting 7 when the engine
// does not answer: PM2 restarts a shim at once, so the delay PM2 should put
// between those restarts lives here (not in PM2's restart_delay; see
// restart.go). An engine restart is not a failure of the service: it is not
// counted toward the crash loop.
var EngineRetryDelay = 3 * time.Second

// engineAnswers pings the engine, again every 200 ms during watch: false as
// soon as one ping fails.
func (s *Shim) engineAnswers(watch time.Duration) bool {
	for end := time.Now().Add(watch); ; {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := s.Engine.Ping(ctx, client.PingOptions{})
		cancel()
		if err != nil {
			return false
		}
		if !time.Now().Before(end) {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// lostEngine ends the shim when its engine connection broke: exit 7 after the
// delay if the engine is gone (dockerd restarting), else the error as it is.
func (s *Shim) lostEngine(ctx context.Context, err error) error {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	_, perr := s.Engine.Ping(pctx, client.PingOptions{})
	cancel()
	if perr == nil {
		return s.fail(s.engineErr(err))
	}
	down := engine.Unreachable(s.Engine.DaemonHost(), perr)
	s.st.Reason = "Docker engine unreachable (restarting?): " + perr.Error()
	fmt.Fprintf(s.Stderr, "[pm2dock] %s: %s; retrying in %s\n", s.Service.Key, s.st.Reason, EngineRetryDelay)
	EngineDownWait(ctx)
	return s.fail(down)
}

// EngineDownWait waits EngineRetryDelay or until a stop request.
func EngineDownWait(ctx context.Context) {
	select {
	case <-time.After(EngineRetryDelay):
	case <-ctx.Done():
	}
}

// observe updates health and phase from an inspected state.
func (s *Shim) observe(st *container.State) {
	if st == nil || !st.Running {
		return
	}
	health := ""
	if st.Health != nil {
		health = string(st.Health.Status)
	}
	s.setHealth(health)
}

// event handles one engine event; it returns who killed the container, if an
// outside `docker kill` did.
func (s *Shim) event(ev events.Message, killedBy string) string {
	action := string(ev.Action)
	switch {
	case strings.HasPrefix(action, "health_status"):
		s.setHealth(strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(action, "health_status"), ":")))
	case action == "kill" && s.st.Phase != state.Stopping:
		return "killed by docker kill or docker stop (signal " + ev.Actor.Attributes["signal"] + ")"
	}
	return killedBy
}

func (s *Shim) setHealth(health string) {
	c := s.st.Container
	phase := s.st.Phase
	switch {
	case health == "" || health == "healthy":
		phase = state.Ready
	case health == "unhealthy" && (phase == state.Ready || phase == state.Unhealthy):
		phase = state.Unhealthy
	case health == "starting" || health == "unhealthy":
		phase = state.Starting // not yet ready once: still starting
	}
	if c.Health == health && phase == s.st.Phase {
		return
	}
	c.Health = health
	switch {
	case phase == state.Ready && s.st.Phase != state.Ready:
		now := s.Now()
		s.st.ReadyAt = &now
		what := "running, no healthcheck"
		if health == "healthy" {
			what = "healthy"
		}
		s.info("ready (%s) after %s: container %s (%s)", what, now.Sub(s.start).Round(10*time.Millisecond), c.Name, short(c.ID))
	case phase == state.Unhealthy && s.st.Phase != state.Unhealthy:
		fmt.Fprintf(s.Stderr, "[pm2dock] %s: container %s is unhealthy\n", s.Service.Key, c.Name)
	}
	s.st.Phase = phase
	s.save()
}

// stop stops the container gracefully and ends the shim with exit 0.
//
// The stop is the engine's to finish (it sends the stop signal, waits the grace
// period, SIGKILLs): the shim records "stopping" only once the engine has sent
// the signal (its kill event), so a shim killed after that point cannot leave
// the container running — the engine completes the stop on its own.
func (s *Shim) stop(id string, evs <-chan events.Message, logsDone <-chan struct{}) error {
	s.info("stopping container %s (grace %s)", short(id), s.Service.StopGrace())
	ctx, cancel := context.WithTimeout(context.Background(), s.Service.StopGrace()+10*time.Second)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- s.stopContainer(ctx, id) }()
	var err error
	select {
	case err = <-stopped: // already gone, or fast
	case <-signalled(evs, time.Second):
		s.st.Phase = state.Stopping
		s.save()
		err = <-stopped
	}
	if err != nil && !engine.IsNotFound(err) {
		fmt.Fprintf(s.Stderr, "[pm2dock] %s: stop container %s: %v\n", s.Service.Key, short(id), err)
	}
	drain(logsDone)
	s.st.Phase = state.Stopped
	zero := 0
	s.st.ExitCode = &zero
	s.save()
	s.info("stopped")
	return nil
}

// exited records an unexpected end of the container and returns exit 1.
func (s *Shim) exited(id string, res container.WaitResponse, killedBy string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f := state.Failure{At: s.Now(), ExitCode: int(res.StatusCode), LastLines: s.last.snapshot()}
	if res.Error != nil {
		f.Error = res.Error.Message
	}
	if r, err := s.Engine.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); err == nil {
		st := r.Container.State
		f.ExitCode, f.OOMKilled = st.ExitCode, st.OOMKilled
		if st.Error != "" {
			f.Error = st.Error
		}
		if t, err := time.Parse(time.RFC3339Nano, st.FinishedAt); err == nil && t.Year() > 1 {
			f.At = t.UTC()
		}
		f.Reason = Reason(f, r.Container.HostConfig, killedBy)
		if killedBy != "" {
			// Shown at once; counted only below. A container stopped from
			// outside may have been stopped by the engine shutting down (it
			// stops containers, then goes away): not the service's failure. A
			// person's `docker stop` leaves the engine up.
			s.st.LastFailure, s.st.Phase = &f, state.Exited
			s.save()
			if !s.engineAnswers(5 * time.Second) {
				f.Reason = "stopped by the Docker engine shutting down (engine restarted)"
				s.st.LastFailure = &f
				return s.lostEngine(context.Background(), fmt.Errorf("container %s stopped as the engine shut down", short(id)))
			}
		}
	} else if client.IsErrConnectionFailed(err) || !s.engineAnswers(0) {
		// The engine went down with its containers: not the service's failure.
		return s.lostEngine(context.Background(), fmt.Errorf("inspect container %s: %w", short(id), err))
	} else {
		f.Reason = Reason(f, nil, killedBy)
	}
	return s.failed(f)
}

// signalled closes once the engine reports the stop signal (a kill event) or
// after at most wait (events unavailable).
func signalled(evs <-chan events.Message, wait time.Duration) <-chan struct{} {
	out := make(chan struct{})
	go func() {
		defer close(out)
		deadline := time.After(wait)
		for {
			select {
			case ev, ok := <-evs:
				if !ok || ev.Action == events.ActionKill {
					return
				}
			case <-deadline:
				return
			}
		}
	}()
	return out
}

// orphaned reports whether the process that started the shim (the PM2 daemon)
// died: the shim was re-parented.
func (s *Shim) orphaned() bool {
	return s.parent > 1 && os.Getppid() != s.parent
}

// detach ends a shim whose PM2 daemon died (SIGKILL, OOM): the container keeps
// running — a database must not go down because its supervisor crashed — and
// the shim leaves, so that the shim the next daemon starts (`pm2 resurrect`,
// `pm2dock start`) adopts the container alone, backfilling its lines from the
// store's last timestamp: no orphan shim, no second writer, no line twice.
func (s *Shim) detach() error {
	s.st.Phase, s.st.Reason = state.Detached, "the PM2 daemon died; the container runs on until a new shim adopts it"
	s.save()
	fmt.Fprintf(s.Stderr, "[pm2dock] %s: %s\n", s.Service.Key, s.st.Reason)
	return nil
}

// unhealthyTooLong treats a container unhealthy for restart.on_unhealthy as a
// failure: it is stopped gracefully and restarted under the same policy.
func (s *Shim) unhealthyTooLong(id string, logsDone <-chan struct{}) error {
	d := s.Service.Restart.OnUnhealthy
	s.info("unhealthy for %s (restart.on_unhealthy): restarting the container", d)
	ctx, cancel := context.WithTimeout(context.Background(), s.Service.StopGrace()+10*time.Second)
	defer cancel()
	if err := s.stopContainer(ctx, id); err != nil && !engine.IsNotFound(err) {
		fmt.Fprintf(s.Stderr, "[pm2dock] %s: stop container %s: %v\n", s.Service.Key, short(id), err)
	}
	drain(logsDone)
	return s.failed(state.Failure{At: s.Now().UTC(), ExitCode: -1,
		Reason: fmt.Sprintf("unhealthy for %s (restart.on_unhealthy)", d), LastLines: s.last.snapshot()})
}

// Reason says in words why a container ended.
func Reason(f state.Failure, hc *container.HostConfig, killedBy string) string {
	r := fmt.Sprintf("exited with code %d", f.ExitCode)
	switch {
	case f.OOMKilled:
		r += ": OOM killed"
		if hc != nil && hc.Memory > 0 {
			r += fmt.Sprintf(" (memory limit %s)", mib(hc.Memory))
		}
	case killedBy != "":
		r += ": " + killedBy
	case f.Error != "":
		r += ": " + f.Error
	}
	return r
}

func mib(b int64) string {
	if b%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", b>>20)
	}
	return fmt.Sprintf("%d bytes", b)
}

// runBegan is where the lines of the container's latest run begin in its
// engine log: the end of its previous run, or the beginning of the log for a
// first run. Not StartedAt: the engine records that only after the process is
// running, and stamps the process's first lines earlier than it (a 1 MiB first
// line was lost this way under load). When the latest run has ended already
// (FinishedAt after StartedAt: the container exited before the shim looked),
// the previous run's end is gone, and StartedAt less runMargin stands in.
func runBegan(st *container.State) time.Time {
	if st == nil {
		return time.Time{}
	}
	finished, ferr := time.Parse(time.RFC3339Nano, st.FinishedAt)
	started, serr := time.Parse(time.RFC3339Nano, st.StartedAt)
	switch {
	case ferr != nil || finished.Year() <= 1:
		return time.Time{} // never ended: the whole log is this run
	case serr == nil && started.Year() > 1 && !finished.Before(started):
		return started.Add(-runMargin).UTC()
	}
	return finished.UTC()
}

// runMargin is how much earlier than StartedAt a run's lines may be stamped.
const runMargin = time.Second

// followLogs streams the container's lines from since (zero: the whole log)
// until the stream ends; the channel closes then.
func (s *Shim) followLogs(ctx context.Context, id string, since time.Time, tty bool) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true, Timestamps: true}
		if !since.IsZero() {
			opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
		}
		rc, err := s.Engine.ContainerLogs(ctx, id, opts)
		if err != nil {
			fmt.Fprintf(s.Stderr, "[pm2dock] %s: follow logs: %v\n", s.Service.Key, err)
			return
		}
		defer rc.Close()
		read := demux
		if tty {
			read = raw
		}
		if err := read(rc, s.line); err != nil && ctx.Err() == nil {
			fmt.Fprintf(s.Stderr, "[pm2dock] %s: follow logs: %v\n", s.Service.Key, err)
		}
	}()
	return done
}

var outMu sync.Mutex

// line writes one container line to the shim's stream and the sink.
func (s *Shim) line(ts time.Time, stream string, msg []byte) {
	w := s.Stdout
	if stream == "stderr" {
		w = s.Stderr
	}
	if s.Sink != nil && s.Sink.Line(ts, stream, msg) {
		return
	}
	outMu.Lock()
	w.Write(append(msg, '\n')) // a closed pipe (PM2 gone) must not stop supervision
	outMu.Unlock()
	s.last.add(msg)
}

// retention prunes the log store now and every PruneEvery until ctx ends.
func (s *Shim) retention(ctx context.Context) {
	if s.Prune == nil {
		return
	}
	every := s.PruneEvery
	if every <= 0 {
		every = 10 * time.Minute
	}
	for {
		if err := s.Prune(s.Now()); err != nil {
			fmt.Fprintf(s.Stderr, "[pm2dock] %s: log retention: %v\n", s.Service.Key, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

func drain(done <-chan struct{}) {
	if done == nil {
		return
	}
	select {
	case <-done:
	case <-time.After(drainWait):
	}
}
