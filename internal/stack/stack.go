package stack

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/state"
	"github.com/pm2dock/pm2dock/internal/verdict"
)

// PM2 is what the stack needs of PM2: its app list, read without changing
// anything, and the mutations, which address an app by pm_id (a name is
// unique only within a namespace). pm2.Driver is the real one.
type PM2 interface {
	Apps(ctx context.Context) ([]rpc.Process, error)
	Start(ctx context.Context, ecosystem string, names []string) error
	Stop(ctx context.Context, pmID int) error
	Restart(ctx context.Context, pmID int) error
}

// Engine is what stop needs of the engine: the containers of a compose
// service, and stopping one that no shim owns. *engine.Engine is the real one.
type Engine interface {
	ServiceContainers(ctx context.Context, project, service string) ([]container.Summary, error)
	ContainerStop(ctx context.Context, id string, opts client.ContainerStopOptions) (client.ContainerStopResult, error)
}

// Stack drives a profile's services through PM2. The shims answer through
// the state folder (Profile.StateDir), which the stack reads and watches.
type Stack struct {
	Profile   *profile.Profile
	PM2       PM2
	Engine    Engine // optional: lets stop catch a container PM2 did not own
	Ecosystem string // path of the ecosystem file for `pm2 start`
	Now       func() time.Time
	Progress  func(key service.Key, msg string) // optional: one line per step

	mu sync.Mutex // one pm2 CLI at a time

	batchMu  sync.Mutex
	batch    []startRequest // pm2 starts waiting for the next CLI call
	batching bool           // a goroutine is issuing them
}

// startRequest is one service's wait for `pm2 start ECOSYSTEM --only …`.
type startRequest struct {
	key  service.Key
	done chan error
}

// batchGather is how long the first start of a batch waits for the
// services starting alongside it: they all arrive within microseconds.
const batchGather = 10 * time.Millisecond

// pm2Start starts key's app through PM2, in one `pm2 start ECOSYSTEM --only
// a,b,…` with every other service asking meanwhile: a pm2 command is a Node
// process of a few hundred milliseconds, one at a time, and twenty services
// started one by one spent most of their start in them.
func (s *Stack) pm2Start(ctx context.Context, key service.Key) error {
	req := startRequest{key: key, done: make(chan error, 1)}
	s.batchMu.Lock()
	s.batch = append(s.batch, req)
	lead := !s.batching
	s.batching = true
	s.batchMu.Unlock()
	if lead {
		go s.startBatches(ctx)
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// startBatches issues the waiting starts, a batch per pm2 command, until
// none waits.
func (s *Stack) startBatches(ctx context.Context) {
	time.Sleep(batchGather)
	for {
		s.batchMu.Lock()
		reqs := s.batch
		s.batch = nil
		if len(reqs) == 0 {
			s.batching = false
			s.batchMu.Unlock()
			return
		}
		s.batchMu.Unlock()
		keys := make([]string, len(reqs))
		for i, r := range reqs {
			keys[i] = r.key.String()
		}
		err := s.pm2(func() error { return s.PM2.Start(ctx, s.Ecosystem, keys) })
		for _, r := range reqs {
			r.done <- err
		}
	}
}

// Outcome is what a start, restart or stop did to one service.
type Outcome string

// The outcomes.
const (
	Started        Outcome = "started"
	AlreadyHealthy Outcome = "already healthy" // a start found it ready and left it alone
	Restarted      Outcome = "restarted"
	Stopped        Outcome = "stopped"
	Failed         Outcome = "failed" // Result.Err says why
)

// Result is the outcome for one service.
type Result struct {
	Key     service.Key
	Outcome Outcome
	Phase   state.Phase
	// Verdict is a start's or restart's answer (package verdict); the zero
	// Verdict when none was reached (a dependency failed, PM2 refused).
	Verdict   verdict.Verdict
	PM2PID    int
	OldPID    int
	Container *state.Container
	Took      time.Duration
	Err       error
}

func (s *Stack) pm2(fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn()
}

func (s *Stack) progress(key service.Key, format string, a ...any) {
	if s.Progress != nil {
		s.Progress(key, fmt.Sprintf(format, a...))
	}
}
