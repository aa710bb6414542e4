package shim

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/journal"
	"github.com/pm2dock/pm2dock/internal/render"
	"github.com/pm2dock/pm2dock/internal/state"
)

// drainWait bounds how long the shim waits for the log stream to deliver the
// last lines after the container stopped.
const drainWait = 3 * time.Second

// stop stops the container gracefully and ends the shim with exit 0.
//
// The stop is the engine's to finish (it sends the stop signal, waits the grace
// period, SIGKILLs): the shim records "stopping" only once the engine has sent
// the signal (its kill event), so a shim killed after that point cannot leave
// the container running — the engine completes the stop on its own.
func (s *Shim) stop(id string, evs <-chan events.Message, logsDone <-chan struct{}) error {
	s.info("stopping container %s (grace %s)", render.ShortID(id), s.Service.StopGrace())
	by := s.stopAsker() // now, while the pm2dock command that asked still holds its lock
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
		fmt.Fprintf(s.Stderr, "[pm2dock] %s: stop container %s: %v\n", s.Service.Key, render.ShortID(id), err)
	}
	drain(logsDone)
	s.st.Phase = state.Stopped
	zero := 0
	s.st.ExitCode = &zero
	s.save()
	s.note(journal.Event{Kind: journal.Stop, By: by, Reason: fmt.Sprintf("stopped on request (grace %s)", s.Service.StopGrace())})
	s.info("stopped")
	return nil
}

// exited records the end of the container: a completion (exit 0, by itself,
// of a job or under a compose restart policy that stops there:
// profile.Service.ExitZeroCompletes), or an unexpected end, which returns
// exit 1 or the crash loop's 5.
//
// engineWentAway reports whether the engine's connection broke since the
// container stopped: a stop from outside is then the engine shutting down,
// even when a new engine answers by the time the shim looks (a restart of
// dockerd takes about a second; draining the log stream can take longer).
func (s *Shim) exited(id string, res container.WaitResponse, killedBy string, engineWentAway func() bool) error {
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
			watch := 5 * time.Second
			if killedOutright(s.firstKill, r.Container.Config) {
				watch = 0 // docker kill: an engine shutting down sends the stop signal first
			}
			if engineWentAway() || !s.engineAnswers(watch, id) {
				f.Reason = "stopped by the Docker engine shutting down (engine restarted)"
				s.st.LastFailure = &f
				// Exit 7 even when the engine answers again already: the
				// next shim comes for the engine, not for a failure.
				return s.lostEngine(context.Background(), exitcode.Errorf(exitcode.EngineDown,
					"container %s stopped as the engine shut down", render.ShortID(id)))
			}
		}
	} else if client.IsErrConnectionFailed(err) || engineWentAway() || !s.engineAnswers(0, "") {
		// The engine went down with its containers: not the service's failure.
		return s.lostEngine(context.Background(), fmt.Errorf("inspect container %s: %w", render.ShortID(id), err))
	} else {
		f.Reason = Reason(f, nil, killedBy)
	}
	// Blind to the container's events, a stop from outside could have gone
	// unseen: only a declared job's exit 0 is taken for its end then.
	completes := s.Service.Job || s.Service.ExitZeroCompletes() && !s.eventsBlind
	if completes && f.ExitCode == 0 && !f.OOMKilled && killedBy == "" {
		return s.completed(f.At)
	}
	return s.failed(f, journal.ByEngine)
}

// killedOutright reports whether the first signal from outside was SIGKILL
// while the container's stop signal is another: `docker kill` (or compose
// kill), never an engine shutting down, which stops each container with its
// stop signal first (SIGKILL only after the grace period).
func killedOutright(first string, cfg *container.Config) bool {
	isKill := func(sig string) bool {
		sig = strings.TrimPrefix(strings.ToUpper(sig), "SIG")
		return sig == "9" || sig == "KILL"
	}
	stop := ""
	if cfg != nil {
		stop = cfg.StopSignal
	}
	return isKill(first) && !isKill(stop)
}

// completed records a success (a job's, or an exit 0 under a compose restart
// policy that stops there) and ends the shim with exitcode.JobDone,
// which PM2 does not restart: the app shows stopped, its restart count as it
// was, and the next `pm2dock start` runs the job again (as compose does).
func (s *Shim) completed(at time.Time) error {
	c := s.st.Container
	c.FinishedAt = &at
	ran := at.Sub(c.StartedAt).Round(10 * time.Millisecond)
	code := int(exitcode.JobDone)
	s.st.Phase, s.st.ExitCode, s.st.Consecutive, s.st.Hint = state.Completed, &code, 0, ""
	s.st.Reason = fmt.Sprintf("completed: exited with code 0 after %s", ran)
	if !s.Service.Job {
		s.st.Reason += " (its compose restart policy does not restart a success, so neither does pm2dock)"
	}
	s.save()
	zero, no := 0, false
	s.note(journal.Event{Kind: journal.Completed, ExitCode: &zero, OOMKilled: &no, By: journal.ByEngine, Reason: s.st.Reason})
	s.info("completed: container %s exited with code 0 after %s", c.Name, ran)
	return exitcode.New(exitcode.JobDone, fmt.Errorf("%s %s", s.Service.Key, s.st.Reason), "")
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

// unhealthyTooLong treats a container unhealthy for restart.on_unhealthy as a
// failure: it is stopped gracefully and restarted under the same policy.
func (s *Shim) unhealthyTooLong(id string, logsDone <-chan struct{}) error {
	d := s.Service.Restart.OnUnhealthy
	s.info("unhealthy for %s (restart.on_unhealthy): restarting the container", d)
	ctx, cancel := context.WithTimeout(context.Background(), s.Service.StopGrace()+10*time.Second)
	defer cancel()
	if err := s.stopContainer(ctx, id); err != nil && !engine.IsNotFound(err) {
		fmt.Fprintf(s.Stderr, "[pm2dock] %s: stop container %s: %v\n", s.Service.Key, render.ShortID(id), err)
	}
	drain(logsDone)
	return s.failed(state.Failure{At: s.Now().UTC(), ExitCode: -1,
		Reason: fmt.Sprintf("unhealthy for %s (restart.on_unhealthy)", d), LastLines: s.last.snapshot()}, journal.ByPolicy)
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
