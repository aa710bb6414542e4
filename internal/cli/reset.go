package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/stack"
)

// ResetOptions are the inputs of `pm2dock reset`.
type ResetOptions struct {
	Services []string
	Yes      bool
	DryRun   bool
}

// NewCmdReset gives services their own data fresh.
func NewCmdReset(f *Factory, runF func(*ResetOptions) error) *cobra.Command {
	opts := &ResetOptions{}
	cmd := &cobra.Command{
		Use:   "reset SERVICE... [--yes] [--dry-run]",
		Short: "Start services with fresh data: remove their container and the volumes only they mount, then start again",
		Long: `Reset each named service to fresh data: stop it through PM2 (and, first, the
running services that depend on it), remove its containers and the named
volumes only it mounts — never a bind mount, never an external volume, and a
volume another compose service mounts refuses the reset (exit 2) — then start
them all again and wait until healthy; jobs they wait on (migrations) run again,
as on a fresh stack. The journal records "reset by user": no failure, no crash
loop, no alert. On a terminal it lists what it removes and asks; otherwise it
needs --yes. --dry-run prints the plan and changes nothing.`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Services = f.services(args)
			if len(opts.Services) == 0 {
				return exitcode.New(exitcode.Usage, errors.New("reset: name the services to reset"), "pm2dock reset db (every service: name them all)")
			}
			if runF != nil {
				return runF(opts)
			}
			return resetRun(c.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask (needed without a terminal)")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print what would be removed and restarted, change nothing")
	return cmd
}

func resetRun(ctx context.Context, f *Factory, opts *ResetOptions) error {
	st, keys, closeEngine, err := prepare(ctx, f, opts.Services, false)
	if err != nil {
		return err
	}
	defer closeEngine()
	plan, err := st.PlanReset(ctx, keys)
	if err != nil {
		return err
	}
	printResetPlan(f, plan)
	if opts.DryRun {
		return nil
	}
	if !opts.Yes {
		if !f.IO.IsStdinTTY() || !f.IO.IsStdoutTTY() {
			return exitcode.New(exitcode.Usage, errors.New("reset removes data: without a terminal to ask on, it needs --yes"), "pm2dock reset "+strings.Join(opts.Services, " ")+" --yes")
		}
		fmt.Fprint(f.IO.Out, "Reset? [y/N] ")
		answer, _ := bufio.NewReader(f.IO.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return exitcode.Errorf(exitcode.Usage, "reset not confirmed: nothing changed")
		}
	}
	if err := writeStartFiles(f, st); err != nil {
		return err
	}
	results, err := st.Reset(ctx, plan)
	printStart(f, st.Profile, results, false)
	return summarize(f, results, err)
}

func printResetPlan(f *Factory, plan *stack.ResetPlan) {
	for _, k := range plan.Keys {
		fmt.Fprintf(f.IO.Out, "%s:\n", k)
		for _, c := range plan.Containers[k] {
			fmt.Fprintf(f.IO.Out, "  remove container %s (and its anonymous volumes)\n", c)
		}
		for _, v := range plan.Volumes[k] {
			fmt.Fprintf(f.IO.Out, "  remove volume %s\n", v)
		}
		for _, m := range plan.Kept[k] {
			fmt.Fprintf(f.IO.Out, "  keep %s\n", m)
		}
		if len(plan.Containers[k])+len(plan.Volumes[k]) == 0 {
			fmt.Fprintln(f.IO.Out, "  nothing to remove (no container or volume yet)")
		}
	}
	if len(plan.Dependents) > 0 {
		var ds []string
		for _, d := range plan.Dependents {
			ds = append(ds, d.String())
		}
		fmt.Fprintf(f.IO.Out, "stop first and start again: %s (they depend on it)\n", strings.Join(ds, ", "))
	}
}
