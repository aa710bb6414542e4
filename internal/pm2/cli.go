package pm2

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/pm2dock/pm2dock/internal/exitcode"
	"github.com/pm2dock/pm2dock/internal/pm2/rpc"
	"github.com/pm2dock/pm2dock/internal/render"
	"github.com/pm2dock/pm2dock/internal/service"
)

// CLI runs the pm2 command line: every change to PM2 goes through it (never a
// mutating RPC). Env is the environment pm2 runs with — scrubbed by the caller,
// because PM2 copies the CLI's environment into the apps it starts.
type CLI struct {
	Bin Binary
	Env []string
}

// Run runs `pm2 args...` and returns its output; the error quotes what pm2 said.
func (c *CLI) Run(ctx context.Context, args ...string) (string, error) {
	rctx, cancel := context.WithTimeout(ctx, CommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, c.Bin.Path, args...)
	cmd.Env = c.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if rctx.Err() != nil {
			return "", exitcode.New(exitcode.PM2Missing,
				fmt.Errorf("pm2 %s did not return within %s", strings.Join(args, " "), CommandTimeout),
				"check that PM2 answers (`"+c.Bin.Path+" ping`) and that PM2_HOME's disk has space")
		}
		msg := strings.TrimSpace(stderr.String() + "\n" + stdout.String())
		return stdout.String(), exitcode.New(exitcode.PM2Missing,
			fmt.Errorf("pm2 %s: %v: %s", strings.Join(args, " "), err, render.LastLines(msg, 5)),
			"check that PM2 works: `"+c.Bin.Path+" ping`")
	}
	return stdout.String(), nil
}

// CommandTimeout bounds one pm2 command: a PM2 that cannot start its daemon
// (PM2_HOME unwritable) leaves `pm2 start` waiting forever.
var CommandTimeout = 2 * time.Minute

// Start starts (or restarts, when they exist) the named apps of an ecosystem.
func (c *CLI) Start(ctx context.Context, ecosystem string, names []string) error {
	_, err := c.Run(ctx, "start", ecosystem, "--only", strings.Join(names, ","))
	return err
}

// Stop stops the app with pm_id id; an app that is gone already is not an
// error (nothing to stop). Apps are stopped and restarted by pm_id, never by
// name: a name is unique only within a PM2 namespace, and `pm2 stop NAME`
// stops every app of that name in every namespace.
func (c *CLI) Stop(ctx context.Context, id int) error {
	if _, err := c.Run(ctx, "stop", strconv.Itoa(id)); err != nil && !notFound(err) {
		return err
	}
	return nil
}

// Restart restarts the app with pm_id id (see Stop).
func (c *CLI) Restart(ctx context.Context, id int) error {
	_, err := c.Run(ctx, "restart", strconv.Itoa(id))
	return err
}

// List returns `pm2 jlist`.
func (c *CLI) List(ctx context.Context) ([]rpc.Process, error) {
	out, err := c.Run(ctx, "jlist")
	if err != nil {
		return nil, err
	}
	procs, err := rpc.ParseJlist([]byte(out))
	if err != nil {
		return nil, exitcode.New(exitcode.PM2Missing, fmt.Errorf("pm2 jlist: %w", err), "")
	}
	return procs, nil
}

// Find returns the app of service key (its name) in namespace ns, or nil.
func Find(procs []rpc.Process, ns string, key service.Key) *rpc.Process {
	for i := range procs {
		if procs[i].Name == string(key) && (ns == "" || procs[i].Env.Namespace == ns) {
			return &procs[i]
		}
	}
	return nil
}

// Namesake returns an app called as service key in a namespace other than
// ns, or nil. PM2 treats app names as global in `pm2 start`, so such an app
// would be restarted by a start of key in ns.
func Namesake(procs []rpc.Process, ns string, key service.Key) *rpc.Process {
	for i := range procs {
		if ns != "" && procs[i].Name == string(key) && procs[i].Env.Namespace != ns {
			return &procs[i]
		}
	}
	return nil
}

func notFound(err error) bool {
	return strings.Contains(err.Error(), "not found") || strings.Contains(err.Error(), "Process or Namespace")
}
