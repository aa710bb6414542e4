package cli

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/compose"
	"github.com/pm2dock/pm2dock/internal/handoff"
	"github.com/pm2dock/pm2dock/internal/logstore"
	"github.com/pm2dock/pm2dock/internal/shim"
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
	var extra []string
	if opts.StateDir != "" {
		var err error
		if extra, err = handoff.Read(opts.StateDir); err != nil {
			return err
		}
	}
	p, err := f.Profile(context.WithoutCancel(ctx), extra...)
	if err != nil {
		return err
	}
	svc, err := p.Service(opts.Service)
	if err != nil {
		return err
	}
	e, err := f.Engine(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	defer e.Close()
	s := &shim.Shim{
		Profile: p, Service: svc, Engine: e,
		Compose: &compose.Runner{Profile: p, Env: append(f.Environ(), extra...)},
		Stdout:  f.IO.Out, Stderr: f.IO.ErrOut, Now: f.Now,
	}
	store := &shim.Store{Dir: p.Logs.Dir, Service: svc.Key,
		Opts: logstore.WriterOptions{SegmentSize: p.Logs.SegmentSize}, Report: s.ReportStoreError}
	store.Open() // a store that cannot open is reported and retried; supervision goes on
	defer store.Close()
	policy := logstore.Policy{MaxAge: p.Logs.MaxAge, MaxSize: p.Logs.MaxSize}
	s.Sink, s.Prune = store, func(now time.Time) error { return store.Prune(policy, now) }
	s.Alert = alertHook(f, p)
	if err := s.Run(ctx); err != nil {
		return fmt.Errorf("run %s: %w", svc.Key, err)
	}
	return nil
}
