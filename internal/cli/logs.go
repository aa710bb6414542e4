package cli

import (
	"bufio"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/logstore"
	"github.com/pm2dock/pm2dock/internal/profile"
	"github.com/pm2dock/pm2dock/internal/render"
	"github.com/pm2dock/pm2dock/internal/when"
)

// LogsOptions are the inputs of `pm2dock logs`.
type LogsOptions struct {
	Services     []string
	Since, Until string
	Level        string
	Grep         string
	Tail         int
	Follow       bool
	JSON         bool
}

// NewCmdLogs queries the log store.
func NewCmdLogs(f *Factory, runF func(*LogsOptions) error) *cobra.Command {
	opts := &LogsOptions{}
	cmd := &cobra.Command{
		Use:   "logs [SERVICE...]",
		Short: "Show stored log lines of services by time window, level and pattern",
		Long: `Show the lines the shims stored (default: every service), merged in time order
with the service on each line. T is RFC 3339 (2026-11-26T10:00:00Z), a date
(2026-11-26, UTC) or a duration meaning that long ago (90m, 24h, 7d). The first
line at --since is found by seeking, never by reading the store from its start.
Text: TIMESTAMP SERVICE STREAM LEVEL MESSAGE; bytes that are not UTF-8 are shown
as \xNN. --json: one record per line as stored (a non-UTF-8 message is base64
with "b64":true).`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Services = f.services(args)
			if runF != nil {
				return runF(opts)
			}
			return logsRun(c.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Since, "since", "", "only lines at or after `T`")
	fl.StringVar(&opts.Until, "until", "", "only lines before `T`")
	fl.StringVar(&opts.Level, "level", "", "minimum level: debug, info, warn, error, fatal")
	fl.StringVar(&opts.Grep, "grep", "", "only lines whose message matches this regular expression (RE2)")
	fl.IntVar(&opts.Tail, "tail", 0, "only the last `N` matching lines")
	fl.BoolVarP(&opts.Follow, "follow", "F", false, "keep printing new lines (across rotation and shim restarts) until interrupted")
	fl.BoolVar(&opts.JSON, "json", false, "one JSON record per line")
	return cmd
}

func logsQuery(f *Factory, opts *LogsOptions, keys []string) (logstore.QueryOptions, error) {
	q := logstore.QueryOptions{Services: keys, Tail: opts.Tail}
	var err error
	if q.Since, q.Until, err = timeWindow(f, opts.Since, opts.Until); err != nil {
		return q, err
	}
	if opts.Level != "" {
		if q.MinLevel, err = logstore.ParseLevel(opts.Level); err != nil {
			return q, exitcode.New(exitcode.Usage, fmt.Errorf("--level: %w", err), "")
		}
	}
	if opts.Grep != "" {
		if q.Grep, err = regexp.Compile(opts.Grep); err != nil {
			return q, exitcode.New(exitcode.Usage, fmt.Errorf("--grep: %w", err), "")
		}
	}
	if opts.Tail < 0 {
		return q, exitcode.Errorf(exitcode.Usage, "--tail %d: want a positive number", opts.Tail)
	}
	return q, nil
}

func logsRun(ctx context.Context, f *Factory, opts *LogsOptions) error {
	p, keys, err := storeTarget(f, opts.Services, func(p *profile.Stores) string { return p.LogsDir }, "logs")
	if err != nil {
		return err
	}
	q, err := logsQuery(f, opts, keys)
	if err != nil {
		return err
	}
	var it logstore.Iterator
	if opts.Follow {
		it = logstore.Follow(ctx, p.LogsDir, q)
	} else {
		it = logstore.Query(p.LogsDir, q)
	}
	defer it.Close()
	w := bufio.NewWriterSize(f.IO.Out, 64<<10)
	defer w.Flush()
	var buf []byte
	var st render.Stamper
	for it.Next() {
		buf = buf[:0]
		if opts.JSON {
			buf = it.Record().AppendJSON(buf)
		} else {
			r := it.Record()
			buf = render.AppendLogLine(buf, &st, render.LogLine{TS: r.TS, Service: r.Service, Stream: r.Stream, Level: r.Level.String(), Msg: r.Msg})
		}
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
		if opts.Follow {
			w.Flush()
		}
	}
	if err := it.Err(); err != nil && !(opts.Follow && ctx.Err() != nil) {
		return fmt.Errorf("read logs in %s: %w", p.LogsDir, err)
	}
	return nil
}

// timeWindow reads --since and --until (docs/contracts.md#commands, time
// arguments); an empty one is unbounded.
func timeWindow(f *Factory, since, until string) (from, to time.Time, err error) {
	now := f.Now()
	if since != "" {
		if from, err = when.Parse(since, now); err != nil {
			return from, to, exitcode.New(exitcode.Usage, fmt.Errorf("--since: %w", err), "")
		}
	}
	if until != "" {
		if to, err = when.Parse(until, now); err != nil {
			return from, to, exitcode.New(exitcode.Usage, fmt.Errorf("--until: %w", err), "")
		}
	}
	if since != "" && until != "" && !to.After(from) {
		// --since is inclusive and --until exclusive: nothing can be in it.
		// Printing nothing with exit 0 would read as "nothing happened".
		return from, to, exitcode.New(exitcode.Usage,
			fmt.Errorf("the window is empty: --until %s (%s) is not after --since %s (%s)", until, to.UTC().Format(time.RFC3339), since, from.UTC().Format(time.RFC3339)),
			"a duration counts back from now, so the older end is the longer one (--since 10m --until 5m)")
	}
	return from, to, nil
}

// storeTarget finds a store (the log store, or the event journal: store
// gives its folder) and the services to read, from pm2dock.yaml alone
// (profile.Peek): the services it lists, or in zero-config mode those with a
// folder in the store. Asking for another is a usage error.
func storeTarget(f *Factory, asked []string, store func(*profile.Stores) string, what string) (*profile.Stores, []string, error) {
	dir, err := f.dir()
	if err != nil {
		return nil, nil, err
	}
	p, err := profile.Peek(profile.Options{File: f.File, Dir: dir, Env: f.Environ()})
	if err != nil {
		return nil, nil, err
	}
	known := p.Keys
	if known == nil {
		if known, err = logstore.Services(store(p)); err != nil {
			return nil, nil, fmt.Errorf("read %s in %s: %w", what, store(p), err)
		}
	}
	if len(asked) == 0 {
		return p, known, nil
	}
	for _, k := range asked {
		if !slices.Contains(known, k) {
			return nil, nil, exitcode.New(exitcode.Usage, fmt.Errorf("unknown service %q", k),
				fmt.Sprintf("services with %s here: %s", what, strings.Join(known, ", ")))
		}
	}
	return p, asked, nil
}
