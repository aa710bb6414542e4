package cli

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/buildinfo"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/iostreams"
	"github.com/pm2dock/pm2dock/internal/mcpserver"
	"github.com/pm2dock/pm2dock/internal/status"
)

// MCPOptions are the inputs of `pm2dock mcp`.
type MCPOptions struct {
	AllowControl bool
	AllowData    bool
}

// NewCmdMCP serves the Model Context Protocol on stdio for coding agents.
func NewCmdMCP(f *Factory, runF func(*MCPOptions) error) *cobra.Command {
	opts := &MCPOptions{}
	cmd := &cobra.Command{
		Use:   "mcp [--allow-control] [--allow-data]",
		Short: "Serve status, logs, events and wait to a coding agent (Model Context Protocol on stdio)",
		Long: `Serve the Model Context Protocol on stdin/stdout for a coding agent (Claude
Code, Cursor, VS Code, Codex…): the tools status, logs, events and wait, and with
--allow-control also start, restart and stop — the same code paths as the
commands — and with --allow-data also snapshot, restore, reset and pull, the
tools that change data — for the workspace found as every command finds it (-f, --dir,
PM2DOCK_FILE, the engine, PM2_HOME). Read-only by default. logs and events
answers keep the newest lines within max_bytes (default 16384) and say how many
were left out. No network listener. ` + "`pm2dock init --mcp`" + ` adds it to .mcp.json and
.vscode/mcp.json (docs/contracts.md#mcp-server).`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return mcpRun(c.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.AllowControl, "allow-control", false, "also offer the tools start, restart and stop")
	cmd.Flags().BoolVar(&opts.AllowData, "allow-data", false, "also offer the tools snapshot, restore, reset and pull (they change data; the flag is the consent)")
	return cmd
}

func mcpRun(ctx context.Context, f *Factory, opts *MCPOptions) error {
	// A workspace without a profile or compose file fails here, once, with
	// the command's own error: not on every call of an agent that cannot see why.
	if _, err := f.ProfileView(ctx); err != nil {
		return err
	}
	s := mcpserver.New(&mcpBackend{f: f}, mcpserver.Options{Version: buildinfo.String(), AllowControl: opts.AllowControl, AllowData: opts.AllowData})
	err := s.Run(ctx, &mcp.StdioTransport{})
	if ctx.Err() != nil { // interrupted, or the client closed stdin: a normal end
		return nil
	}
	return err
}

// mcpBackend answers the tools with the commands' own code paths, each call
// on a copy of the factory whose output goes to buffers (stdout is the
// protocol's).
type mcpBackend struct{ f *Factory }

func (b *mcpBackend) factory() (*Factory, *iostreams.SyncBuffer, *iostreams.SyncBuffer) {
	g := *b.f
	io, _, _ := iostreams.Test()
	out, errOut := &iostreams.SyncBuffer{}, &iostreams.SyncBuffer{}
	io.Out, io.ErrOut = out, errOut
	g.IO, g.Services = io, nil
	return &g, out, errOut
}

func (b *mcpBackend) Status(ctx context.Context, services []string) (mcpserver.Status, error) {
	g, _, _ := b.factory()
	p, keys, err := viewTarget(ctx, g, services)
	if err != nil {
		return mcpserver.Status{}, err
	}
	src := statusSources(g, p)
	e, engineErr := g.Engine(ctx, p)
	if engineErr == nil {
		defer e.Close()
		src.Engine = e
	}
	rep := status.Collect(ctx, src, keys)
	var rows bytes.Buffer
	if err := status.JSON(&rows, rep.Rows); err != nil {
		return mcpserver.Status{}, err
	}
	out := mcpserver.Status{Rows: bytes.TrimSpace(rows.Bytes())}
	if engineErr != nil {
		out.Verdicts = append(out.Verdicts, "engine: "+oneLine(engineErr))
	}
	if rep.PM2Err != nil {
		out.Verdicts = append(out.Verdicts, "PM2: "+oneLine(rep.PM2Err))
	}
	for _, r := range rep.Rows {
		out.Verdicts = append(out.Verdicts, verdictLine(r))
	}
	return out, nil
}

// verdictLine is a row's verdict as a person reads it.
func verdictLine(r status.Row) string {
	v := r.Verdict
	switch {
	case v.Ready():
		return fmt.Sprintf("%s: %s", r.Name, v.State)
	case v.Done:
		line := fmt.Sprintf("%s: %s (exit %d): %s", r.Name, v.State, v.Code, v.Reason)
		if v.Hint != "" {
			line += " — " + v.Hint
		}
		return line
	}
	return fmt.Sprintf("%s: %s", r.Name, v.Reason)
}

func oneLine(err error) string {
	return string(bytes.ReplaceAll([]byte(err.Error()), []byte("\n"), []byte(" ")))
}

func (b *mcpBackend) Logs(ctx context.Context, q mcpserver.Window, w *mcpserver.Budget) error {
	g, _, _ := b.factory()
	g.IO.Out = w
	return logsRun(ctx, g, &LogsOptions{Services: q.Services, Since: q.Since, Until: q.Until, Level: q.Level, Grep: q.Grep, Tail: q.Tail})
}

func (b *mcpBackend) Events(ctx context.Context, q mcpserver.Window, w *mcpserver.Budget) error {
	g, _, _ := b.factory()
	g.IO.Out = w
	return eventsRun(ctx, g, &EventsOptions{Services: q.Services, Since: q.Since, Until: q.Until, Tail: q.Tail})
}

func (b *mcpBackend) Wait(ctx context.Context, services []string, timeout time.Duration) (mcpserver.Status, error) {
	g, _, _ := b.factory()
	if err := waitRun(ctx, g, &WaitOptions{Services: services, Timeout: timeout}); err != nil {
		return mcpserver.Status{}, err
	}
	return b.Status(ctx, services)
}

func (b *mcpBackend) Control(ctx context.Context, verb string, services []string) (string, error) {
	g, out, errOut := b.factory()
	var err error
	switch verb {
	case "start", "restart":
		err = startRun(ctx, g, &StartOptions{Services: services, Restart: verb == "restart"})
	case "stop":
		err = stopRun(ctx, g, services)
	default:
		return "", exitcode.Errorf(exitcode.Usage, "no control %q", verb)
	}
	return collected(out, errOut), err
}

func (b *mcpBackend) Data(ctx context.Context, verb string, in mcpserver.DataIn) (string, error) {
	g, out, errOut := b.factory()
	var err error
	switch verb {
	case "snapshot":
		err = snapshotRun(ctx, g, in.Service, in.Name)
	case "restore":
		if in.Service == "" || in.Name == "" {
			return "", exitcode.Errorf(exitcode.Usage, "restore: name the service and the snapshot (service, name)")
		}
		err = restoreRun(ctx, g, &RestoreOptions{Service: in.Service, Name: in.Name, Yes: true})
	case "reset":
		if len(in.Services) == 0 {
			return "", exitcode.Errorf(exitcode.Usage, "reset: name the services to reset (services)")
		}
		err = resetRun(ctx, g, &ResetOptions{Services: in.Services, Yes: true})
	case "pull":
		err = pullRun(ctx, g, &PullOptions{Services: in.Services, Restart: in.Restart})
	default:
		return "", exitcode.Errorf(exitcode.Usage, "no data tool %q", verb)
	}
	return collected(out, errOut), err
}

// collected is what a command printed: its results, then its progress.
func collected(out, errOut *iostreams.SyncBuffer) string {
	if errOut.Len() == 0 {
		return out.String()
	}
	return out.String() + "\n" + errOut.String()
}
