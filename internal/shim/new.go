package shim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pm2dock/pm2dock/internal/alert"
	"github.com/pm2dock/pm2dock/internal/compose"
	"github.com/pm2dock/pm2dock/internal/engine"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/figures"
	"github.com/pm2dock/pm2dock/internal/flock"
	"github.com/pm2dock/pm2dock/internal/handoff"
	"github.com/pm2dock/pm2dock/internal/journal"
	"github.com/pm2dock/pm2dock/internal/logstore"
	"github.com/pm2dock/pm2dock/internal/pm2file"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/state"
)

// Config is what `pm2dock run` knows before a shim exists: the service key,
// the state folder the ecosystem named (where the hand-over file is; known
// before the profile loads), and how to reach the profile, the engine and the
// alert deliverer.
type Config struct {
	Service  service.Key
	StateDir state.Dir // "" when PM2 was given no --state-dir
	Environ  []string  // the shim's own environment
	Profile  func(ctx context.Context, extraEnv ...string) (*profile.Profile, error)
	// Engine connects to p's engine resolved from env (package endpoint).
	Engine func(ctx context.Context, p *profile.Profile, env ...string) (*engine.Engine, error)
	// Alert returns the delivery of alerts for p (nil: banner only).
	Alert  func(p *profile.Profile) func(alert.Alert)
	Stdout io.Writer
	Stderr io.Writer
	Now    func() time.Time
	PM2    *PM2Channel // where the container's figures go as PM2 metrics; nil: nowhere
}

// ErrBusy means another shim of the service still runs (its lifetime lock).
var ErrBusy = errors.New("another shim of this service still runs")

// New assembles the shim of cfg.Service, in an order that matters: the
// hand-over file before the profile (which may need its variables), the
// shim's lifetime lock before anything is written (one shim per service,
// ever), the engine last (when it is down the shim waits, then exits 7 for PM2
// to retry). A failure is recorded in the state file (see recordEarly) unless
// another shim owns that file or the stop was requested; cleanup releases
// what was taken and is never nil.
func New(ctx context.Context, cfg Config) (s *Shim, cleanup func(), err error) {
	started := cfg.Now()
	s, cleanup, err = assemble(ctx, cfg)
	if err != nil && ctx.Err() == nil && !errors.Is(err, ErrBusy) {
		recordEarly(cfg, started, err)
	}
	return s, cleanup, err
}

