package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

// NewCmdStop stops services gracefully through PM2.
func NewCmdStop(f *Factory, runF func([]string) error) *cobra.Command {
	return &cobra.Command{
		Use:   "stop [SERVICE...]",
		Short: "Stop services gracefully through PM2",
		Long: `Stop the services (default: all) through PM2, dependents first. Returns when
each container has stopped (with its compose stop_grace_period). A container of a
service left running without a shim is stopped too.`,
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(args)
			}
			return stopRun(c.Context(), f, f.services(args))
		},
	}
}

func stopRun(ctx context.Context, f *Factory, services []string) error {
	st, keys, closeEngine, err := prepare(ctx, f, services, true)
	if err != nil {
		return err
	}
	defer closeEngine()
	results, err := st.Stop(ctx, keys)
	for _, r := range results {
		if r.Err == nil {
			fmt.Fprintf(f.IO.Out, "%s stopped (%s)\n", r.Key, r.Took.Round(10*time.Millisecond))
		}
	}
	return summarize(f, results, err)
}
