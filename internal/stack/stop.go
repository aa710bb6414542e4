package stack

import (
	"context"
	"fmt"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/pm2"
	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
	"github.com/pm2dock/pm2dock/internal/service"
)

// Stop stops keys through PM2, dependents first. `pm2 stop` returns once the
// shim has exited, i.e. once it has stopped its container; a container still
// running after that (started by plain compose, or left by a killed shim) is
// stopped through the engine, so stop never leaves one behind.
func (s *Stack) Stop(ctx context.Context, keys []service.Key) ([]Result, error) {
	var out []Result
	var first error
	for _, k := range dependents(s.Profile, keys) {
		r := Result{Key: k, Outcome: Stopped}
		t0 := s.Now()
		unlock, err := lock(ctx, s.Profile.StateDir, k)
		if err != nil {
			return out, err
		}
		procs, err := s.PM2.Apps(ctx)
		if err != nil {
			unlock()
			return out, err
		}
		if app := pm2.Find(procs, s.Profile.Namespace, k); app != nil {
			r.OldPID = app.PID
			if app.Env.Status != rpc.Stopped {
				s.progress(k, "stopping through PM2 (pid %d)", app.PID)
				if err := s.pm2(func() error { return s.PM2.Stop(ctx, app.PMID) }); err != nil {
					r.Outcome, r.Err = Failed, err
				}
			}
		}
		if r.Err == nil {
			r.Err = s.stopLeftovers(ctx, k)
		}
		if st, err := s.Profile.StateDir.Read(k); err == nil {
			r.Phase, r.Container = st.Phase, st.Container
		}
		unlock()
		r.Took = s.Now().Sub(t0)
		if r.Err != nil && first == nil {
			first = r.Err
		}
		out = append(out, r)
	}
	return out, first
}

func (s *Stack) stopLeftovers(ctx context.Context, key service.Key) error {
	if s.Engine == nil {
		return nil
	}
	svc, _ := s.Profile.Service(key)
	cs, err := s.Engine.ServiceContainers(ctx, s.Profile.Project.Name, svc.Compose)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.State != container.StateRunning {
			continue
		}
		s.progress(key, "stopping container %s that no shim owns", engine.Name(c))
		secs := svc.StopGraceSeconds()
		if _, err := s.Engine.ContainerStop(ctx, c.ID, client.ContainerStopOptions{Timeout: &secs}); err != nil {
			return fmt.Errorf("stop container %s: %w", engine.Name(c), err)
		}
	}
	return nil
}