func assemble(ctx context.Context, cfg Config) (*Shim, func(), error) {
	var closers []func()
	cleanup := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	var extra []string
	if cfg.StateDir != "" {
		var err error
		if extra, err = handoff.Read(cfg.StateDir.Handoff()); err != nil {
			return nil, cleanup, err
		}
	}
	p, err := cfg.Profile(context.WithoutCancel(ctx), extra...)
	if err != nil {
		return nil, cleanup, err
	}
	svc, err := p.Service(cfg.Service)
	if err != nil {
		return nil, cleanup, err
	}
	// A shim whose PM2 daemon died leaves within a second (detach); wait for it.
	lctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	unlock, err := flock.Lock(lctx, p.StateDir.ShimLock(svc.Key))
	cancel()
	if errors.Is(err, flock.ErrUnavailable) { // supervising matters more than the guard
		fmt.Fprintf(cfg.Stderr, "[pm2dock] %s: warning: %v; running without the one-shim guard\n", svc.Key, err)
		unlock, err = func() {}, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, cleanup, ctx.Err()
		}
		return nil, cleanup, fmt.Errorf("%w: %s (lock in %s): %v", ErrBusy, svc.Key, p.StateDir, err)
	}
	closers = append(closers, unlock)
	// From here what the shim prints also goes to the file PM2 reads for
	// `pm2 logs --lines` (package pm2file; PM2 itself writes no file). Opened
	// under the lock: one shim writes it at a time.
	window := pm2file.Open(pm2file.Path(p.Logs.Dir, svc.Key), 0)
	closers = append(closers, func() { window.Close() })
	cfg.Stdout, cfg.Stderr = window.Tee(cfg.Stdout), window.Tee(cfg.Stderr)
	e, err := cfg.Engine(context.WithoutCancel(ctx), p, extra...)
	if err == nil {
		closers = append(closers, func() { e.Close() })
		_, err = e.Identify(context.WithoutCancel(ctx), 10*time.Second) // Docker or Podman
	}
	if err != nil {
		if exitcode.FromError(err) != exitcode.EngineDown { // a setting to fix: no retry
			return nil, cleanup, err
		}
		fmt.Fprintf(cfg.Stderr, "[pm2dock] %s: %v; retrying in %s\n", svc.Key, err, EngineRetryDelay)
		EngineDownWait(ctx) // PM2 restarts at once: the delay between tries is here
		return nil, cleanup, err
	}
	s := &Shim{
		Profile: p, Service: svc, Engine: e,
		Compose: &compose.Runner{Profile: p, Env: e.Endpoint.Environ(append(cfg.Environ, extra...))},
		Stdout:  cfg.Stdout, Stderr: cfg.Stderr, Now: cfg.Now, PM2: cfg.PM2,
	}
	store := &Store{Dir: p.Logs.Dir, Service: svc.Key.String(),
		Opts: logstore.WriterOptions{SegmentSize: p.Logs.SegmentSize}, Report: s.ReportStoreError}
	store.Open() // a store that cannot open is reported and retried; supervision goes on
	closers = append(closers, func() { store.Close() })
	s.Journal = journal.NewWriter(p.Logs.Dir, svc.Key.String(), func(err error) {
		if err != nil {
			fmt.Fprintf(cfg.Stderr, "[pm2dock] %s: %v (supervision goes on; events are recorded again once it can write)\n", svc.Key, err)
		} else {
			fmt.Fprintf(cfg.Stderr, "[pm2dock] %s: event journal: writing again\n", svc.Key)
		}
	})
	closers = append(closers, func() { s.Journal.Close() })
	s.History = figures.NewRecorder(p.Logs.Dir, svc.Key.String(), func(err error) {
		if err != nil {
			fmt.Fprintf(cfg.Stderr, "[pm2dock] %s: %v (supervision goes on; figures are recorded again once it can write)\n", svc.Key, err)
		} else {
			fmt.Fprintf(cfg.Stderr, "[pm2dock] %s: figures history: writing again\n", svc.Key)
		}
	})
	closers = append(closers, func() { s.History.Close() })
	policy := logstore.Policy{MaxAge: p.Logs.MaxAge, MaxSize: p.Logs.MaxSize}
	s.Sink, s.Prune = store, func(now time.Time) error {
		return errors.Join(store.Prune(policy, now), s.Journal.Prune(policy, now), s.History.Prune(policy, now))
	}
	if cfg.Alert != nil {
		s.Alert = cfg.Alert(p)
	}
	return s, cleanup, nil
}

// recordEarly writes why a shim failed before it could supervise (a broken
// profile after an edit, the engine down) into its state file, keeping the
// history there: the file PM2 shows (package pm2file) is found through the
// profile, and `start` and `status` read the state file.
func recordEarly(cfg Config, started time.Time, err error) {
	if cfg.StateDir == "" || profile.ValidKey(string(cfg.Service)) != nil {
		return // without a state folder, or with a name that is no file name, there is nowhere to write
	}
	dir := cfg.StateDir
	st, rerr := dir.Read(cfg.Service)
	if rerr != nil {
		st = &state.File{Service: cfg.Service}
	}
	st.ShimPID, st.ShimStartedAt, st.UpdatedAt = os.Getpid(), started, cfg.Now()
	st.ReadyAt, st.Container = nil, nil
	st.Fail(err)
	// This answers the pending start requests (their `start` reports it), but
	// leaves the markers: the shim that gets further still clears the history.
	st.Answer(dir.PendingResets(cfg.Service)...)
	if werr := dir.Write(st); werr != nil {
		fmt.Fprintf(cfg.Stderr, "[pm2dock] %s: %v\n", cfg.Service, werr)
	}
}
