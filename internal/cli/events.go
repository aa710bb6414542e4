package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/journal"
	"github.com/pm2dock/pm2dock/internal/profile"
)

// EventsOptions are the inputs of `pm2dock events`.
type EventsOptions struct {
	Services     []string
	Since, Until string
	Tail         int
	Follow       bool
	JSON         bool
}

// NewCmdEvents reads the services' event journals.
func NewCmdEvents(f *Factory, runF func(*EventsOptions) error) *cobra.Command {
	opts := &EventsOptions{}
	cmd := &cobra.Command{
		Use:   "events [SERVICE...]",
		Short: "Show what happened to services, by time: starts, health changes, exits, restarts, crash loops, stops",
		Long: `Show the events the shims recorded (default: every service), merged in time
order: start, adopt, ready, healthy, unhealthy (with the health probe's output),
exit (exit code, OOM), completed, restart, crash-loop, stop, engine-down and
engine-up, each with its reason and who asked (user: a pm2dock command; pm2:
PM2 without pm2dock; policy: the restart policy; engine: the container or the
engine). T is as for logs: RFC 3339, a date (UTC) or a duration meaning that
long ago (90m, 24h, 7d). --json: one record per line (docs/contracts.md#event-records).`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Services = f.services(args)
			if runF != nil {
				return runF(opts)
			}
			return eventsRun(c.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Since, "since", "", "only events at or after `T`")
	fl.StringVar(&opts.Until, "until", "", "only events before `T`")
	fl.IntVar(&opts.Tail, "tail", 0, "only the last `N` events")
	fl.BoolVarP(&opts.Follow, "follow", "F", false, "keep printing new events until interrupted")
	fl.BoolVar(&opts.JSON, "json", false, "one JSON record per line")
	return cmd
}

func eventsRun(ctx context.Context, f *Factory, opts *EventsOptions) error {
	p, keys, err := storeTarget(f, opts.Services, func(p *profile.Stores) string { return journal.Dir(p.LogsDir) }, "events")
	if err != nil {
		return err
	}
	w := journal.Window{Services: keys, Tail: opts.Tail}
	if w.Since, w.Until, err = timeWindow(f, opts.Since, opts.Until); err != nil {
		return err
	}
	if opts.Tail < 0 {
		return exitcode.Errorf(exitcode.Usage, "--tail %d: want a positive number", opts.Tail)
	}
	var it *journal.Iterator
	if opts.Follow {
		it = journal.Follow(ctx, p.LogsDir, w)
	} else {
		it = journal.Query(p.LogsDir, w)
	}
	defer it.Close()
	out := bufio.NewWriter(f.IO.Out)
	defer out.Flush()
	for it.Next() {
		e := it.Event()
		if opts.JSON {
			raw, err := json.Marshal(e)
			if err != nil {
				return err
			}
			out.Write(append(raw, '\n'))
		} else {
			fmt.Fprintln(out, e.Text())
		}
		if opts.Follow {
			if err := out.Flush(); err != nil {
				return err
			}
		}
	}
	if err := it.Err(); err != nil && !(opts.Follow && ctx.Err() != nil) {
		return fmt.Errorf("read events in %s: %w", journal.Dir(p.LogsDir), err)
	}
	return out.Flush()
}
