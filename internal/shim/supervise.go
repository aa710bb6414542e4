package shim

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/render"
	"github.com/pm2dock/pm2dock/internal/state"
)

// supervise attaches to c and returns when it ends.
func (s *Shim) supervise(ctx context.Context, c *container.Summary, adopted bool) error {
	id := c.ID
	info, err := s.Engine.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		if ctx.Err() != nil {
			return s.stopAll()
		}
		return s.fail(s.engineErr(fmt.Errorf("inspect container %s: %w", render.ShortID(id), err)))
	}
	ci := info.Container
	s.noEngineRestart(ctx, id, ci.HostConfig)
	started, _ := time.Parse(time.RFC3339Nano, ci.State.StartedAt)
	s.st.Container = &state.Container{ID: id, Name: strings.TrimPrefix(ci.Name, "/"), Image: ci.Config.Image,
		PID: ci.State.Pid, StartedAt: started.UTC(), Ports: publishedPorts(ci.NetworkSettings)}

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
	var limit int64
	if ci.HostConfig != nil {
		limit = ci.HostConfig.Memory
	}
	go s.followStats(watch, id, limit)
	if s.Engine.Kind == engine.KindPodman {
		go s.driveHealth(watch, id, ci.Config.Healthcheck)
	}
	// Loading the compose project (schema, interpolation) leaves garbage that
	// an attached shim never needs again: give it back, so the many shims of a
	// workspace stay small.
	debug.FreeOSMemory()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var killedBy string
	died := false
	var stable, sick <-chan time.Time // consecutive-count reset; restart.on_unhealthy
	var armed view                    // the view the timers were last set for
	s.observe(ci.State)
	for {
		if now := s.view(); now != armed {
			r := react(armed, now)
			armed = now
			if r.notReady {
				stable = nil
			} else if r.becameReady {
				stable = s.onReady()
			}
			sick = nil
			if r.sick && s.Service.Restart.OnUnhealthy > 0 {
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
			died = died || ev.Action == events.ActionDie
			if ev.Action == "health_status" { // Podman's: no word after it, so look
				if r, err := s.Engine.ContainerInspect(watch, id, client.ContainerInspectOptions{}); err == nil {
					s.observe(r.Container.State)
				}
			}
		case <-evs.Err:
			evs.Messages, evs.Err = nil, nil // events broke: the ticker's inspect carries on
			s.eventsBlind = true
		case <-tick.C:
			if s.orphaned() {
				return s.detach()
			}
			s.publishMetrics()
			if r, err := s.Engine.ContainerInspect(watch, id, client.ContainerInspectOptions{}); err == nil {
				s.observe(r.Container.State)
			}
		case res := <-wait.Result:
			drain(logsDone)
			if !died { // the wait can win the race against a kill event from outside
				killedBy = s.eventsUntilDie(evs.Messages, killedBy)
			}
			// Whether the engine went away since: its event stream ends when it
			// does (looked at after the drain, which can outlast a quick restart).
			wentAway := func() bool {
				select {
				case <-evs.Err:
					return true
				default:
					return s.eventsBlind
				}
			}
			return s.exited(id, res, killedBy, wentAway)
		case err := <-wait.Error:
			if ctx.Err() != nil {
				return s.stop(id, evs.Messages, logsDone)
			}
			return s.lostEngine(ctx, fmt.Errorf("wait for container %s: %w", render.ShortID(id), err))
		}
	}
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

// noEngineRestart takes the engine's restart policy away from a container
// that has one: one adopted from a plain `docker compose up` of a file with
// `restart:` (a container the shim created has none; see restartOverride).
// The engine would otherwise restart it behind PM2 while the shim reports
// the exit: two supervisors for one failure.
func (s *Shim) noEngineRestart(ctx context.Context, id string, hc *container.HostConfig) {
	if hc == nil || hc.RestartPolicy.Name == "" || hc.RestartPolicy.Name == container.RestartPolicyDisabled {
		return
	}
	_, err := s.Engine.ContainerUpdate(ctx, id, client.ContainerUpdateOptions{
		RestartPolicy: &container.RestartPolicy{Name: container.RestartPolicyDisabled}})
	if err != nil {
		fmt.Fprintf(s.Stderr, "[pm2dock] %s: could not clear the engine restart policy %q of container %s: %v\n",
			s.Service.Key, hc.RestartPolicy.Name, render.ShortID(id), err)
		return
	}
	s.info("container %s had the engine restart policy %q: cleared, pm2dock's restart policy governs", render.ShortID(id), hc.RestartPolicy.Name)
}

// publishedPorts lists the ports the engine published for the container, as
// status shows them: where an ephemeral host port (`127.0.0.1::8080`) landed
// is known only here.
func publishedPorts(ns *container.NetworkSettings) []string {
	if ns == nil {
		return nil
	}
	var out []string
	for p, bs := range ns.Ports {
		for _, b := range bs {
			if b.HostPort == "" {
				continue
			}
			ip := "0.0.0.0"
			if b.HostIP.IsValid() {
				ip = b.HostIP.String()
			}
			out = append(out, render.Port(ip, b.HostPort, uint32(p.Num()), string(p.Proto())))
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// eventsUntilDie reads the container's events the supervise loop has not
// taken yet, up to its die event (at most a second): a kill or stop from
// outside comes before the die, and an exit 0 is a completion only when none
// came (profile.Service.ExitZeroCompletes).
func (s *Shim) eventsUntilDie(evs <-chan events.Message, killedBy string) string {
	if evs == nil {
		return killedBy
	}
	deadline := time.After(time.Second)
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				return killedBy
			}
			if killedBy = s.event(ev, killedBy); ev.Action == events.ActionDie {
				return killedBy
			}
		case <-deadline:
			return killedBy
		}
	}
}
