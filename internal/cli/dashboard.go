package cli

import (
	"context"
	"fmt"
	"html"
	"net"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/pm2dock/pm2dock/internal/dashboard"
	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/ports"
)

// DashboardOptions are the inputs of `pm2dock dashboard`.
type DashboardOptions struct {
	Addr string
	Open bool
}

// NewCmdDashboard serves the stack's page until interrupted.
func NewCmdDashboard(f *Factory, runF func(*DashboardOptions) error) *cobra.Command {
	opts := &DashboardOptions{}
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "A local page of the stack: live status, event timelines, CPU and memory, logs by time (read-only)",
		Long: `Serve one page, from this binary, that shows every service's status live, a
timeline of the last 15 minutes, hour or day from the event journal (starts, health
changes, failures, restarts, crash loops, stops and who asked), CPU and memory
graphs from the figures history, and the stored log lines of a window chosen on
the timeline (with a level filter, or following new lines).

It prints the page's URL, with a random token every request must carry, and
serves until interrupted. It listens on 127.0.0.1 (a free port) unless --addr
says otherwise; it refuses requests that name another host (DNS rebinding) or
come from another site's page. It only reads: nothing on the page starts,
stops or restarts anything. Exit 4 when --addr's port is taken.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return dashboardRun(c.Context(), f, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:0", "listen on `HOST:PORT` (port 0: a free one)")
	cmd.Flags().BoolVar(&opts.Open, "open", false, "open the page in the default browser")
	return cmd
}

func dashboardRun(ctx context.Context, f *Factory, opts *DashboardOptions) error {
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return exitcode.New(exitcode.Usage, fmt.Errorf("--addr %q: %w", opts.Addr, err), "give HOST:PORT, like 127.0.0.1:8080 (port 0: a free one)")
	}
	p, keys, err := viewTarget(ctx, f, nil)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		if ports.IsAddrInUse(err) {
			return exitcode.New(exitcode.PortConflict, fmt.Errorf("--addr %s: %w", opts.Addr, err), "choose another port, or port 0 for a free one")
		}
		return exitcode.New(exitcode.Usage, fmt.Errorf("--addr %s: %w", opts.Addr, err), "")
	}
	defer l.Close()
	src := statusSources(f, p)
	e, engineErr := f.Engine(ctx, p)
	if engineErr == nil {
		defer e.Close()
		src.Engine = e
	}
	srv := dashboard.New(dashboard.Config{Status: src, Keys: keys, EngineErr: engineErr})
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(f.IO.ErrOut, "pm2dock dashboard: listening on %s, which other machines may reach: the token in the URL is the only guard\n", l.Addr())
	}
	url := srv.URL(l)
	fmt.Fprintf(f.IO.Out, "pm2dock dashboard of %s (read-only), until interrupted:\n%s\n", p.Dir, url)
	if opts.Open {
		if err := openBrowser(url); err != nil {
			fmt.Fprintf(f.IO.ErrOut, "pm2dock dashboard: --open: %v (open the URL above by hand)\n", err)
		}
	}
	return srv.Serve(ctx, l)
}

// openBrowser asks the desktop to open url, without a shell. The token must
// not be in an argument list any user can read (ps): the desktop is given a
// file only this user can read that sends the browser on to url (as Jupyter
// does); the file is removed a minute later.
func openBrowser(url string) error {
	page, err := os.CreateTemp("", "pm2dock-dashboard-*.html")
	if err != nil {
		return err
	}
	fmt.Fprintf(page, "<!doctype html><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url=%s\"><title>pm2dock dashboard</title><p><a href=\"%s\">pm2dock dashboard</a></p>\n",
		html.EscapeString(url), html.EscapeString(url))
	page.Close() // CreateTemp made it 0600
	time.AfterFunc(time.Minute, func() { os.Remove(page.Name()) })
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", page.Name())
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", page.Name())
	default:
		cmd = exec.Command("xdg-open", page.Name())
	}
	if err := cmd.Start(); err != nil {
		os.Remove(page.Name())
		return err
	}
	go cmd.Wait()
	return nil
}
