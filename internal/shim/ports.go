package shim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/ports"
	"github.com/pm2dock/pm2dock/internal/render"
)

// portRecheck is how often a shim looks again at a port its own service's
// container holds; unnamedProxyWait bounds how long it waits on a port that
// Docker's proxy holds for a container it cannot name (one between states).
var (
	portRecheck      = 250 * time.Millisecond
	unnamedProxyWait = 5 * time.Second
)

// checkPorts checks the service's published host ports. A port held by the
// service's own container is no conflict while that container starts (a
// shim stopped while its `compose up` was under way) or stops: the shim
// waits, at most the stop grace period and 10 s, until the container runs —
// then it is returned, to be adopted — or lets go of the port. A holder that
// cannot be named (Docker's proxy for a container between states, or a
// process this user cannot see) is waited on briefly (unnamedProxyWait)
// while the service has a container. Any other holder, or one still there at
// the end of its wait, is a conflict (exit 4), named.
func (s *Shim) checkPorts(ctx context.Context) (*container.Summary, error) {
	bindings := Bindings(s.Service.Spec)
	if len(bindings) == 0 {
		return nil, nil
	}
	start := s.Now()
	noted := false
	for {
		err := s.portsFree(ctx, bindings)
		var ce *ports.ConflictError
		if err == nil || !errors.As(err, &ce) {
			return nil, err
		}
		cs, lerr := s.Engine.ServiceContainers(ctx, s.Profile.Project.Name, s.Service.Compose)
		if lerr != nil {
			return nil, s.engineErr(lerr)
		}
		if c := engine.Running(cs); c != nil {
			s.info("its own container %s runs now (it held %s); adopting it", engine.Name(*c), ce.Binding)
			return c, nil
		}
		wait, whose := s.ownWait(ce.Holder, cs)
		if wait == 0 || s.Now().Sub(start) >= wait {
			return nil, portErr(s.Service.Key, err)
		}
		if !noted {
			s.info("port %s is held by %s; waiting for it to start or stop (at most %s)", ce.Binding, whose, wait)
			noted = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(portRecheck):
		}
	}
}

// ownWait says how long a holder may keep a port before it is a conflict:
// the stop grace period and 10 s for this service's own container, a short
// while for Docker's proxy of a container not named, or a holder not seen at
// all (this service has a container that may be between states), 0 for
// anything else: another process, another project's container.
func (s *Shim) ownWait(h *ports.Holder, cs []container.Summary) (time.Duration, string) {
	switch {
	case h != nil && h.Container != nil:
		if h.Container.Project == s.Profile.Project.Name && h.Container.Service == s.Service.Compose {
			return s.Service.StopGrace() + 10*time.Second, fmt.Sprintf("this service's own container %s (%s)", h.Container.Name, render.ShortID(h.Container.ID))
		}
		return 0, ""
	case (h == nil || h.IsDocker()) && len(cs) > 0:
		// Docker's proxy for a container it could not be matched to, or a
		// holder this user cannot see (docker-proxy runs as root): while the
		// service has a container between states, give it a moment.
		return unnamedProxyWait, "a holder not named yet while this service's container changes state"
	}
	return 0, ""
}

// portsFree checks each binding on the engine's machine: a bind here, or, for
// an engine elsewhere, the engine's own account.
func (s *Shim) portsFree(ctx context.Context, bindings []ports.Binding) error {
	finder := engine.PortFinder{E: s.Engine}
	for _, b := range bindings {
		var err error
		if ep := s.Engine.Endpoint; ep.OnThisMachine() {
			err = ports.Check(ctx, b, finder)
		} else { // a bind here says nothing about the engine's machine
			err = ports.CheckOnEngine(ctx, b, finder, ep.Host)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
