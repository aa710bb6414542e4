package shim

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/state"
)

// EngineRetryDelay is how long a shim waits before exiting 7 when the engine
// does not answer: PM2 restarts a shim at once, so the delay PM2 should put
// between those restarts lives here (not in PM2's restart_delay; see
// restart.go). An engine restart is not a failure of the service: it is not
// counted toward the crash loop.
var EngineRetryDelay = 3 * time.Second

// engineAnswers pings the engine, again every 200 ms during watch: false as
// soon as one ping fails. With id, the watch also ends (true) once that
// container is gone: an engine shutting down stops its containers but never
// removes them, so a removed one was removed by someone (docker rm -f,
// compose down) and the engine is not going away.
func (s *Shim) engineAnswers(watch time.Duration, id string) bool {
	for end := time.Now().Add(watch); ; {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := s.Engine.Ping(ctx, client.PingOptions{})
		if err == nil && id != "" && time.Now().Before(end) {
			if _, ierr := s.Engine.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); engine.IsNotFound(ierr) {
				cancel()
				return true
			}
		}
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
	down := engine.Unreachable(s.Engine.Endpoint.Host, perr)
	s.st.Reason = "Docker engine unreachable (restarting?): " + perr.Error()
	s.noteEngineDown(s.st.Reason)
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
