package shim

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/flock"
	"github.com/pm2dock/pm2dock/internal/journal"
	"github.com/pm2dock/pm2dock/internal/state"
)

// The shim writes its service's event journal (package journal): one event
// per transition, with who asked. Who asked for this shim's run is decided
// once, from what the previous shim left (see asker).

// note records e, stamped now; an event about health carries the
// container's health word (the end of a container says nothing of it).
func (s *Shim) note(e journal.Event) {
	e.TS = s.Now().UTC()
	switch e.Kind {
	case journal.Ready, journal.Healthy, journal.Unhealthy:
		if e.Health == "" && s.st.Container != nil {
			e.Health = s.st.Container.Health
		}
	}
	s.Journal.Record(e)
}

// noteEngineDown records the engine going away, once per shim: every path
// that ends a shim with exit 7 reaches it.
func (s *Shim) noteEngineDown(reason string) {
	if s.downNoted {
		return
	}
	s.downNoted = true
	s.note(journal.Event{Kind: journal.EngineDown, By: journal.ByEngine, Reason: reason})
}

// asker is who started this shim: a person's pm2dock start or restart (it
// left a reset marker), the restart policy (the previous shim recorded a
// failure of the container and exited 1, so PM2 restarted it), or PM2 alone
// (pm2 start or restart, resurrect, a killed shim brought back, a shim that
// exited 1 without a failure of the container).
func asker(reset bool, prev *state.File) journal.By {
	switch {
	case reset:
		return journal.ByUser
	case prev != nil && prev.Phase == state.Exited && prev.Code() == exitcode.Error && prev.Consecutive > 0:
		return journal.ByPolicy
	}
	return journal.ByPM2
}

// noteArrival records how this shim's run began, before it adopts or starts:
// the engine answering again after the previous shim lost it.
func (s *Shim) noteArrival(prev *state.File) {
	if prev != nil && prev.Code() == exitcode.EngineDown {
		s.note(journal.Event{Kind: journal.EngineUp, Reason: "the Docker engine answers again", By: journal.ByEngine})
	}
}

// noteStart records the start of a new container: a restart when the last
// one ended unexpectedly and the restart policy brings it back.
func (s *Shim) noteStart() {
	e := journal.Event{Kind: journal.Start, By: s.by}
	if s.by == journal.ByPolicy {
		e.Kind = journal.Restart
		e.Reason = fmt.Sprintf("restart %d after a failure", s.st.Consecutive)
		if f := s.st.LastFailure; f != nil {
			e.Reason += ": " + f.Reason
		}
	}
	s.note(e)
}

// noteFailure records an unexpected end of the container.
func (s *Shim) noteFailure(f state.Failure, by journal.By) {
	e := journal.Event{Kind: journal.Exit, Reason: f.Reason, OOMKilled: &f.OOMKilled, By: by}
	if f.ExitCode >= 0 {
		code := f.ExitCode
		e.ExitCode = &code
	}
	s.note(e)
}

// stopAsker is who asked for a stop: a pm2dock command holds the service's
// start/stop lock while PM2 carries it out; without it, PM2 was asked
// directly (pm2 stop, restart, delete, kill).
func (s *Shim) stopAsker() journal.By {
	if flock.Held(s.Profile.StateDir.StartLock(s.Service.Key)) {
		return journal.ByUser
	}
	return journal.ByPM2
}

// probeOutput is the output of the container's last health probe, from h
// when given, else from an inspect ("" when it has none).
func (s *Shim) probeOutput(h *container.Health) string {
	if h == nil && s.st.Container != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		r, err := s.Engine.ContainerInspect(ctx, s.st.Container.ID, client.ContainerInspectOptions{})
		cancel()
		if err == nil && r.Container.State != nil {
			h = r.Container.State.Health
		}
	}
	if h == nil || len(h.Log) == 0 || h.Log[len(h.Log)-1] == nil {
		return ""
	}
	return strings.TrimSpace(h.Log[len(h.Log)-1].Output)
}
