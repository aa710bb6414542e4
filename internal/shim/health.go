package shim

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/journal"
	"github.com/pm2dock/pm2dock/internal/render"
	"github.com/pm2dock/pm2dock/internal/state"
)

// observe updates health and phase from an inspected state.
func (s *Shim) observe(st *container.State) {
	if st == nil || !st.Running {
		return
	}
	health := ""
	if st.Health != nil {
		health = string(st.Health.Status)
	}
	s.setHealth(health, st.Health)
}

// event handles one engine event; it returns who killed the container, if an
// outside `docker kill` did.
func (s *Shim) event(ev events.Message, killedBy string) string {
	action := string(ev.Action)
	switch {
	case action == "health_status": // Podman: the word is not in the event; the caller inspects
	case strings.HasPrefix(action, "health_status"):
		s.setHealth(strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(action, "health_status"), ":")), nil)
	case action == "kill" && s.st.Phase != state.Stopping:
		if s.firstKill == "" {
			s.firstKill = ev.Actor.Attributes["signal"]
		}
		if sig := ev.Actor.Attributes["signal"]; sig != "" {
			return "killed by docker kill or docker stop (signal " + sig + ")"
		}
		return "killed by docker kill or docker stop" // Podman names no signal
	}
	return killedBy
}

// The engine's health words; "" means the container has no healthcheck.
const (
	healthStarting  = string(container.Starting)
	healthHealthy   = string(container.Healthy)
	healthUnhealthy = string(container.Unhealthy)
)

// view is what the supervise loop reacts to: the shim's phase and the
// container's health.
type view struct {
	phase  state.Phase
	health string
}

func (s *Shim) view() view { return view{s.st.Phase, s.st.Container.Health} }

// nextPhase is the shim's phase once the container reports health while the
// shim is in phase: ready when healthy (or without a healthcheck); unhealthy
// only after it was ready once — before that an unhealthy probe means still
// starting; any other word leaves the phase as it is.
func nextPhase(phase state.Phase, health string) state.Phase {
	switch {
	case health == "" || health == healthHealthy:
		return state.Ready
	case health == healthUnhealthy && (phase == state.Ready || phase == state.Unhealthy):
		return state.Unhealthy
	case health == healthStarting || health == healthUnhealthy:
		return state.Starting
	}
	return phase
}

// reaction is what a change of view does to the supervise loop's two timers:
// the reset of the consecutive-failure count (armed on becoming ready, when
// there were failures; disarmed whenever not ready) and restart.on_unhealthy
// (re-armed on every change that leaves the container unhealthy, disarmed on
// every other change).
type reaction struct {
	becameReady bool // also: announce a recovery
	notReady    bool
	sick        bool
}

func react(from, to view) reaction {
	return reaction{
		becameReady: to.phase == state.Ready && from.phase != state.Ready,
		notReady:    to.phase != state.Ready,
		sick:        to.health == healthUnhealthy,
	}
}

// setHealth applies a health report: the phase it leads to, the state file,
// a line in `pm2 logs` and an event on becoming ready or unhealthy (with the
// probe's output: from h when the report came with it, else inspected).
func (s *Shim) setHealth(health string, h *container.Health) {
	c := s.st.Container
	phase := nextPhase(s.st.Phase, health)
	if c.Health == health && phase == s.st.Phase {
		return
	}
	c.Health = health
	switch {
	case phase == state.Ready && s.st.Phase != state.Ready:
		now := s.Now()
		s.st.ReadyAt = &now
		what := "running, no healthcheck"
		if health == healthHealthy {
			what = "healthy"
		}
		s.info("ready (%s) after %s: container %s (%s)", what, now.Sub(s.start).Round(10*time.Millisecond), c.Name, render.ShortID(c.ID))
		e := journal.Event{Kind: journal.Ready, By: journal.ByEngine, Reason: what}
		if health == healthHealthy {
			e.Kind, e.Output = journal.Healthy, s.probeOutput(h)
			e.Reason = fmt.Sprintf("healthy after %s", now.Sub(s.start).Round(10*time.Millisecond))
			if s.st.Phase == state.Unhealthy {
				e.Reason = "healthy again"
			}
		}
		s.note(e)
	case phase == state.Unhealthy && s.st.Phase != state.Unhealthy:
		fmt.Fprintf(s.Stderr, "[pm2dock] %s: container %s is unhealthy\n", s.Service.Key, c.Name)
		s.note(journal.Event{Kind: journal.Unhealthy, By: journal.ByEngine, Output: s.probeOutput(h),
			Reason: "the healthcheck fails"})
	}
	s.st.Phase = phase
	s.save()
}

// driveHealth runs a Podman container's healthcheck every interval until ctx
// ends (Podman 4 leaves that to systemd timers, which are absent wherever
// systemd is not PID 1; docs/engines.md). The result reaches the shim as
// any health change does: Podman emits health_status and updates inspect.
// Where the timers do run, a check appears in the health log that this shim
// did not run; it then leaves them to it, so no check runs twice (which would
// count each failure twice against retries).
func (s *Shim) driveHealth(ctx context.Context, id string, hc *container.HealthConfig) {
	if hc == nil || len(hc.Test) == 0 || hc.Test[0] == "NONE" {
		return
	}
	interval := hc.Interval
	if interval <= 0 {
		interval = 30 * time.Second // the engines' default
	}
	first := interval
	if hc.StartInterval > 0 {
		first = hc.StartInterval
	}
	t := time.NewTimer(first)
	defer t.Stop()
	ours := 0 // health log entries since the container started: the ones we ran
	began := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, start, ok := s.healthRuns(ctx, id); ok {
			if began == "" {
				began = start
			}
			if start == began && n > ours { // a check ran that we did not run
				return
			}
		}
		if _, err := s.Engine.RunHealthcheck(ctx, id); err != nil && ctx.Err() == nil {
			fmt.Fprintf(s.Stderr, "[pm2dock] %s: %v\n", s.Service.Key, err)
		} else {
			ours++
		}
		t.Reset(interval)
	}
}

// healthRuns is how many entries of container id's health log are of its
// current run (Podman keeps the last five; an entry older than StartedAt is of
// an earlier run), and that run's StartedAt.
func (s *Shim) healthRuns(ctx context.Context, id string) (n int, startedAt string, ok bool) {
	r, err := s.Engine.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil || r.Container.State == nil {
		return 0, "", false
	}
	st := r.Container.State
	started, _ := time.Parse(time.RFC3339Nano, st.StartedAt)
	if st.Health != nil {
		for _, l := range st.Health.Log {
			if l != nil && !l.Start.Before(started) {
				n++
			}
		}
	}
	return n, st.StartedAt, true
}
