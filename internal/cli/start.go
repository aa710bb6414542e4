package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/ecosystem"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/handoff"
	"github.com/pm2dock/pm2dock/internal/pm2"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/render"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/stack"
	"github.com/pm2dock/pm2dock/internal/verdict"
)

// StartOptions are the inputs of `pm2dock start` and `pm2dock restart`.
type StartOptions struct {
	Services []string
	Restart  bool
}

// NewCmdStart registers services with PM2, starts them and waits until healthy.
func NewCmdStart(f *Factory, runF func(*StartOptions) error) *cobra.Command {
	return newStartLike(f, runF, false, "start [SERVICE...]",
		"Start services through PM2 and wait until they are healthy",
		`Start the services (default: all of the profile) through PM2, their compose
depends_on first (waiting per condition), in parallel where dependencies allow,
and return when every one is healthy (or running, without a healthcheck). A
service already healthy is left alone. On failure the shim's reason and exit code
are reported and the PM2 app is left stopped, not looping.`)
}

func newStartLike(f *Factory, runF func(*StartOptions) error, restart bool, use, short, long string) *cobra.Command {
	opts := &StartOptions{Restart: restart}
	return &cobra.Command{
		Use: use, Short: short, Long: long,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Services = f.services(args)
			if runF != nil {
				return runF(opts)
			}
			return startRun(c.Context(), f, opts)
		},
	}
}

// prepare loads the profile and everything start, stop and restart share.
// stop loads it as a view (see profile.Options.View): a stack must stay
// stoppable while its compose file is mid-edit.
func prepare(ctx context.Context, f *Factory, asked []string, view bool) (*stack.Stack, []service.Key, func(), error) {
	p, err := f.loadProfile(ctx, view)
	if err != nil {
		return nil, nil, nil, err
	}
	keys, err := selected(p, asked)
	if err != nil {
		return nil, nil, nil, err
	}
	cli, err := f.PM2(p.Dir)
	if err != nil {
		return nil, nil, nil, err
	}
	if !view { // start and restart may have to start PM2's daemon
		if err := pm2.CheckHomeForDaemon(pm2.Home(f.Getenv)); err != nil {
			return nil, nil, nil, err
		}
	}
	e, err := f.Engine(ctx, p)
	if err != nil {
		return nil, nil, nil, err
	}
	// The shims PM2 starts keep this engine whatever happens to the shell's
	// choice later (`docker context use`): PM2 keeps an app's environment.
	cli.Env = e.Endpoint.Environ(cli.Env)
	progress := func(key service.Key, msg string) { fmt.Fprintf(f.IO.Progress(), "%s: %s\n", key, msg) }
	st := &stack.Stack{Profile: p, PM2: &pm2.Driver{CLI: cli, Home: pm2.Home(f.Getenv)}, Engine: e,
		Ecosystem: ecosystem.Path(p), Now: f.Now, Progress: progress}
	return st, keys, func() { e.Close() }, nil
}

func startRun(ctx context.Context, f *Factory, opts *StartOptions) error {
	st, keys, closeEngine, err := prepare(ctx, f, opts.Services, false)
	if err != nil {
		return err
	}
	defer closeEngine()
	p := st.Profile
	if err := writeStartFiles(f, st); err != nil {
		return err
	}
	for _, k := range keys {
		if s, _ := p.Service(k); s != nil {
			if w := s.RestartNote(); w != "" {
				fmt.Fprintf(f.IO.ErrOut, "%s: note: %s\n", k, w)
			}
		}
	}
	force := map[service.Key]bool{}
	if opts.Restart {
		for _, k := range keys {
			force[k] = true
		}
	}
	results, err := st.Start(ctx, keys, force)
	printStart(f, p, results, opts.Restart)
	return summarize(f, results, err)
}

// writeStartFiles writes what the shims PM2 starts read: the ecosystem and
// the secrets handoff (docs/architecture.md#secrets-handoff).
func writeStartFiles(f *Factory, st *stack.Stack) error {
	p := st.Profile
	eco, err := buildEcosystem(f, p, p.Keys())
	if err != nil {
		return err
	}
	if err := ecosystem.Write(st.Ecosystem, eco); err != nil {
		return err
	}
	return handoff.Write(p.StateDir.Handoff(), p.ReferencedVars(), f.Environ())
}

// summarize prints every failure when there are several and returns one error
// with the first failure's exit code; a single failure is returned as it is.
func summarize(f *Factory, results []stack.Result, first error) error {
	var failed []stack.Result
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, r)
		}
	}
	if len(failed) < 2 {
		return first
	}
	for _, r := range failed {
		fmt.Fprintf(f.IO.ErrOut, "pm2dock: %v\n", r.Err)
	}
	return exitcode.New(exitcode.FromError(first), fmt.Errorf("%d services failed (see above)", len(failed)), "")
}

func printStart(f *Factory, p *profile.Profile, results []stack.Result, restart bool) {
	tw := render.Table(f.IO.Out)
	fmt.Fprintln(tw, "NAME\tSTATE\tPM2 PID\tCONTAINER\tPORTS\tTOOK")
	for _, r := range results {
		pid, cid := "-", "-"
		if r.PM2PID > 0 && r.Err == nil {
			pid = fmt.Sprint(r.PM2PID)
		}
		if r.Container != nil {
			cid = render.ShortID(r.Container.ID)
		}
		took := "-"
		if r.Took > 0 {
			took = r.Took.Round(10 * time.Millisecond).String()
		}
		ports := portsOf(p, r.Key)
		if r.Container != nil && len(r.Container.Ports) > 0 {
			ports = strings.Join(r.Container.Ports, ",") // as bound: an ephemeral host port resolved
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Key, stateWord(r), pid, cid, ports, took)
	}
	tw.Flush()
	for _, r := range results {
		if restart && r.Outcome == stack.Restarted && r.Container != nil {
			fmt.Fprintf(f.IO.Out, "%s restarted: PM2 pid %d → %d, container %s started %s\n",
				r.Key, r.OldPID, r.PM2PID, render.ShortID(r.Container.ID), r.Container.StartedAt.Format(time.RFC3339Nano))
		}
	}
}

// stateWord is the STATE column of start's summary: the verdict's word
// (status's, from package verdict), "failed" where a start ended before a
// verdict (a dependency failed, PM2 refused, interrupted), and "(already)"
// for a service a start found ready and left alone.
func stateWord(r stack.Result) string {
	v := r.Verdict
	switch {
	case r.Err != nil && !v.Done:
		return string(verdict.Failed)
	case r.Outcome == stack.AlreadyHealthy && v.State != verdict.Running:
		return string(v.State) + " (already)"
	}
	return string(v.State)
}

// portsOf is what the compose file publishes, for a service whose shim
// recorded no container.
func portsOf(p *profile.Profile, key service.Key) string {
	s, err := p.Service(key)
	if err != nil {
		return "-"
	}
	var out []string
	for _, pc := range s.Spec.Ports {
		if pc.Published == "" {
			continue
		}
		out = append(out, render.Port(pc.HostIP, pc.Published, pc.Target, pc.Protocol))
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ",")
}
