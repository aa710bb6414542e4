package pm2

import (
	"context"
	"fmt"
	"time"

	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
)

// Driver is PM2 as the stack drives it: the list read over the RPC socket of
// Home (see Apps), changes through CLI.
type Driver struct {
	*CLI
	Home string
}

// Apps reads PM2's app list read-only (see the function Apps).
func (d *Driver) Apps(ctx context.Context) ([]rpc.Process, error) {
	procs, _, err := Apps(ctx, d.Home, func() (*CLI, error) { return d.CLI, nil })
	return procs, err
}

// Apps reads PM2's app list, read-only: over the daemon's RPC socket (no node
// process, a few milliseconds), falling back to `pm2 jlist` through cli when the
// socket answers unexpectedly. No daemon means no apps, not an error — and
// `pm2 jlist` is not tried then, because it would spawn a daemon. source says
// which was used: "rpc", "jlist" or "none (PM2 daemon not running)".
func Apps(ctx context.Context, home string, cli func() (*CLI, error)) (procs []rpc.Process, source string, err error) {
	rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c, err := rpc.Dial(rctx, home)
	if err == nil {
		defer c.Close()
		if procs, err = c.MonitorData(rctx); err == nil {
			return procs, "rpc", nil
		}
	} else if rpc.IsNotRunning(err) {
		return nil, "none (PM2 daemon not running)", nil
	}
	if cli == nil {
		return nil, "", fmt.Errorf("PM2 RPC socket in %s: %w", home, err)
	}
	c2, cerr := cli()
	if cerr != nil {
		return nil, "", cerr
	}
	if procs, err = c2.List(ctx); err != nil {
		return nil, "", err
	}
	return procs, "jlist", nil
}
