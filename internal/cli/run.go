package cli

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/alert"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/service"
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
	cmd.Flags().StringVar(&opts.StateDir, "state-dir", "", "read the variables pm2dock start handed over from this `FOLDER` (the state folder)")
	return cmd
}

func runRun(ctx context.Context, f *Factory, opts *RunOptions) error {
	// PM2 reads the shim's stdout/stderr through pipes; if the daemon dies the
	// pipes break, and a write must fail (EPIPE) rather than kill the shim
	// before it can leave cleanly (see shim's detach).
	signal.Ignore(syscall.SIGPIPE)
	channel := shim.OpenPM2Channel() // before f.Environ() copies the environment
	s, cleanup, err := shim.New(ctx, shim.Config{
		Service: service.Key(opts.Service), StateDir: state.Dir(opts.StateDir), Environ: f.Environ(),
		Profile: f.Profile, Engine: f.Engine,
		Alert:  func(p *profile.Profile) func(alert.Alert) { return alertHook(f, p) },
		Stdout: f.IO.Out, Stderr: f.IO.ErrOut, Now: f.Now, PM2: channel,
	})
	defer cleanup()
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while waiting (engine down, another shim leaving): nothing runs
		}
		return err
	}
	if err := s.Run(ctx); err != nil {
		return fmt.Errorf("run %s: %w", opts.Service, err)
	}
	return nil
}
