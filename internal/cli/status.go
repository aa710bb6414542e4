package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/endpoint"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/journal"
	"github.com/pm2dock/pm2dock/internal/pm2"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/state"
	"github.com/pm2dock/pm2dock/internal/status"
)

// StatusOptions are the inputs of `pm2dock status`.
type StatusOptions struct {
	Services []string
	JSON     bool
	Watch    bool
	Interval time.Duration // with Watch: redraw at least this often
	Check    bool
	Verbose  bool
}

// NewCmdStatus shows PM2 state joined with container health for each service.
func NewCmdStatus(f *Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{}
	cmd := &cobra.Command{
		Use:   "status [SERVICE...]",
		Short: "One view of every service: PM2 state, container health, uptime, restarts, last failure",
		Long: `Show, for each service (default: all), the state pm2dock derives (healthy,
running, starting, unhealthy, stopped, failed, crash-loop, unknown, and completed
for a one-shot job that ran to its end), PM2's status,
pid and restart count, the container's health, uptime and ports, and the last
failure. A table on a terminal, tab-separated lines when piped, --json for the
contract of docs/contracts.md. --check exits 6 unless every selected service is healthy (or
running without a healthcheck, or a completed job). Exit 7 when the engine does not answer, 8 when
PM2 does not (what is known is still printed).`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Services = f.services(args)
			if opts.Interval <= 0 {
				return exitcode.Errorf(exitcode.Usage, "--interval %s: want a positive duration (1s, 500ms)", opts.Interval)
			}
			if runF != nil {
				return runF(opts)
			}
			return statusRun(c.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the rows as JSON")
	cmd.Flags().BoolVar(&opts.Watch, "watch", false, "redraw on every change (PM2, engine or shim) and every --interval, until interrupted")
	cmd.Flags().DurationVar(&opts.Interval, "interval", time.Second, "with --watch: redraw at least this often (uptimes move)")
	cmd.Flags().BoolVar(&opts.Check, "check", false, "exit 6 unless every selected service is healthy")
	cmd.Flags().BoolVarP(&opts.Verbose, "verbose", "v", false, "also show the last events, and say where PM2's view came from (RPC socket or pm2 jlist)")
	return cmd
}

// viewTarget loads the profile as a view (status, wait) and the services
// asked (default: all), each checked to exist.
func viewTarget(ctx context.Context, f *Factory, asked []string) (*profile.Profile, []service.Key, error) {
	p, err := f.ProfileView(ctx)
	if err != nil {
		return nil, nil, err
	}
	keys, err := selected(p, asked)
	if err != nil {
		return nil, nil, err
	}
	return p, keys, nil
}

// statusSources are the views status joins, without the engine (the caller
// connects it).
func statusSources(f *Factory, p *profile.Profile) status.Sources {
	return status.Sources{Profile: p, PM2Home: pm2.Home(f.Getenv), Now: f.Now,
		CLI: func() (*pm2.CLI, error) { return f.PM2(p.Dir) }, Connect: f.connector(p)}
}

func statusRun(ctx context.Context, f *Factory, opts *StatusOptions) error {
	p, keys, err := viewTarget(ctx, f, opts.Services)
	if err != nil {
		return err
	}
	src := statusSources(f, p)
	e, engineErr := f.Engine(ctx, p)
	if engineErr == nil {
		defer e.Close()
		src.Engine = e
	}
	engineLine := "" // status -v says which engine, and how it was chosen
	ep, err := endpoint.Endpoint{}, engineErr
	if e != nil {
		ep = e.Endpoint
	} else if exitcode.FromError(engineErr) == exitcode.EngineDown { // resolved, but no answer
		ep, err = f.Endpoint(p)
	}
	if err == nil {
		engineLine = ep.String()
		if ep.Warning != "" {
			engineLine += " (warning: " + ep.Warning + ")"
		}
		warnOtherEngine(f, p, keys, ep)
	}
	show := func(rep status.Report) error {
		rep.Engine = engineLine
		if opts.Watch && f.IO.IsStdoutTTY() {
			fmt.Fprint(f.IO.Out, "\033[H\033[2J")
		}
		if err := renderStatus(f, opts, rep); err != nil {
			return err
		}
		return renderLastEvents(f, opts, p.Logs.Dir, keys)
	}
	if opts.Watch {
		return status.Watch(ctx, src, keys, opts.Interval, engineErr, show)
	}
	rep := status.Collect(ctx, src, keys)
	rep.EngineErr = engineErr
	if err := show(rep); err != nil {
		return err
	}
	return statusErr(rep, opts.Check)
}

func renderStatus(f *Factory, opts *StatusOptions, rep status.Report) error {
	if opts.Verbose {
		fmt.Fprintf(f.IO.ErrOut, "PM2 view from: %s\n", rep.PM2Source)
		if rep.Engine != "" {
			fmt.Fprintf(f.IO.ErrOut, "Engine: %s\n", rep.Engine)
		}
	}
	switch {
	case opts.JSON:
		return status.JSON(f.IO.Out, rep.Rows)
	case f.IO.IsStdoutTTY():
		return status.Table(f.IO.Out, rep.Rows, f.Now())
	}
	return status.Lines(f.IO.Out, rep.Rows)
}

// lastEvents is how many events `status -v` shows.
const lastEvents = 10

// renderLastEvents prints, with -v and not --json, the last events of the
// services from their journals (docs/contracts.md#event-journal).
func renderLastEvents(f *Factory, opts *StatusOptions, logsDir string, keys []service.Key) error {
	if !opts.Verbose || opts.JSON {
		return nil
	}
	evs, err := journal.Last(logsDir, service.Strings(keys), lastEvents)
	if err != nil {
		fmt.Fprintf(f.IO.ErrOut, "event journal: %v\n", err)
		return nil
	}
	fmt.Fprintf(f.IO.Out, "\nLast events (pm2dock events --since 1h for more):\n")
	if len(evs) == 0 {
		fmt.Fprintln(f.IO.Out, "  none recorded")
	}
	for _, e := range evs {
		fmt.Fprintln(f.IO.Out, "  "+e.Text())
	}
	return nil
}

func statusErr(rep status.Report, check bool) error {
	switch {
	case rep.EngineErr != nil:
		return rep.EngineErr
	case rep.PM2Err != nil:
		return exitcode.New(exitcode.PM2Missing, rep.PM2Err, "check PM2: `pm2 ping`")
	}
	if !check {
		return nil
	}
	var bad []string
	for _, r := range rep.Rows {
		if !r.Verdict.Ready() {
			bad = append(bad, r.Name.String()+" is "+string(r.State))
		}
	}
	if len(bad) > 0 {
		return exitcode.Errorf(exitcode.NotHealthy, "not healthy: %v", bad)
	}
	return nil
}

// warnOtherEngine says, on stderr, when shims of keys talk to another engine
// than the one this command resolved: what follows is that other engine's
// view, and the services would look gone.
func warnOtherEngine(f *Factory, p *profile.Profile, keys []service.Key, ep endpoint.Endpoint) {
	byEngine := map[string][]string{}
	var engines []string
	for _, k := range keys {
		st, err := p.StateDir.Read(k)
		if err != nil || st == nil || st.Engine == "" || st.Engine == ep.Host {
			continue
		}
		switch st.Phase {
		case state.Stopped, state.Failed, state.Completed:
			continue // no shim talks to it now
		}
		if byEngine[st.Engine] == nil {
			engines = append(engines, st.Engine)
		}
		byEngine[st.Engine] = append(byEngine[st.Engine], k.String())
	}
	for _, host := range engines {
		fmt.Fprintf(f.IO.ErrOut, "pm2dock: warning: the shims of %s talk to the engine at %s, but this command asked %s; what follows is that engine's view\n"+
			"  → run it with the environment they were started with (DOCKER_HOST, DOCKER_CONTEXT), or pin engine.context in pm2dock.yaml\n",
			strings.Join(byEngine[host], ", "), host, ep)
	}
}
