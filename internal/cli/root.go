// Package cli wires pm2dock's commands. Main is the only entry point; it returns
// the exit code (package exitcode) and only cmd/pm2dock calls os.Exit.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/iostreams"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/service"
	"github.com/pm2dock/pm2dock/internal/snapshot"
)

// Main runs pm2dock with args and returns its exit code.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, NewFactory(iostreams.System()), args)
}

// Run executes args against f; tests call it with their own factory.
func Run(ctx context.Context, f *Factory, args []string) int {
	root, parsed := NewCmdRoot(f)
	root.SetArgs(args)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return int(exitcode.OK)
	}
	var coded *exitcode.Err
	if !*parsed && !errors.As(err, &coded) { // cobra failed before any command ran: unknown command
		err = exitcode.New(exitcode.Usage, err, "see `pm2dock --help`")
	}
	if ctx.Err() != nil && !errors.Is(err, context.Canceled) && !exitcode.IsPassed(err) { // an exec's command answered the interrupt itself
		err = exitcode.New(exitcode.Interrupted, err, "")
	}
	code := exitcode.FromError(err)
	if code != exitcode.JobDone && !exitcode.IsPassed(err) { // a job's shim ending well said so itself; an exec's command spoke for itself
		fmt.Fprintf(f.IO.ErrOut, "pm2dock: %v\n", err)
	}
	return int(code)
}

// NewCmdRoot builds the command tree. parsed becomes true once cobra has
// resolved a command and its flags, so Run can tell usage errors from failures.
func NewCmdRoot(f *Factory) (*cobra.Command, *bool) {
	parsed := new(bool)
	root := &cobra.Command{
		Use:   "pm2dock",
		Short: "Run Docker-backed services under PM2, next to your Node apps",
		Long: `pm2dock puts Docker-backed foundation services (PostgreSQL, an auth server, a
cache…) under PM2: start returns when they are healthy, pm2 restart restarts the
container gracefully, status joins PM2 with container health, logs are kept and
queryable by time.`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
		PersistentPreRun:  func(*cobra.Command, []string) { *parsed = true },
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitcode.New(exitcode.Usage, err, fmt.Sprintf("see `%s --help`", c.CommandPath()))
	})
	root.PersistentFlags().StringVarP(&f.File, "file", "f", "", "the profile (pm2dock.yaml); default: PM2DOCK_FILE, then the nearest one upward")
	root.PersistentFlags().StringVar(&f.Dir, "dir", "", "start profile discovery here instead of the current folder")
	root.PersistentFlags().StringSliceVar(&f.Services, "service", nil, "a `SERVICE`, as a flag (repeatable; for Nx targets, whose arguments are flags: nx run services:logs --service=db)")
	root.SetUsageTemplate(root.UsageTemplate() + "\n" + exitcode.Help())
	root.AddCommand(
		NewCmdVersion(f, nil),
		NewCmdDoctor(f, nil),
		NewCmdRun(f, nil),
		NewCmdEcosystem(f, nil),
		NewCmdStart(f, nil),
		NewCmdStop(f, nil),
		NewCmdRestart(f, nil),
		NewCmdStatus(f, nil),
		NewCmdInit(f, nil),
		NewCmdLogs(f, nil),
		NewCmdEvents(f, nil),
		NewCmdWait(f, nil),
		NewCmdDashboard(f, nil),
		NewCmdMCP(f, nil),
		NewCmdExec(f, nil),
		NewCmdReset(f, nil),
		NewCmdPull(f, nil),
		NewCmdSnapshot(f, nil),
		NewCmdRestore(f, nil),
		NewCmdSnapshots(f, nil),
		NewCmdNxTargets(f),
		NewCmdPrune(f, nil),
		NewCmdDeliverAlert(f),
	)
	for _, c := range root.Commands() { // SERVICE words complete from the profile
		if strings.Contains(c.Use, "SERVICE") {
			c.ValidArgsFunction = f.completeServices
		}
	}
	root.RegisterFlagCompletionFunc("service", f.completeServices)
	for _, c := range root.Commands() {
		switch c.Name() {
		case "restore", "snapshot": // SERVICE, then its snapshot names (a new NAME for snapshot: none)
			c.ValidArgsFunction = func(c *cobra.Command, args []string, s string) ([]cobra.Completion, cobra.ShellCompDirective) {
				if len(args) == 0 {
					return f.completeServices(c, args, s)
				}
				if c.Name() == "snapshot" || len(args) > 1 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return f.completeSnapshots(args[0]), cobra.ShellCompDirectiveNoFileComp
			}
		case "snapshots":
			c.RegisterFlagCompletionFunc("delete", func(c *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
				if len(args) != 1 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return f.completeSnapshots(args[0]), cobra.ShellCompDirectiveNoFileComp
			})
		}
	}
	return root, parsed
}

// completeSnapshots offers the names of svc's snapshots.
func (f *Factory) completeSnapshots(svc string) []cobra.Completion {
	dir, err := f.dir()
	if err != nil {
		return nil
	}
	p, err := profile.Peek(profile.Options{File: f.File, Dir: dir, Env: f.Environ()})
	if err != nil {
		return nil
	}
	ms, _ := snapshot.List(p.SnapshotDir, service.Key(svc))
	var out []cobra.Completion
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

// completeServices offers the profile's service keys not typed yet: from
// pm2dock.yaml alone when it lists them (no compose load on every Tab), else
// the compose project's services.
func (f *Factory) completeServices(c *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var keys []string
	if dir, err := f.dir(); err == nil {
		if p, err := profile.Peek(profile.Options{File: f.File, Dir: dir, Env: f.Environ()}); err == nil {
			keys = p.Keys
		}
	}
	if keys == nil {
		if p, err := f.ProfileView(c.Context()); err == nil {
			keys = service.Strings(p.Keys())
		}
	}
	var out []cobra.Completion
	for _, k := range keys {
		if !slices.Contains(args, k) && !slices.Contains(f.Services, k) {
			out = append(out, k)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// usageArgs wraps a cobra positional-args validator so its errors exit 2.
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		return exitcode.New(exitcode.Usage, v(c, args), fmt.Sprintf("see `%s --help`", c.CommandPath()))
	}
}
