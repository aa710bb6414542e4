package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/status"
)

// WaitOptions are the inputs of `pm2dock wait`.
type WaitOptions struct {
	Services []string
	Timeout  time.Duration // 0: the largest start_timeout of the services
}

// NewCmdWait waits until services started by anyone (pm2 start, a CI step)
// are healthy.
func NewCmdWait(f *Factory, runF func(*WaitOptions) error) *cobra.Command {
	opts := &WaitOptions{}
	cmd := &cobra.Command{
		Use:   "wait [SERVICE...] [--timeout D]",
		Short: "Wait until services are healthy (a job: completed), however they were started",
		Long: `Wait until every service (default: all) is healthy, or running without a
healthcheck, or — a one-shot job — completed, and exit 0. It starts nothing: it
is for services started by ` + "`pm2 start ecosystem.config.js`" + ` and for CI steps.
A service that fails ends the wait at once with the shim's exit code (3 image,
4 port, 5 crash loop, 6 not healthy, 2 configuration) and its reason; a failure
PM2 restarts from (exit 1) is waited through. At --timeout (default: the
largest start_timeout of the services) it exits 6 naming those not ready; 7 or
8 when the engine or PM2 did not answer by then.`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Services = f.services(args)
			if opts.Timeout < 0 {
				return exitcode.Errorf(exitcode.Usage, "--timeout %s: want a positive duration (90s, 5m)", opts.Timeout)
			}
			if runF != nil {
				return runF(opts)
			}
			return waitRun(c.Context(), f, opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 0, "give up after this long (default: the largest start_timeout)")
	return cmd
}

func waitRun(ctx context.Context, f *Factory, opts *WaitOptions) error {
	p, keys, err := viewTarget(ctx, f, opts.Services)
	if err != nil {
		return err
	}
	timeout := opts.Timeout
	for _, k := range keys {
		if s, _ := p.Service(k); opts.Timeout == 0 && s.StartTimeout > timeout {
			timeout = s.StartTimeout
		}
	}
	src := statusSources(f, p)
	e, engineErr := f.Engine(ctx, p)
	if engineErr == nil {
		defer e.Close()
		src.Engine = e
	}
	// Each round asks the engine again if it was down (status.Watch), so an
	// engine that comes up during the wait is waited for, not an exit 7.
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var verdict error
	decided := errors.New("decided")
	err = status.Watch(wctx, src, keys, time.Second, engineErr, func(rep status.Report) error {
		if done, err := waitVerdict(rep, rep.EngineErr == nil); done {
			verdict = err
			return decided
		}
		return nil
	})
	switch {
	case err == decided:
		return verdict
	case err != nil:
		return err
	case ctx.Err() != nil: // interrupted
		return ctx.Err()
	}
	// The deadline: the verdict comes from one more look that the deadline
	// does not cut (a look cut short would blame PM2 or the engine).
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer fcancel()
	if src.Engine == nil && src.Connect != nil {
		if e, err := src.Connect(fctx, time.Second); err == nil {
			defer e.Close()
			src.Engine = e
		}
	}
	rep := status.Collect(fctx, src, keys)
	if done, err := waitVerdict(rep, src.Engine != nil); done {
		return err
	}
	return waitTimeout(rep, src.Engine != nil, timeout)
}

// waitVerdict decides a round from the rows' verdicts: every service ready
// (done, nil), one failed for good (done, its verdict's error), or not yet.
func waitVerdict(rep status.Report, engine bool) (bool, error) {
	ready := engine && rep.PM2Err == nil
	for _, r := range rep.Rows {
		switch {
		case r.Verdict.Done && !r.Verdict.Ready():
			return true, r.Verdict.Err()
		case !r.Verdict.Ready():
			ready = false
		}
	}
	return ready, nil
}

func waitTimeout(rep status.Report, engine bool, timeout time.Duration) error {
	switch {
	case !engine:
		return exitcode.Errorf(exitcode.EngineDown, "the Docker engine did not answer within %s", timeout)
	case rep.PM2Err != nil:
		return exitcode.New(exitcode.PM2Missing, fmt.Errorf("PM2 did not answer within %s: %w", timeout, rep.PM2Err), "check PM2: `pm2 ping`")
	}
	var bad []string
	for _, r := range rep.Rows {
		if !r.Verdict.Ready() {
			bad = append(bad, fmt.Sprintf("%s is %s (PM2 %s)", r.Name, r.State, r.PM2.Status))
		}
	}
	return exitcode.New(exitcode.NotHealthy, fmt.Errorf("not ready after %s: %v", timeout, bad),
		"a service not registered or stopped is not started by wait: pm2 start ecosystem.config.js, or pm2dock start")
}
