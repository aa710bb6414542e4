package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/compose"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/flock"
	"github.com/pm2dock/pm2dock/internal/handoff"
	"github.com/pm2dock/pm2dock/internal/logstore"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/shim"
	"github.com/pm2dock/pm2dock/internal/state"
)

// RunOptions are the inputs of `pm2dock run` (the shim).
type RunOptions struct {
	Service  string
	StateDir string // where handoff.env is, known before the profile loads
}

// NewCmdRun is the shim PM2 executes for one service.
func NewCmdRun(f *Factory, runF func(*RunOptions) error) *cobra.Command {
	opts := &RunOptions{}
	cmd := &cobra.Command{
		Use:   "run SERVICE",
		Short: "Supervise one service's container (what PM2 runs; see `pm2dock ecosystem`)",
		Long: `Run the shim of one service: preflight (env, image, ports), start or adopt its
container, stream its logs, track its health, and exit when it exits. PM2 runs
this; you normally do not. SIGINT/SIGTERM stop the container gracefully (exit 0);
an unexpected container exit is exit 1, so PM2 restarts it.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Service = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runRun(c.Context(), f, opts)
		},
	}
	cmd.Flags().StringVar(&opts.StateDir, "state-dir", "", "read the variables `pm2dock start` handed over from this folder")
	return cmd
}

func runRun(ctx context.Context, f *Factory, opts *RunOptions) error {
	// PM2 reads the shim's stdout/stderr through pipes; if the daemon dies the
	// pipes break, and a write must fail (EPIPE) rather than kill the shim
	// before it can leave cleanly (see shim's detach).
	signal.Ignore(syscall.SIGPIPE)
	started := f.Now()
	s, cleanup, err := newShim(ctx, f, opts)
	defer cleanup()
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while waiting (engine down, another shim leaving): nothing runs
		}
		if !errors.Is(err, errShimBusy) { // the state file is the other shim's to write
			recordEarly(f, opts, started, err)
		}
		return err
	}
	if err := s.Run(ctx); err != nil {
		return fmt.Errorf("run %s: %w", opts.Service, err)
	}
	return nil
}

var errShimBusy = errors.New("another shim of this service still runs")

// newShim loads what the shim needs, in an order that matters: the hand-over
// file before the profile (which may need its variables), the shim's lifetime
// lock before anything is written (one shim per service, ever), the engine
// last (when it is down the shim waits, then exits 7 for PM2 to retry).
func newShim(ctx context.Context, f *Factory, opts *RunOptions) (*shim.Shim, func(), error) {
	var closers []func()
	cleanup := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	var extra []string
	if opts.StateDir != "" {
		var err error
		if extra, err = handoff.Read(opts.StateDir); err != nil {
			return nil, cleanup, err
		}
	}
	p, err := f.Profile(context.WithoutCancel(ctx), extra...)
	if err != nil {
		return nil, cleanup, err
	}
	svc, err := p.Service(opts.Service)
	if err != nil {
		return nil, cleanup, err
	}
	// A shim whose PM2 daemon died leaves within a second (detach); wait for it.
	lctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	unlock, err := flock.Lock(lctx, filepath.Join(p.StateDir, "."+svc.Key+".shim"))
	cancel()
	if errors.Is(err, flock.ErrUnavailable) { // supervising matters more than the guard
		fmt.Fprintf(f.IO.ErrOut, "[pm2dock] %s: warning: %v; running without the one-shim guard\n", svc.Key, err)
		unlock, err = func() {}, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, cleanup, ctx.Err()
		}
		return nil, cleanup, fmt.Errorf("%w: %s (lock in %s): %v", errShimBusy, svc.Key, p.StateDir, err)
	}
	closers = append(closers, unlock)
	e, err := f.Engine(context.WithoutCancel(ctx))
	if err != nil {
		fmt.Fprintf(f.IO.ErrOut, "[pm2dock] %s: %v; retrying in %s\n", svc.Key, err, shim.EngineRetryDelay)
		shim.EngineDownWait(ctx) // PM2 restarts at once: the delay between tries is here
		return nil, cleanup, err
	}
	closers = append(closers, func() { e.Close() })
	s := &shim.Shim{
		Profile: p, Service: svc, Engine: e,
		Compose: &compose.Runner{Profile: p, Env: append(f.Environ(), extra...)},
		Stdout:  f.IO.Out, Stderr: f.IO.ErrOut, Now: f.Now,
	}
	store := &shim.Store{Dir: p.Logs.Dir, Service: svc.Key,
		Opts: logstore.WriterOptions{SegmentSize: p.Logs.SegmentSize}, Report: s.ReportStoreError}
	store.Open() // a store that cannot open is reported and retried; supervision goes on
	closers = append(closers, func() { store.Close() })
	policy := logstore.Policy{MaxAge: p.Logs.MaxAge, MaxSize: p.Logs.MaxSize}
	s.Sink, s.Prune = store, func(now time.Time) error { return store.Prune(policy, now) }
	s.Alert = alertHook(f, p)
	return s, cleanup, nil
}

// recordEarly writes why a shim failed before it could supervise (a broken
// profile after an edit, the engine down) into its state file, keeping the
// history there: PM2's own log files are /dev/null, and `start` and `status`
// read the state file.
func recordEarly(f *Factory, opts *RunOptions, started time.Time, err error) {
	if opts.StateDir == "" || profile.ValidKey(opts.Service) != nil {
		return // without a state folder, or with a name that is no file name, there is nowhere to write
	}
	st, rerr := state.Read(opts.StateDir, opts.Service)
	if rerr != nil {
		st = &state.File{Service: opts.Service}
	}
	code := exitcode.FromError(err)
	c := int(code)
	st.Phase, st.ShimPID, st.ShimStartedAt, st.UpdatedAt = state.Failed, os.Getpid(), started, f.Now()
	if code == exitcode.Error || code == exitcode.EngineDown {
		st.Phase = state.Exited // PM2 restarts it
	}
	st.ExitCode, st.Reason, st.Hint, st.ReadyAt, st.Container = &c, err.Error(), "", nil, nil
	// This answers the pending start requests (their `start` reports it), but
	// leaves the markers: the shim that gets further still clears the history.
	st.Answer(state.PendingResets(opts.StateDir, opts.Service)...)
	var ce *exitcode.Err
	if errors.As(err, &ce) {
		st.Reason, st.Hint = ce.Err.Error(), ce.Hint
	}
	if werr := state.Write(opts.StateDir, st); werr != nil {
		fmt.Fprintf(f.IO.ErrOut, "[pm2dock] %s: %v\n", opts.Service, werr)
	}
}
